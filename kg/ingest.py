"""Ingest: files → documents → chunks → extraction → entity resolution → catalog + graph store.

Re-ingesting an unchanged document does nothing; a changed one (same source, new content) has its old
chunks and every fact drawn from them removed before the new version is written. Each batch commits
its documents and its graph writes together in the catalog, then writes the graph (kg/commit.py): a
killed ingest, resumed or re-run, ends with the same graph as an uninterrupted one. One ingest writes a
workspace at a time (the workspace write lock); a second one fails with a line naming the first.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field
from tqdm import tqdm

from kg.chunking import chunk_document, owned_start
from kg.commit import GraphLog
from kg.documents import Skipped, display_path, iter_documents, list_files
from kg.extract import Extractor, make_extractor
from kg.resolve import Resolution, Resolver
from kgsynth.engine import Work, WorkerView
from kgsynth.errors import InputError
from kgsynth.ids import content_id
from kgsynth.lock import write_lock
from kgsynth.types import (
    Chunk,
    Document,
    Evidence,
    Extraction,
    GraphBatch,
    Mention,
    MergeDecision,
    Record,
    Relation,
    Triple,
)

if TYPE_CHECKING:
    from kgsynth.workspace import Workspace

Progress = Callable[[int, int], None]
MAX_SKIPS_SHOWN = 30
LOAD_BATCH = 64  # files per engine batch when files are parsed on engine workers


class IngestReport(Record):
    """What one ingest run did."""

    added: int = 0
    unchanged: int = 0
    replaced: int = 0
    removed: int = 0  # documents whose source is gone (ingest with sync)
    skipped: list[Skipped] = Field(default_factory=list)
    documents: int = 0  # documents written in this run (added + replaced)
    chunks: int = 0
    mentions: int = 0
    triples: int = 0
    entities: int = 0  # distinct entities touched by this run
    relations: int = 0  # distinct relations (typed and co-occurrence) touched by this run
    merges: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        """A short human-readable account, one line per skipped file (capped)."""
        lines = [
            f"ingested {self.documents} documents ({self.added} new, {self.replaced} changed, "
            f"{self.unchanged} unchanged{f', {self.removed} removed' if self.removed else ''}): "
            f"{self.chunks} chunks, {self.mentions} mentions, "
            f"{self.triples} triples -> {self.entities} entities, {self.relations} relations, "
            f"{self.merges} merges; {len(self.skipped)} skipped; {self.seconds:.1f} s"
        ]
        lines += [f"  skipped {s.path}: {s.reason}" for s in self.skipped[:MAX_SKIPS_SHOWN]]
        if len(self.skipped) > MAX_SKIPS_SHOWN:
            lines.append(f"  ... and {len(self.skipped) - MAX_SKIPS_SHOWN} more skipped")
        return "\n".join(lines)


def ingest(
    ws: Workspace,
    paths: Iterable[Path | str] | Path | str,
    *,
    extractors: list[str] | None = None,
    text_col: str = "text",
    field: str = "text",
    on_error: str = "skip",
    progress: Progress | None = None,
    batch_docs: int | None = None,
    holder: str | None = None,
    wait: float = 0.0,
    sync: bool = False,
) -> IngestReport:
    """Ingest files and folders into the workspace's catalog and graph store.

    Holds the workspace write lock throughout (`holder` names this writer to others; `wait` is how
    long to wait for another writer first) and first replays batches a crashed ingest left unwritten.
    With `sync`, documents ingested before from under these paths whose source is gone are removed
    (their chunks and every fact drawn only from them), so the graph follows the corpus.
    """
    if on_error not in ("skip", "raise"):
        raise InputError(f"on_error must be 'skip' or 'raise', not {on_error!r}")
    started = time.perf_counter()
    report = IngestReport()
    if isinstance(paths, str | Path):
        paths = [paths]
    with write_lock(ws.path, holder or f"an ingest (pid {os.getpid()})", wait):
        log = GraphLog(ws)
        log.recover()
        seen: set[str] = set()
        pending = _changed_documents(
            ws, paths, report, seen, text_col=text_col, field=field, on_error=on_error
        )
        if sync:
            _remove_gone(ws, log, _gone(ws, paths, seen, report.skipped), report)
        if pending:
            _ingest_pending(ws, log, pending, report, extractors, on_error, progress, batch_docs)
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _ingest_pending(ws, log, pending, report, extractors, on_error, progress, batch_docs) -> None:
    """Analyse the new/changed documents on the engine; resolve and commit them batch by batch."""
    cfg = ws.config.ingest
    resolver = log.resolver(embedder=_embedder(ws), threshold=cfg.embedding_threshold)
    size = batch_docs or (500 if cfg.processes > 1 else 200)
    entity_ids: set[str] = set()
    relation_ids: set[str] = set()
    bar = tqdm(total=len(pending), unit="doc", desc="ingest", disable=None)
    if progress:
        progress(0, len(pending))
    with ws.store.bulk():
        for group in _analysed(ws, pending, extractors, size, progress):
            batch = [entry for entry, _, run in group if run.error is None]
            failed = [(entry[0], run) for entry, _, run in group if run.error is not None]
            if failed and on_error == "raise":
                failed[0][1].raise_error()
            report.skipped += [
                Skipped(path=doc.source, reason=f"ingest failed: {run.error}")
                for doc, run in failed
            ]
            analysed = {entry[0].id: result for entry, result, _ in group}
            try:
                prepared = _prepare_batch(ws, batch, analysed, resolver) if batch else None
            except Exception as e:  # resolution failed: skip the batch, keep what is stored
                if on_error == "raise":
                    raise
                reason = f"ingest failed: {type(e).__name__}: {e}"
                report.skipped += [Skipped(path=doc.source, reason=reason) for doc, _ in batch]
                prepared = None
            if prepared is not None:  # a catalog or store failure stops the ingest (nothing lost)
                ents, rels = _commit_batch(ws, log, batch, prepared, resolver, report)
                entity_ids |= ents
                relation_ids |= rels
            bar.update(len(group))
    bar.close()
    log.prune()
    report.entities, report.relations = len(entity_ids), len(relation_ids)


def _analysed(ws, pending, extractors, size: int, progress):
    """Groups of `size` pending documents, each as (entry, (chunks, extractions), engine batch).

    The documents are chunked and extracted on the workspace's engine (in smaller batches there
    when it has several workers); the groups are the same on every engine, so is what is committed.
    """
    work = AnalyseDocuments(extractors or ws.config.ingest.extractors)
    engine = ws.engine
    docs = [doc for doc, _ in pending]
    batch_size = engine.task_size(size)
    if progress and engine.name == "local":  # batches run here: report inside them too
        done = {"batches": 0, "shown": 0}

        def docs_done(k: int) -> None:
            now = min(done["batches"] * batch_size + k, len(docs))
            if now > done["shown"]:
                done["shown"] = now
                progress(now, len(docs))

        def batch_done(d: int, total: int) -> None:
            done["batches"] += 1
            done["shown"] = max(done["shown"], d)
            progress(d, total)

        work.on_docs_done, engine_progress = docs_done, batch_done
    else:
        engine_progress = progress
    runs = engine.batches(work, docs, batch_size=batch_size, progress=engine_progress)
    group: list = []
    position = 0
    for run in runs:
        for result in run.results or [None] * len(run.items):
            group.append((pending[position], result, run))
            position += 1
        while len(group) >= size:
            yield group[:size]
            group = group[size:]
    if group:
        yield group


def _loaded(ws, files: list[Path], *, on_error: str, **options):
    """Per file, its documents or a Skipped, in order, as iter_documents gives them; with several
    engine workers the files are parsed there (a file a worker does not see is parsed here)."""
    engine = ws.engine
    if engine.workers <= 1:
        yield from iter_documents(files, on_error=on_error, **options)
        return
    size = min(LOAD_BATCH, engine.task_size(len(files)))
    for run in engine.batches(LoadFiles(options), [str(f) for f in files], batch_size=size):
        if run.results is None:
            run.raise_error()
        for path, result in zip(run.items, run.results, strict=True):
            if result is None:
                yield from iter_documents([Path(path)], on_error=on_error, **options)
            elif isinstance(result, Skipped) and on_error == "raise":
                raise InputError(f"{path}: {result.reason}")
            else:
                yield Path(path), result


class LoadFiles(Work):
    """Parses files into their documents (a Skipped with the reason; None for a file this worker
    cannot see, which the driver then parses)."""

    local_below = 500  # text files parse in a millisecond or two

    def __init__(self, options: dict):
        self.options = options

    def run(self, paths: list[str]) -> list[list[Document] | Skipped | None]:
        out: list[list[Document] | Skipped | None] = []
        for path in map(Path, paths):
            if not path.exists():
                out.append(None)
                continue
            [(_, result)] = iter_documents([path], on_error="skip", **self.options)
            out.append(result)
        return out


class AnalyseDocuments(Work):
    """Chunks each document and runs the extractors on its chunks: (chunks, extraction per chunk).

    Needs only the configuration, so it runs on any engine worker; the driver commits the results.
    """

    def __init__(self, extractors: list[str]):
        self.extractors = list(extractors)

    def setup(self, ws) -> None:
        if isinstance(ws, WorkerView):  # an engine worker is one process: spaCy runs inside it
            ws.config.ingest.processes = 1
        self.config = ws.config.ingest
        self.router = _Router(ws, self.extractors)

    on_docs_done: Callable[[int], None] | None = None  # local engine: documents of this batch done

    def run(self, docs: list[Document]) -> list[tuple[list[Chunk], dict[str, Extraction]]]:
        cfg = self.config
        chunks_of = [chunk_document(d, cfg.chunk_chars, cfg.overlap_sentences) for d in docs]
        tick = None
        if self.on_docs_done is not None:  # extracted chunks, as documents done (for progress)
            report, n = self.on_docs_done, len(docs)

            def tick(done: int, total: int) -> None:
                report(n * done // max(total, 1))

        extractions = self.router.extract([c for cs in chunks_of for c in cs], tick)
        return [
            (cs, {c.id: extractions[c.id] for c in cs if c.id in extractions}) for cs in chunks_of
        ]


def _embedder(ws: Workspace):
    if not ws.config.ingest.embedding_resolution:
        return None
    from kgsynth.embeddings import shared_embedder

    return shared_embedder()


def _changed_documents(
    ws, paths, report: IngestReport, seen: set[str], **options
) -> list[tuple[Document, str | None]]:
    """New or changed documents with the id of the version they replace; counts unchanged and
    skipped, and adds every source read to `seen`."""
    files, missing = list_files(paths)
    if missing and options["on_error"] == "raise":
        raise InputError(f"{missing[0].path}: {missing[0].reason}")
    report.skipped += missing
    max_mb = ws.config.ingest.max_file_mb
    pending: dict[str, tuple[Document, str | None]] = {}
    for _, result in _loaded(ws, files, max_mb=max_mb, **options):
        if isinstance(result, Skipped):
            report.skipped.append(result)
            continue
        for doc in result:
            if isinstance(doc, Skipped):  # a bad row of a JSONL file
                report.skipped.append(doc)
                continue
            seen.add(doc.source)
            old = ws.catalog.document_by_source(doc.source)
            if old is not None and old.id == doc.id:
                report.unchanged += 1
            elif doc.source not in pending:
                pending[doc.source] = (doc, old.id if old else None)
    return list(pending.values())


def _gone(ws, paths, seen: set[str], skipped: list[Skipped]) -> dict[str, str]:
    """Sources (and document ids) ingested before from under `paths` that were not read now; a file
    that failed to load keeps its documents."""
    roots = [display_path(p) for p in paths]
    failed = {s.path for s in skipped}
    gone = {}
    for source, doc_id in ws.catalog.sources().items():
        file = source.split("#", 1)[0]
        under = any(file == r or file.startswith(r.rstrip("/") + "/") for r in roots)
        if under and source not in seen and file not in failed:
            gone[source] = doc_id
    return gone


def _remove_gone(ws, log: GraphLog, gone: dict[str, str], report: IngestReport) -> None:
    """Remove documents whose source is gone, as one logged batch (like a changed document's old
    version: its chunks leave the catalog and the graph together)."""
    if not gone:
        return
    resolver = log.resolver(embedder=None, threshold=ws.config.ingest.embedding_threshold)
    with ws.catalog.transaction():
        removed = [c for doc_id in gone.values() for c in ws.catalog.delete_document(doc_id)]
        seq = log.commit(removed, GraphBatch(), resolver, docs_removed=list(gone.values()))
    log.apply(seq, removed, GraphBatch())
    log.prune()
    report.removed += len(gone)


class _Router:
    """Sends each chunk to the first listed extractor that handles its language (else a built-in)."""

    def __init__(self, ws: Workspace, names: list[str]):
        self.ws = ws
        self.extractors = [make_extractor(n, ws) for n in names]
        self.fallback: dict[str, Extractor] = {}

    def pick(self, lang: str) -> Extractor:
        for e in self.extractors:
            if e.handles(lang):
                return e
        name = "zh" if lang == "zh" else "spacy"
        if name not in self.fallback:
            self.fallback[name] = make_extractor(name, self.ws)
        return self.fallback[name]

    def extract(
        self, chunks: list[Chunk], progress: Progress | None = None
    ) -> dict[str, Extraction]:
        """Extractions by chunk id; `progress(done, total)` counts chunks over every extractor."""
        groups: dict[int, tuple[Extractor, list[Chunk]]] = {}
        for c in chunks:
            ex = self.pick(c.lang)
            groups.setdefault(id(ex), (ex, []))[1].append(c)
        out: dict[str, Extraction] = {}
        for ex, part in groups.values():
            base = len(out)
            tick = (lambda d, _t, b=base: progress(b + d, len(chunks))) if progress else None
            for x in ex.extract(part, tick):
                out[x.chunk_id] = x
        return out


@dataclass
class _Prepared:
    """One resolved batch, ready to commit."""

    chunks_of: dict[str, list[Chunk]]
    mentions: list[Mention]
    triples: list[Triple]
    merges: list[MergeDecision]
    removed: list[str]  # chunk ids of the document versions this batch replaces
    graph: GraphBatch


def _prepare_batch(ws, batch, analysed: dict, resolver: Resolver) -> _Prepared:
    chunks_of = {doc.id: analysed[doc.id][0] for doc, _ in batch}
    by_id = {c.id: c for cs in chunks_of.values() for c in cs}
    extractions = {cid: x for doc, _ in batch for cid, x in analysed[doc.id][1].items()}
    kept, span_owner, owned = _own_mentions(chunks_of, extractions)
    res = resolver.resolve(list(kept.values()), by_id)
    triples, relations = _relations(extractions, owned, span_owner, res)
    return _Prepared(
        chunks_of=chunks_of,
        mentions=[m for x in kept.values() for m in x.mentions],
        triples=triples,
        merges=res.merges,
        removed=[c.id for _, old in batch if old is not None for c in ws.catalog.chunks(old)],
        graph=GraphBatch(entities=list(res.entities.values()), relations=relations),
    )


def _commit_batch(
    ws, log: GraphLog, batch, p: _Prepared, resolver: Resolver, report: IngestReport
) -> tuple[set, set]:
    """Documents, extractions, merges and the logged graph writes in one transaction; then the graph."""
    with ws.catalog.transaction():
        for doc, old_id in batch:
            if old_id is not None:
                ws.catalog.delete_document(old_id)
            ws.catalog.save_document(doc, p.chunks_of[doc.id])
        ws.catalog.save_extractions(p.mentions, p.triples)
        ws.catalog.save_merges(p.merges)
        seq = log.commit(
            p.removed,
            p.graph,
            resolver,
            chunks_added=[c.id for cs in p.chunks_of.values() for c in cs],
            docs_added=[doc.id for doc, old in batch if old is None],
            docs_replaced={old: doc.id for doc, old in batch if old is not None},
        )
    log.apply(seq, p.removed, p.graph)
    report.added += sum(1 for _, old in batch if old is None)
    report.replaced += sum(1 for _, old in batch if old is not None)
    report.documents += len(batch)
    report.chunks += sum(len(cs) for cs in p.chunks_of.values())
    report.mentions += len(p.mentions)
    report.triples += len(p.triples)
    report.merges += len(p.merges)
    return {e.id for e in p.graph.entities}, {r.id for r in p.graph.relations}


def _own_mentions(chunks_of: dict[str, list[Chunk]], extractions: dict[str, Extraction]):
    """Drop mentions in a chunk's overlap with the previous chunk (already extracted there).

    Returns the trimmed extractions, each chunk's owned start, and a map (chunk id, span) → id of the mention that owns that
    span: itself, or the same span's mention in the previous chunk.
    """
    kept: dict[str, Extraction] = {}
    owned: dict[str, int] = {}
    span_owner: dict[tuple[str, int, int], str] = {}
    by_abs: dict[tuple[str, int, int, str], str] = {}
    for cs in chunks_of.values():
        prev = None
        for c in cs:
            x = extractions.get(c.id) or Extraction(chunk_id=c.id)
            own = owned[c.id] = owned_start(c, prev)
            mine: list[Mention] = []
            for m in x.mentions:
                absolute = (c.doc_id, c.start + m.start, c.start + m.end, m.type)
                if m.start >= own:
                    mine.append(m)
                    by_abs.setdefault(absolute, m.id)
                    span_owner[(c.id, m.start, m.end)] = m.id
                elif absolute in by_abs:
                    span_owner[(c.id, m.start, m.end)] = by_abs[absolute]
            kept[c.id] = Extraction(chunk_id=c.id, mentions=mine, triples=x.triples)
            prev = c
    return kept, span_owner, owned


def _relations(
    extractions, owned: dict[str, int], span_owner, res: Resolution
) -> tuple[list[Triple], list[Relation]]:
    """Resolved triples (both ends known, outside the overlap) grouped into relations with evidence."""
    triples: list[Triple] = []
    relations: dict[str, Relation] = {}
    for chunk_id, x in extractions.items():
        own = owned.get(chunk_id, 0)
        for t in x.triples:
            if max(t.subject_span[0], t.object_span[0]) < own:
                continue
            src = res.mention_entity.get(span_owner.get((chunk_id, *t.subject_span), ""))
            dst = res.mention_entity.get(span_owner.get((chunk_id, *t.object_span), ""))
            if src is None or dst is None or src == dst:
                continue
            if t.kind == "cooccurrence" and dst < src:
                src, dst = dst, src
            rid = content_id(src, t.predicate, dst, t.kind, prefix="rel_")
            rel = relations.get(rid)
            if rel is None:
                rel = relations[rid] = Relation(
                    id=rid, source_id=src, target_id=dst, predicate=t.predicate, kind=t.kind
                )
            rel.evidence.append(
                Evidence(
                    triple_id=t.id,
                    chunk_id=t.chunk_id,
                    doc_id=t.doc_id,
                    sentence=t.sentence,
                    start=t.sentence_start,
                    end=t.sentence_start + len(t.sentence),
                )
            )
            rel.weight = float(len(rel.evidence))
            triples.append(t)
    return triples, list(relations.values())
