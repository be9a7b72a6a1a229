"""ChunkIndex (real MiniLM + hnswlib + bm25s) and hybrid Retriever over 30 real BBC articles."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kgsynth.embeddings import shared_embedder
from kgsynth.errors import InputError
from kgsynth.ids import content_id
from kgsynth.text import normalize_text
from kgsynth.types import Chunk, Document, Entity, Evidence, GraphBatch, Relation
from kgsynth.workspace import Workspace
from synth.index import ChunkIndex
from synth.retrieval import Retriever, paragraph_chunks, query_candidates, rrf
from tests.fixtures.corpus import bbc_files

ZH_TEXT = "华为公司在深圳发布了新款智能手机。\n\n北京大学的研究人员研究了人工智能。"


def add_document(ws: Workspace, source: str, text: str, lang: str = "en") -> list[Chunk]:
    """Paragraph chunking straight into the catalog (independent of the ingest pipeline)."""
    text = normalize_text(text)
    doc = Document(id=content_id(text, prefix="doc_"), source=source, text=text, lang=lang)
    chunks, pos = [], 0
    for i, piece in enumerate(paragraph_chunks(text, 600)):
        start = text.index(piece[:40], pos)
        pos = start + len(piece)
        cid = content_id(doc.id, i, piece, prefix="ch_")
        chunks.append(
            Chunk(id=cid, doc_id=doc.id, index=i, text=piece, start=start, end=pos, lang=lang)
        )
    ws.catalog.save_document(doc, chunks)
    return chunks


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    w = Workspace(tmp_path_factory.mktemp("retrieval") / "ws")
    for path, label in bbc_files(6):
        add_document(w, f"{label}/{path.name}", path.read_text(encoding="utf-8", errors="replace"))
    add_document(w, "zh/1.txt", ZH_TEXT, lang="zh")
    yield w
    w.close()


@pytest.fixture(scope="module")
def index(ws):
    return ChunkIndex.load_or_build(ws)


def test_index_covers_all_chunks(ws, index):
    assert sorted(index.ids) == sorted(c.id for c in ws.catalog.iter_chunks())
    assert index.vectors.shape == (len(index.ids), 384)
    assert np.allclose(np.linalg.norm(index.vectors, axis=1), 1.0, atol=1e-4)
    assert (ws.path / "index" / "CURRENT").exists()


def test_dense_finds_chunk_by_its_own_text(index):
    rec = index.records[7]
    (best, score), *_ = index.dense(rec.text, k=3)
    assert best == rec.id and score > 0.99


def test_bm25_finds_distinctive_words(index):
    rec = max(index.records, key=lambda r: len(r.text))
    phrase = " ".join(rec.text.split()[5:15])
    assert index.bm25(phrase, k=3)[0][0] == rec.id
    assert index.bm25("zzzqqq xyzzy", k=3) == []


def test_bm25_chinese_uses_jieba_words(index):
    hits = index.bm25("人工智能", k=3, lang="zh")
    assert hits and "人工智能" in index.by_id[hits[0][0]].text


def test_reload_and_incremental_rebuild(ws, index, monkeypatch):
    embedder = shared_embedder(lang="en")  # the encoder English chunks are embedded with
    encoded: list[int] = []
    real = embedder.encode
    monkeypatch.setattr(
        embedder,
        "encode",
        lambda texts, progress=None: encoded.append(len(texts)) or real(texts, progress),
    )
    again = ChunkIndex.load_or_build(ws)
    assert encoded == [] and again.ids == index.ids  # same chunks: loaded from disk
    path, label = bbc_files(1, offset=50)[0]
    new = add_document(
        ws, f"{label}/{path.name}", path.read_text(encoding="utf-8", errors="replace")
    )
    seen = []
    grown = ChunkIndex.load_or_build(ws, progress=lambda d, t: seen.append((d, t)))
    assert encoded == [len(new)], "only the new chunks are embedded"
    assert len(grown) == len(index) + len(new) and seen[-1] == (len(new), len(new))
    assert grown.dense(new[0].text, k=1)[0][0] == new[0].id
    old_dirs = [p for p in (ws.path / "index").iterdir() if p.is_dir() and p.name != "external"]
    assert len(old_dirs) == 1


def test_rrf_fuses_ranks():
    fused = rrf({"a": ["x", "y"], "b": ["y", "z"]})
    assert fused[0][0] == "y" and fused[0][2] == {"a": 2, "b": 1}
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)


def test_query_candidates_skip_stopwords():
    cands = query_candidates("Who is the chief executive of Yukos?")
    assert "Yukos" in cands and "chief executive" in cands and "the" not in cands


def test_search_hybrid_without_graph(ws, index):
    retriever = Retriever(ws)
    rec = max(index.records, key=lambda r: len(r.text))
    query = " ".join(rec.text.split()[:12])
    hits = retriever.search(query, k=5)
    assert hits[0].chunk_id == rec.id
    assert set(hits[0].ranks) == {"bm25", "dense"} and hits[0].source == "corpus"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    only_bm25 = retriever.search(query, k=3, sources=("bm25",))
    assert all(set(h.ranks) == {"bm25"} for h in only_bm25)
    assert retriever.search("人工智能 研究", k=3, lang="zh")[0].text.startswith("华为")
    with pytest.raises(InputError, match="sources"):
        retriever.search(query, sources=("web",))


def test_external_corpus_folder_and_jsonl(ws, tmp_path):
    folder = tmp_path / "ext"
    folder.mkdir()
    (folder / "a.md").write_text("# Glaciers\n\nGlaciers in Patagonia are retreating quickly.")
    (folder / "b.txt").write_text("The violin maker carved spruce tops by hand.")
    retriever = Retriever(ws, external=folder)
    hits = retriever.search("Patagonia glaciers retreating", k=3)
    assert hits[0].source == "external" and "Patagonia" in hits[0].text
    rows = tmp_path / "ext.jsonl"
    rows.write_text(json.dumps({"text": "Saffron is harvested from crocus flowers."}) + "\n")
    hits = Retriever(ws, external=rows).search("saffron crocus", k=2)
    assert hits[0].source == "external" and hits[0].doc_id.startswith("ext_")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"body": "x"}\n')
    with pytest.raises(InputError, match="bad.jsonl:1"):
        Retriever(ws, external=bad)


def test_graph_retrieval_and_facts(ws, index):
    chunk = ws.catalog.chunk(index.records[3].id)
    assert Retriever(ws).graph_chunks("Who owns Zorblat Holdings?") == []
    a = Entity(id="ent_a", name="Zorblat Holdings", type="ORG", mentions=3, chunk_ids=[chunk.id])
    b = Entity(id="ent_b", name="Quentin Marsh", type="PERSON", mentions=1, chunk_ids=[chunk.id])
    ev = Evidence(triple_id="t1", chunk_id=chunk.id, doc_id=chunk.doc_id, sentence=chunk.text[:80])
    rel = Relation(
        id="rel_1", source_id="ent_b", target_id="ent_a", predicate="owns", evidence=[ev]
    )
    ws.store.write(GraphBatch(entities=[a, b], relations=[rel]))
    retriever = Retriever(ws)
    assert [e.id for e in retriever.entities_in("Who owns Zorblat Holdings?")] == ["ent_a"]
    facts = retriever.facts_for("Who owns Zorblat Holdings?")
    assert [f.relation.id for f in facts] == ["rel_1"] and facts[0].source.name == "Quentin Marsh"
    assert retriever.facts_for("ent_b")[0].target.id == "ent_a"
    graph_only = retriever.search("Who owns Zorblat Holdings?", k=5, sources=("graph",))
    assert [h.chunk_id for h in graph_only] == [chunk.id] and graph_only[0].ranks == {"graph": 1}
    fused = retriever.search("Who owns Zorblat Holdings?", k=50)
    assert any(h.chunk_id == chunk.id and h.ranks.get("graph") == 1 for h in fused)


def test_empty_workspace_returns_nothing(tmp_path):
    with Workspace(tmp_path / "empty") as w:
        retriever = Retriever(w)
        assert len(retriever.index) == 0 and retriever.index.vectors.shape == (0, 384)
        assert retriever.search("anything at all", k=5) == []
        assert retriever.facts_for("anything") == []
        assert len(ChunkIndex.load_or_build(w)) == 0  # reloads the stored empty index
