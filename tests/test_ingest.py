"""End-to-end ingest into a real workspace (SQLite catalog + embedded graph), with real spaCy."""

from __future__ import annotations

import shutil

import pytest

from kg.extract import EXTRACTORS, Extractor
from kg.ingest import ingest
from kgsynth.workspace import Workspace
from tests.fixtures.corpus import bbc_files


@pytest.fixture
def ws(tmp_path):
    w = Workspace(tmp_path / "ws")
    yield w
    w.close()


def _relations(ws, predicate=None):
    return [r for r in ws.store.iter_relations() if predicate in (None, r.predicate)]


def test_ingest_bbc_articles_then_reingest_is_a_noop(ws, tmp_path, nlp):
    docs = tmp_path / "docs"
    docs.mkdir()
    articles = bbc_files(1)
    n = len(articles) + 1
    for path, label in articles:
        shutil.copy(path, docs / f"{label}-{path.name}")
    (docs / "zh.txt").write_text(
        "马云在杭州创立了阿里巴巴集团。马云后来访问了北京。", encoding="utf-8"
    )
    (docs / "broken.txt").write_bytes(b"\x00\x01\x02binary")
    (docs / "empty.md").write_text("", encoding="utf-8")
    calls = []
    report = ingest(ws, [docs], progress=lambda d, t: calls.append((d, t)))
    assert report.added == report.documents == n and report.unchanged == 0
    assert {s.path.rsplit("/", 1)[-1] for s in report.skipped} == {"broken.txt", "empty.md"}
    assert "broken.txt: binary" in report.summary()
    assert calls[-1] == (n, n) and all(d <= t for d, t in calls)
    assert ws.catalog.count("documents") == n and ws.catalog.count("chunks") == report.chunks
    assert ws.catalog.count("triples") == report.triples > 20
    stats = ws.store.stats()
    assert (
        stats.entities == report.entities > 30 and stats.relations > 0 and stats.cooccurrences > 0
    )
    assert any(e.lang == "zh" and e.name == "马云" for e in ws.store.iter_entities())
    chunk_text = {c.id: c.text for c in ws.catalog.iter_chunks()}
    for rel in _relations(ws):
        assert rel.evidence and rel.weight == len(rel.evidence)
        for ev in rel.evidence:
            assert chunk_text[ev.chunk_id][ev.start : ev.end] == ev.sentence

    again = ingest(ws, [docs])
    assert (again.added, again.replaced, again.unchanged, again.documents) == (0, 0, n, 0)
    assert ws.store.stats() == stats


def test_changed_document_replaces_its_chunks_and_facts(ws, tmp_path, nlp):
    doc = tmp_path / "news.txt"
    doc.write_text(
        "Microsoft acquired GitHub in 2018. Siemens is based in Munich.", encoding="utf-8"
    )
    keep = tmp_path / "other.txt"
    keep.write_text(
        "Siemens is based in Munich. Tim Cook, the CEO of Apple, visited Berlin.", encoding="utf-8"
    )
    first = ingest(ws, [doc, keep])
    assert first.added == 2
    old_doc = ws.catalog.document_by_source(str(doc))
    old_chunks = {c.id for c in ws.catalog.chunks(old_doc.id)}
    assert [r.weight for r in _relations(ws, "based_in")] == [2.0]

    doc.write_text("Siemens is based in Berlin.", encoding="utf-8")
    second = ingest(ws, [doc, keep])
    assert (second.replaced, second.unchanged, second.added) == (1, 1, 0)
    assert ws.catalog.document(old_doc.id) is None
    assert not old_chunks & {c.id for c in ws.catalog.iter_chunks()}
    assert not any(t.chunk_id in old_chunks for t in ws.catalog.iter_triples())
    for rel in _relations(ws):
        assert not any(ev.chunk_id in old_chunks for ev in rel.evidence)
    names = {e.name for e in ws.store.iter_entities()}
    assert "GitHub" not in names and {"Siemens", "Munich", "Berlin", "Apple"} <= names
    based = {
        (ws.store.entity(r.source_id).name, ws.store.entity(r.target_id).name): r.weight
        for r in _relations(ws, "based_in")
    }
    assert based == {("Siemens", "Munich"): 1.0, ("Siemens", "Berlin"): 1.0}


def test_csv_rows_ingest_as_documents_and_resolve_across_runs(ws, tmp_path, nlp):
    (tmp_path / "a.csv").write_text(
        'id,body\n1,"The World Health Organization (WHO) praised Tony Blair."\n', encoding="utf-8"
    )
    (tmp_path / "b.jsonl").write_text(
        '{"t": "Blair met officials from the WHO in Geneva."}\n', encoding="utf-8"
    )
    ingest(ws, [tmp_path / "a.csv"], text_col="body")
    report = ingest(ws, [tmp_path / "b.jsonl"], field="t")
    assert report.added == 1
    who = ws.store.search("WHO", limit=1)[0]
    assert who.name == "World Health Organization" and "WHO" in who.aliases
    blair = ws.store.search("Tony Blair", limit=1)[0]
    assert "Blair" in blair.aliases and blair.mentions == 2
    assert ws.catalog.document_by_source(f"{tmp_path / 'a.csv'}#1").metadata == {"id": "1"}
    assert {m.reason for m in ws.catalog.merges()} >= {"acronym", "alias"}


class _Broken(Extractor):
    """A real Extractor subclass that always fails: checks that a failed batch loses nothing."""

    name = "broken-test"

    def extract(self, chunks, progress=None):
        raise RuntimeError("model crashed")


def test_failed_extraction_keeps_what_was_stored(ws, tmp_path, nlp):
    EXTRACTORS.register("broken-test")(_Broken)
    doc = tmp_path / "a.txt"
    doc.write_text("Siemens is based in Munich.", encoding="utf-8")
    ingest(ws, [doc])
    before = ws.store.stats()
    doc.write_text("Siemens is based in Berlin.", encoding="utf-8")
    report = ingest(ws, [doc], extractors=["broken-test"])
    assert (
        report.documents == 0 and "ingest failed: RuntimeError: model crashed" in report.summary()
    )
    assert ws.store.stats() == before
    assert ws.catalog.document_by_source(str(doc)).text == "Siemens is based in Munich."
    with pytest.raises(RuntimeError):
        ingest(ws, [doc], extractors=["broken-test"], on_error="raise")
