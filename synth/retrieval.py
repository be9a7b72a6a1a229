"""Hybrid retrieval: graph facts, BM25 and dense embeddings, fused by reciprocal rank fusion.

Graph: entities named in the query (found with ``store.search``) → their facts and 1–2 hop
neighborhood → the chunks holding the evidence. BM25 and dense search run over the corpus index
(synth/index.py) and, optionally, over an external corpus that is not in the graph (a folder of
.txt/.md files or a JSONL file with a text field), indexed the same way in its own directory.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Literal

from kgsynth.errors import InputError, KgsynthError
from kgsynth.ids import content_id
from kgsynth.rows import iter_jsonl
from kgsynth.text import detect_lang, normalize_text
from kgsynth.types import Entity, Fact, Record
from synth.index import ChunkIndex, IndexRecord, Progress

log = logging.getLogger(__name__)

RRF_K = 60
SOURCES = ("bm25", "dense", "graph")
_TOKEN = re.compile(r"[^\W_]+(?:['’.&-][^\W_]+)*", re.UNICODE)
_STOP = {
    "a", "an", "and", "are", "as", "at", "be", "by", "did", "do", "does", "for", "from", "has",
    "have", "how", "in", "is", "it", "its", "many", "much", "of", "on", "or", "said", "the", "to",
    "was", "were", "what", "when", "where", "which", "who", "whom", "why", "with",
}  # fmt: skip


class Hit(Record):
    chunk_id: str
    doc_id: str
    text: str
    score: float
    ranks: dict[str, int]  # source -> 1-based rank in that source's list
    source: Literal["corpus", "external"] = "corpus"


def rrf(rankings: dict[str, list[str]], k: int = RRF_K) -> list[tuple[str, float, dict[str, int]]]:
    """Reciprocal rank fusion: score(id) = sum over lists of 1 / (k + rank); best first."""
    scores: dict[str, float] = {}
    ranks: dict[str, dict[str, int]] = {}
    for source, ids in rankings.items():
        for rank, cid in enumerate(ids, start=1):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (k + rank)
            ranks.setdefault(cid, {})[source] = rank
    order = sorted(scores, key=lambda c: (-scores[c], c))
    return [(c, scores[c], ranks[c]) for c in order]


def query_candidates(query: str, limit: int = 40) -> list[str]:
    """Phrases of the query that may name an entity: the whole query, then 1–4 word n-grams."""
    tokens = _TOKEN.findall(query)
    out: list[str] = [query.strip()]
    for n in (4, 3, 2, 1):
        for i in range(len(tokens) - n + 1):
            gram = tokens[i : i + n]
            if gram[0].lower() in _STOP or gram[-1].lower() in _STOP:
                continue
            if n == 1 and len(gram[0]) < 2:
                continue
            out.append(" ".join(gram))
    seen: set[str] = set()
    unique = [c for c in out if c and not (c.lower() in seen or seen.add(c.lower()))]
    return unique[:limit]


def _named_in(entity: Entity, query: str) -> bool:
    q = f" {' '.join(_TOKEN.findall(query.lower()))} "
    cjk = bool(re.search(r"[\u4e00-\u9fff]", query))
    for name in [entity.name, *entity.aliases]:
        n = " ".join(_TOKEN.findall(name.lower()))
        if n and ((cjk and n in query) or f" {n} " in q):
            return True
    return False


class Retriever:
    """Search the corpus (and an optional external corpus) by graph, BM25 and dense retrieval."""

    def __init__(self, ws, external: Path | None = None, progress: Progress | None = None):
        self.ws = ws
        self.external_path = Path(external).expanduser().resolve() if external else None
        self.progress = progress
        self._external_records = (
            read_external(self.external_path, ws.config.ingest.chunk_chars)
            if self.external_path is not None
            else None
        )  # read now, so a bad file fails here; embedded on first search

    @cached_property
    def index(self) -> ChunkIndex:
        """The corpus index, loaded (or built) on first use: graph facts do not need it."""
        return ChunkIndex.load_or_build(self.ws, progress=self.progress)

    @cached_property
    def external(self) -> ChunkIndex | None:
        if self.external_path is None or self._external_records is None:
            return None
        folder = self.ws.dir("index") / "external" / content_id(str(self.external_path), length=12)
        return ChunkIndex.for_records(self._external_records, folder, self.progress)

    # ------------------------------------------------------------ chunks

    def search(
        self,
        query: str,
        k: int = 10,
        sources: Iterable[str] = SOURCES,
        lang: str | None = None,
    ) -> list[Hit]:
        """The k best chunks for the query, fused over the chosen sources by RRF (k=60)."""
        sources = tuple(sources)
        unknown = set(sources) - set(SOURCES)
        if unknown:
            raise InputError(f"unknown retrieval sources {sorted(unknown)}; use {list(SOURCES)}")
        depth = max(50, 5 * k)
        qlang = lang or detect_lang(query)
        rankings: dict[str, list[str]] = {}
        vec = None
        if "dense" in sources and (len(self.index) or (self.external and len(self.external))):
            from kgsynth.embeddings import shared_embedder

            vec = shared_embedder().encode([query])[0]
        for name, index in (("", self.index), ("external:", self.external)):
            if index is None or not len(index):
                continue
            if "bm25" in sources:
                rankings[name + "bm25"] = [i for i, _ in index.bm25(query, depth, qlang)]
            if vec is not None:
                rankings[name + "dense"] = [i for i, _ in index.dense(vec, depth)]
        if "graph" in sources:
            rankings["graph"] = self.graph_chunks(query, depth)
        hits = []
        for cid, score, ranks in rrf(rankings):
            hit = self._hit(cid, score, ranks)
            if hit is None or (lang and self._lang(cid) != lang):
                continue
            hits.append(hit)
            if len(hits) == k:
                break
        return hits

    def _hit(self, cid: str, score: float, ranks: dict[str, int]) -> Hit | None:
        plain = {s.removeprefix("external:"): r for s, r in ranks.items()}
        record = self.index.by_id.get(cid)
        if record is not None:
            return Hit(
                chunk_id=cid, doc_id=record.doc_id, text=record.text, score=score, ranks=plain
            )
        record = self.external.by_id.get(cid) if self.external else None
        if record is not None:
            return Hit(
                chunk_id=cid,
                doc_id=record.doc_id,
                text=record.text,
                score=score,
                ranks=plain,
                source="external",
            )
        chunk = self.ws.catalog.chunk(cid)  # graph evidence newer than the index
        if chunk is None:
            return None
        return Hit(chunk_id=cid, doc_id=chunk.doc_id, text=chunk.text, score=score, ranks=plain)

    def _lang(self, cid: str) -> str:
        for index in (self.index, self.external):
            if index is not None and cid in index.by_id:
                return index.by_id[cid].lang
        chunk = self.ws.catalog.chunk(cid)
        return chunk.lang if chunk else ""

    # ------------------------------------------------------------ graph

    def entities_in(self, query: str, limit: int = 5) -> list[Entity]:
        """Graph entities whose name or alias occurs in the query, most mentioned first."""
        found: dict[str, Entity] = {}
        try:
            store = self.ws.store
            for cand in query_candidates(query):
                for e in store.search(cand, limit=5):
                    if e.id not in found and _named_in(e, query):
                        found[e.id] = e
        except KgsynthError as e:  # no graph yet (or store not reachable): graph retrieval is empty
            log.warning("graph retrieval skipped: %s", e)
            return []
        return sorted(found.values(), key=lambda e: (-e.mentions, e.name))[:limit]

    def facts_for(self, query_or_entity: str, k: int = 10) -> list[Fact]:
        """Facts about an entity id, or about the entities named in a query, strongest first."""
        try:
            entity = self.ws.store.entity(query_or_entity)
        except KgsynthError as e:
            log.warning("graph retrieval skipped: %s", e)
            return []
        entities = [entity] if entity is not None else self.entities_in(query_or_entity)
        return self._facts(entities, k)

    def _facts(self, entities: list[Entity], k: int) -> list[Fact]:
        facts: dict[str, Fact] = {}
        for e in entities:
            for f in self.ws.store.facts(e.id, limit=max(k, 20)):
                facts.setdefault(f.relation.id, f)
        return sorted(facts.values(), key=lambda f: (-f.relation.weight, f.relation.id))[:k]

    def graph_chunks(self, query: str, limit: int = 50) -> list[str]:
        """Evidence chunk ids: direct facts first, then the 2-hop neighborhood, then mentions."""
        entities = self.entities_in(query)
        if not entities:
            return []
        store = self.ws.store
        ranked: list[str] = []
        for fact in self._facts(entities, k=limit):
            ranked += [ev.chunk_id for ev in fact.relation.evidence]
        sub = store.neighborhood([e.id for e in entities], hops=2, limit=200)
        for rel in sorted(sub.relations, key=lambda r: (-r.weight, r.id)):
            ranked += [ev.chunk_id for ev in rel.evidence]
        for e in entities:
            ranked += e.chunk_ids
        return list(dict.fromkeys(ranked))[:limit]


# ---------------------------------------------------------------- external corpus


def read_external(path: Path, chunk_chars: int = 1200) -> list[IndexRecord]:
    """Records from a folder of .txt/.md files or a JSONL file with a ``text`` field."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in {".txt", ".md"})
        docs = [
            (str(f.relative_to(path)), f.read_text(encoding="utf-8", errors="replace"))
            for f in files
        ]
    elif path.suffix.lower() == ".jsonl" and path.is_file():
        docs = []
        with path.open(encoding="utf-8") as f:
            for n, row in iter_jsonl(f, path):
                if not isinstance(row.get("text"), str):
                    raise InputError(f"{path}:{n}: row has no string field 'text'")
                docs.append((f"{path.name}#{n}", row["text"]))
    else:
        raise InputError(
            f"external corpus {path} must be a folder of .txt/.md files or a .jsonl file"
        )
    records = []
    for name, text in docs:
        text = normalize_text(text)
        lang = detect_lang(text)
        doc_id = "ext_" + content_id(name, text)
        for i, piece in enumerate(paragraph_chunks(text, chunk_chars)):
            records.append(
                IndexRecord(content_id(doc_id, i, piece, prefix="ext_"), doc_id, piece, lang)
            )
    return records


def paragraph_chunks(text: str, chunk_chars: int = 1200) -> list[str]:
    """Paragraphs packed greedily into pieces of at most ~chunk_chars characters."""
    pieces: list[str] = []
    current = ""
    for para in (p.strip() for p in text.split("\n\n")):
        if not para:
            continue
        if current and len(current) + len(para) + 2 > chunk_chars:
            pieces.append(current)
            current = para
        else:
            current = f"{current}\n\n{para}" if current else para
    if current:
        pieces.append(current)
    return pieces
