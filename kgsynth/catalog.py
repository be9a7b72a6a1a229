"""The workspace catalog: one SQLite file with ordered, named migrations.

It holds documents, chunks, extracted mentions and triples, entity merge decisions, dataset versions
and their examples, review decisions, jobs and their logs, exports and fine-tuning runs, the
generation cache, and the graph write-ahead log (each ingest batch's graph writes, committed with
its documents; see kg/commit.py).
Every write goes through a transaction; readers open their own connection (WAL mode), so a worker
process and the UI can share one catalog. A catalog on a read-only disk opens read-only: reading
works and a write fails with one line (:class:`WorkspaceError`), as does a write to a full disk.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kgsynth.errors import NotFoundError, WorkspaceError
from kgsynth.types import (
    Chunk,
    DatasetVersion,
    Document,
    Example,
    ExportRecord,
    GraphDelta,
    Job,
    Mention,
    MergeDecision,
    ReviewDecision,
    RunRecord,
    Triple,
    utcnow,
)

# Append only: a migration, once released, never changes. Add new ones at the end.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_documents",
        """
        CREATE TABLE documents (
            id TEXT PRIMARY KEY, source TEXT NOT NULL UNIQUE, title TEXT, lang TEXT,
            metadata TEXT, text TEXT NOT NULL, ingested_at TEXT NOT NULL);
        CREATE TABLE chunks (
            id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, idx INTEGER NOT NULL, text TEXT NOT NULL,
            start INTEGER, end INTEGER, lang TEXT);
        CREATE INDEX chunks_doc ON chunks(doc_id);
        CREATE TABLE mentions (id TEXT PRIMARY KEY, chunk_id TEXT NOT NULL, doc_id TEXT NOT NULL,
            data TEXT NOT NULL);
        CREATE INDEX mentions_chunk ON mentions(chunk_id);
        CREATE TABLE triples (id TEXT PRIMARY KEY, chunk_id TEXT NOT NULL, doc_id TEXT NOT NULL,
            data TEXT NOT NULL);
        CREATE INDEX triples_chunk ON triples(chunk_id);
        CREATE TABLE entity_merges (id INTEGER PRIMARY KEY AUTOINCREMENT, kept_id TEXT,
            kept_name TEXT, merged_name TEXT, reason TEXT, score REAL, created_at TEXT,
            UNIQUE(kept_id, merged_name));
        """,
    ),
    (
        "0002_datasets",
        """
        CREATE TABLE examples (id TEXT PRIMARY KEY, data TEXT NOT NULL);
        CREATE TABLE dataset_versions (id TEXT PRIMARY KEY, name TEXT NOT NULL, stage TEXT,
            data TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE INDEX dataset_versions_name ON dataset_versions(name);
        CREATE TABLE dataset_examples (version_id TEXT NOT NULL, position INTEGER NOT NULL,
            example_id TEXT NOT NULL, PRIMARY KEY (version_id, position));
        CREATE INDEX dataset_examples_example ON dataset_examples(example_id);
        CREATE TABLE review_decisions (id TEXT PRIMARY KEY, example_id TEXT NOT NULL,
            version_id TEXT NOT NULL, data TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE INDEX review_example ON review_decisions(example_id);
        """,
    ),
    (
        "0003_jobs",
        """
        CREATE TABLE jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL,
            data TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE TABLE job_logs (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL,
            ts TEXT NOT NULL, line TEXT NOT NULL);
        CREATE INDEX job_logs_job ON job_logs(job_id);
        """,
    ),
    (
        "0004_generation_cache",
        """
        CREATE TABLE generation_cache (key TEXT PRIMARY KEY, generator TEXT NOT NULL,
            request TEXT NOT NULL, completion TEXT NOT NULL, created_at TEXT NOT NULL);
        """,
    ),
    (
        "0005_job_control",
        """
        CREATE TABLE job_control (job_id TEXT PRIMARY KEY,
            cancel_requested INTEGER NOT NULL DEFAULT 0, updated_at TEXT);
        """,
    ),
    (
        "0006_graph_log",
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('workspace_id', lower(hex(randomblob(16))));
        CREATE TABLE graph_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, store TEXT NOT NULL,
            data BLOB NOT NULL, created_at TEXT NOT NULL);
        CREATE INDEX graph_log_store ON graph_log(store, seq);
        CREATE TABLE ingest_state (store TEXT PRIMARY KEY, seq INTEGER NOT NULL,
            data BLOB NOT NULL);
        """,
    ),
    (
        # What each ingest batch changed in the graph (kg/delta.py): `before` holds the batch's
        # snapshot until it is written to the graph, then `data` its GraphDelta.
        "0008_graph_deltas",
        """
        CREATE TABLE graph_deltas (seq INTEGER NOT NULL, store TEXT NOT NULL,
            before BLOB, data TEXT, created_at TEXT NOT NULL, PRIMARY KEY (store, seq));
        """,
    ),
    (
        # Exports and fine-tuning runs are rows, so the app lists them instead of scanning folders;
        # those that succeeded jobs made before this migration are read from the jobs' results.
        "0009_exports_and_runs",
        """
        CREATE TABLE exports (path TEXT PRIMARY KEY, version TEXT NOT NULL, format TEXT NOT NULL,
            data TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE TABLE runs (path TEXT PRIMARY KEY, kind TEXT NOT NULL, data TEXT NOT NULL,
            created_at TEXT NOT NULL);
        INSERT OR REPLACE INTO exports
        SELECT path, version, format, json_object('path', path, 'version', version,
                'format', format, 'counts', json(counts), 'files', json(files),
                'warnings', json(warnings), 'created_at', at), at
        FROM (SELECT json_extract(data, '$.result.path') AS path,
                json_extract(data, '$.params.version') AS version,
                json_extract(data, '$.params.format') AS format,
                coalesce(json_extract(data, '$.result.counts'), '{}') AS counts,
                coalesce(json_extract(data, '$.result.files'), '[]') AS files,
                coalesce(json_extract(data, '$.result.warnings'), '[]') AS warnings,
                coalesce(json_extract(data, '$.finished_at'), created_at) AS at
            FROM jobs WHERE kind = 'export' AND state = 'succeeded' ORDER BY created_at)
        WHERE path IS NOT NULL AND version IS NOT NULL AND format IS NOT NULL;
        INSERT OR REPLACE INTO runs
        SELECT path, kind, json_object('path', path, 'kind', kind, 'data', trained_on,
                'metrics', json(metrics), 'report', report, 'job_id', id, 'created_at', at), at
        FROM (SELECT id, kind, json_extract(data, '$.result.out') AS path,
                json_extract(data, '$.params.data') AS trained_on,
                coalesce(json_extract(data, '$.result.eval'), json_extract(data, '$.result.test'),
                    '{}') AS metrics,
                json_extract(data, '$.artifacts.eval_json') AS report,
                coalesce(json_extract(data, '$.finished_at'), created_at) AS at
            FROM jobs WHERE kind IN ('train_classifier', 'train_sft', 'train_reader')
                AND state = 'succeeded' ORDER BY created_at)
        WHERE path IS NOT NULL AND trained_on IS NOT NULL
        """,
    ),
]
SQLITE_BUSY, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN = 5, 8, 10, 13, 14


class Catalog:
    """Typed access to the workspace's SQLite catalog."""

    def __init__(self, path: Path | str):
        self.path = Path(path).absolute()
        self.read_only = False
        self.unwritable: str | None = None  # "read-only" or "full": why the disk refuses writes
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise WorkspaceError(f"cannot create {self.path.parent}: {e.strerror or e}") from e
        self._local = threading.local()
        self.migrate()

    # ------------------------------------------------------------ plumbing

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as e:
            conn.close()
            self.unwritable = _why_unwritable(self.path.parent)
            if not self.path.exists() or self.unwritable is None:
                raise self._error(e, "open") from e
            return self._connect_read_only(e)  # a read-only or full disk: reading still works
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def _connect_read_only(self, cause: sqlite3.Error) -> sqlite3.Connection:
        """A read-only disk: open read-only (``immutable`` when SQLite cannot make its -shm file)."""
        for mode in ("mode=ro", "immutable=1"):
            conn = sqlite3.connect(f"{self.path.as_uri()}?{mode}", uri=True, isolation_level=None)
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.Error:
                conn.close()
                continue
            self.read_only = True
            return conn
        raise self._error(cause, "open")

    def _error(self, e: sqlite3.Error, doing: str = "write") -> WorkspaceError:
        """One line for what a user can fix: a read-only or full disk, a lock held too long."""
        code = getattr(e, "sqlite_errorcode", 0) & 0xFF
        if code in (SQLITE_FULL, SQLITE_IOERR, SQLITE_CANTOPEN):
            self.unwritable = self.unwritable or _why_unwritable(self.path.parent)
        if code == SQLITE_FULL or self.unwritable == "full":
            return WorkspaceError(
                f"no space left on the disk holding {self.path} (mounted at "
                f"{_mount_point(self.path)}); free some space and retry"
            )
        if code == SQLITE_READONLY or self.read_only:
            return WorkspaceError(
                f"{self.path} is read-only: reading works, writing does not; "
                "use a writable workspace (-w DIR)"
            )
        if code == SQLITE_BUSY:
            return WorkspaceError(f"{self.path} stayed locked by another process; retry")
        return WorkspaceError(f"cannot {doing} {self.path}: {e}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn
        if conn.in_transaction:  # nested: join the outer transaction
            yield conn
            return
        if self.read_only:
            raise self._error(sqlite3.OperationalError("read-only"))
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException as e:
            if conn.in_transaction:  # SQLite rolls back by itself after some errors (disk full)
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            if isinstance(e, sqlite3.OperationalError) and _is_storage_error(e):
                raise self._error(e) from e
            raise

    def migrate(self) -> list[str]:
        conn = self.conn
        if self.read_only:  # readers of an older catalog still work; writes fail anyway
            return []
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
            )
        except sqlite3.OperationalError as e:
            raise self._error(e, "create") from e
        done = {r[0] for r in conn.execute("SELECT name FROM migrations")}
        applied = []
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.transaction() as tx:
                for statement in sql.split(";"):
                    if statement.strip():
                        tx.execute(statement)
                tx.execute("INSERT INTO migrations VALUES (?, ?)", (name, utcnow()))
            applied.append(name)
        return applied

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # ------------------------------------------------------------ documents and chunks

    def document_by_source(self, source: str) -> Document | None:
        row = self.conn.execute(
            "SELECT id, source, title, lang, metadata, text FROM documents WHERE source = ?",
            (source,),
        ).fetchone()
        return _document(row) if row else None

    def document(self, doc_id: str) -> Document | None:
        row = self.conn.execute(
            "SELECT id, source, title, lang, metadata, text FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()
        return _document(row) if row else None

    def iter_documents(self) -> Iterator[Document]:
        cur = self.conn.execute("SELECT id, source, title, lang, metadata, text FROM documents")
        for row in cur:
            yield _document(row)

    def count(self, table: str) -> int:
        if table not in {"documents", "chunks", "mentions", "triples", "examples", "jobs"}:
            raise ValueError(table)
        return self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    def save_document(self, doc: Document, chunks: list[Chunk]) -> None:
        """Insert a document and its chunks (the caller removed any older version first)."""
        with self.transaction() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    doc.id,
                    doc.source,
                    doc.title,
                    doc.lang,
                    json.dumps(doc.metadata, ensure_ascii=False),
                    doc.text,
                    utcnow(),
                ),
            )
            tx.executemany(
                "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(c.id, c.doc_id, c.index, c.text, c.start, c.end, c.lang) for c in chunks],
            )

    def delete_document(self, doc_id: str) -> list[str]:
        """Delete a document with its chunks, mentions and triples; return the chunk ids removed."""
        with self.transaction() as tx:
            chunk_ids = [
                r[0] for r in tx.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))
            ]
            tx.execute("DELETE FROM mentions WHERE doc_id = ?", (doc_id,))
            tx.execute("DELETE FROM triples WHERE doc_id = ?", (doc_id,))
            tx.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            tx.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
        return chunk_ids

    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        sql = "SELECT id, doc_id, idx, text, start, end, lang FROM chunks"
        args: tuple = ()
        if doc_id is not None:
            sql += " WHERE doc_id = ? ORDER BY idx"
            args = (doc_id,)
        return [_chunk(r) for r in self.conn.execute(sql, args)]

    def iter_chunks(self) -> Iterator[Chunk]:
        for row in self.conn.execute("SELECT id, doc_id, idx, text, start, end, lang FROM chunks"):
            yield _chunk(row)

    def chunk(self, chunk_id: str) -> Chunk | None:
        row = self.conn.execute(
            "SELECT id, doc_id, idx, text, start, end, lang FROM chunks WHERE id = ?", (chunk_id,)
        ).fetchone()
        return _chunk(row) if row else None

    # ------------------------------------------------------------ extraction results

    def save_extractions(self, mentions: Iterable[Mention], triples: Iterable[Triple]) -> None:
        with self.transaction() as tx:
            tx.executemany(
                "INSERT OR REPLACE INTO mentions VALUES (?, ?, ?, ?)",
                [(m.id, m.chunk_id, m.doc_id, m.model_dump_json()) for m in mentions],
            )
            tx.executemany(
                "INSERT OR REPLACE INTO triples VALUES (?, ?, ?, ?)",
                [(t.id, t.chunk_id, t.doc_id, t.model_dump_json()) for t in triples],
            )

    def iter_mentions(self, chunk_ids: Iterable[str] | None = None) -> Iterator[Mention]:
        yield from self._iter_json("mentions", Mention, chunk_ids)

    def iter_triples(self, chunk_ids: Iterable[str] | None = None) -> Iterator[Triple]:
        yield from self._iter_json("triples", Triple, chunk_ids)

    def triple(self, triple_id: str) -> Triple | None:
        row = self.conn.execute("SELECT data FROM triples WHERE id = ?", (triple_id,)).fetchone()
        return Triple.model_validate_json(row[0]) if row else None

    def _iter_json(self, table: str, model, chunk_ids):
        if chunk_ids is None:
            for (data,) in self.conn.execute(f"SELECT data FROM {table}"):
                yield model.model_validate_json(data)
            return
        ids = list(chunk_ids)
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            marks = ",".join("?" * len(part))
            sql = f"SELECT data FROM {table} WHERE chunk_id IN ({marks})"
            for (data,) in self.conn.execute(sql, part):
                yield model.model_validate_json(data)

    def save_merges(self, merges: Iterable[MergeDecision]) -> None:
        with self.transaction() as tx:
            tx.executemany(
                "INSERT OR IGNORE INTO entity_merges (kept_id, kept_name, merged_name, reason,"
                " score, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (m.kept_id, m.kept_name, m.merged_name, m.reason, m.score, utcnow())
                    for m in merges
                ],
            )

    def merges(self, limit: int | None = None) -> list[MergeDecision]:
        sql = "SELECT kept_id, kept_name, merged_name, reason, score FROM entity_merges ORDER BY id"
        rows = self.conn.execute(sql + (f" LIMIT {int(limit)}" if limit else ""))
        return [
            MergeDecision(kept_id=a, kept_name=b, merged_name=c, reason=d, score=e)
            for a, b, c, d, e in rows
        ]

    # ------------------------------------------------------------ datasets

    def save_dataset(self, version: DatasetVersion, examples: list[Example]) -> DatasetVersion:
        """Store an immutable dataset version; the examples keep their order. A sharded version
        (``version.shards``, see kgsynth.shards) is stored as its row only, with its own count."""
        if not version.shards:
            version = version.model_copy(update={"count": len(examples)})
        with self.transaction() as tx:
            if tx.execute("SELECT 1 FROM dataset_versions WHERE id=?", (version.id,)).fetchone():
                return self.dataset(version.id)
            tx.executemany(
                "INSERT OR IGNORE INTO examples VALUES (?, ?)",
                [(e.id, e.model_dump_json()) for e in examples],
            )
            tx.executemany(
                "INSERT INTO dataset_examples VALUES (?, ?, ?)",
                [(version.id, i, e.id) for i, e in enumerate(examples)],
            )
            tx.execute(
                "INSERT INTO dataset_versions VALUES (?, ?, ?, ?, ?)",
                (
                    version.id,
                    version.name,
                    version.stage,
                    version.model_dump_json(),
                    version.created_at,
                ),
            )
        return version

    def dataset(self, ref: str) -> DatasetVersion:
        """A version by id, or the newest version with that name."""
        row = self.conn.execute(
            "SELECT data FROM dataset_versions WHERE id = ? OR name = ?"
            " ORDER BY (id = ?) DESC, created_at DESC, rowid DESC LIMIT 1",
            (ref, ref, ref),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no dataset version or name {ref!r}; see `kgsynth data list`")
        return DatasetVersion.model_validate_json(row[0])

    def datasets(self) -> list[DatasetVersion]:
        rows = self.conn.execute("SELECT data FROM dataset_versions ORDER BY created_at, rowid")
        return [DatasetVersion.model_validate_json(r[0]) for r in rows]

    def examples(self, version_id: str) -> list[Example]:
        return list(self.iter_examples(version_id))

    def iter_examples(self, version_id: str) -> Iterator[Example]:
        """A version's examples in order, streamed (from its Parquet shards when it has them)."""
        row = self.conn.execute(
            "SELECT data FROM dataset_versions WHERE id = ?", (version_id,)
        ).fetchone()
        shards = DatasetVersion.model_validate_json(row[0]).shards if row else []
        if shards:
            from kgsynth.shards import iter_examples

            yield from iter_examples(shards, self.path.parent)
            return
        rows = self.conn.execute(
            "SELECT e.data FROM dataset_examples d JOIN examples e ON e.id = d.example_id"
            " WHERE d.version_id = ? ORDER BY d.position",
            (version_id,),
        )
        for r in rows:
            yield Example.model_validate_json(r[0])

    def example(self, example_id: str) -> Example | None:
        row = self.conn.execute("SELECT data FROM examples WHERE id = ?", (example_id,)).fetchone()
        return Example.model_validate_json(row[0]) if row else None

    def save_review(self, decision: ReviewDecision) -> None:
        with self.transaction() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO review_decisions VALUES (?, ?, ?, ?, ?)",
                (
                    decision.id,
                    decision.example_id,
                    decision.version_id,
                    decision.model_dump_json(),
                    decision.created_at,
                ),
            )

    def reviews(self, example_ids: Iterable[str] | None = None) -> list[ReviewDecision]:
        """Review decisions, oldest first (so the latest decision per example wins when folded)."""
        rows = self.conn.execute("SELECT data FROM review_decisions ORDER BY created_at, rowid")
        out = [ReviewDecision.model_validate_json(r[0]) for r in rows]
        if example_ids is not None:
            wanted = set(example_ids)
            out = [d for d in out if d.example_id in wanted]
        return out

    # ------------------------------------------------------------ jobs

    def save_job(self, job: Job) -> None:
        with self.transaction() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?, ?)",
                (job.id, job.kind, job.state.value, job.model_dump_json(), job.created_at),
            )

    def job(self, job_id: str) -> Job:
        row = self.conn.execute("SELECT data FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no job {job_id!r}; see `kgsynth jobs list`")
        return Job.model_validate_json(row[0])

    def jobs(self, limit: int = 100) -> list[Job]:
        rows = self.conn.execute(
            "SELECT data FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,)
        )
        return [Job.model_validate_json(r[0]) for r in rows]

    def update_job(self, job_id: str, **changes) -> Job:
        """Change some fields of a job atomically (read-modify-write in one transaction)."""
        with self.transaction() as tx:
            row = tx.execute("SELECT data FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no job {job_id!r}; see `kgsynth jobs list`")
            job = Job.model_validate_json(row[0]).model_copy(update=changes)
            job = Job.model_validate(job.model_dump())
            tx.execute(
                "INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?, ?)",
                (job.id, job.kind, job.state.value, job.model_dump_json(), job.created_at),
            )
        return job

    def set_cancel_requested(self, job_id: str, requested: bool = True) -> None:
        """Raise (or clear) a job's cancel flag; the job's worker polls it."""
        with self.transaction() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO job_control (job_id, cancel_requested, updated_at)"
                " VALUES (?, ?, ?)",
                (job_id, int(requested), utcnow()),
            )

    def cancel_requested(self, job_id: str) -> bool:
        row = self.conn.execute(
            "SELECT cancel_requested FROM job_control WHERE job_id = ?", (job_id,)
        ).fetchone()
        return bool(row and row[0])

    def log(self, job_id: str, line: str) -> None:
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO job_logs (job_id, ts, line) VALUES (?, ?, ?)", (job_id, utcnow(), line)
            )

    def logs(self, job_id: str, tail: int | None = None) -> list[str]:
        rows = [
            f"{ts} {line}"
            for ts, line in self.conn.execute(
                "SELECT ts, line FROM job_logs WHERE job_id = ? ORDER BY id", (job_id,)
            )
        ]
        return rows[-tail:] if tail else rows

    # ------------------------------------------------------------ graph write-ahead log

    def workspace_id(self) -> str:
        """A random id made with the catalog: names this workspace in a shared graph database."""
        return self.conn.execute("SELECT value FROM meta WHERE key = 'workspace_id'").fetchone()[0]

    def log_graph_batch(self, store: str, data: bytes) -> int:
        """Append one batch of graph writes for `store`; returns its sequence number.

        Call it inside the transaction that saves the batch's documents, so both commit together.
        """
        with self.transaction() as tx:
            cur = tx.execute(
                "INSERT INTO graph_log (store, data, created_at) VALUES (?, ?, ?)",
                (store, data, utcnow()),
            )
            return int(cur.lastrowid)

    def graph_log(self, store: str, after: int) -> Iterator[tuple[int, bytes]]:
        """The logged batches of `store` with a sequence number above `after`, in order."""
        rows = self.conn.execute(
            "SELECT seq FROM graph_log WHERE store = ? AND seq > ? ORDER BY seq", (store, after)
        ).fetchall()
        for (seq,) in rows:  # one batch in memory at a time
            row = self.conn.execute("SELECT data FROM graph_log WHERE seq = ?", (seq,)).fetchone()
            yield seq, row[0]

    def prune_graph_log(self, store: str, upto: int) -> None:
        """Forget the logged batches that the store holds durably (sequence <= `upto`)."""
        with self.transaction() as tx:
            tx.execute("DELETE FROM graph_log WHERE store = ? AND seq <= ?", (store, upto))

    def save_ingest_state(self, store: str, seq: int, data: bytes) -> None:
        """The ingest state (entity resolver) after batch `seq` of `store`; replaces the last one."""
        with self.transaction() as tx:
            tx.execute("INSERT OR REPLACE INTO ingest_state VALUES (?, ?, ?)", (store, seq, data))

    def ingest_state(self, store: str) -> tuple[int, bytes] | None:
        row = self.conn.execute(
            "SELECT seq, data FROM ingest_state WHERE store = ?", (store,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    # ------------------------------------------------------------ exports and runs

    def save_export(self, record: ExportRecord) -> None:
        with self.transaction() as tx:
            row = (record.path, record.version, record.format, record.model_dump_json())
            tx.execute(
                "INSERT OR REPLACE INTO exports VALUES (?, ?, ?, ?, ?)", (*row, record.created_at)
            )

    def exports(self) -> list[ExportRecord]:
        """Every export, newest first."""
        rows = self.conn.execute("SELECT data FROM exports ORDER BY created_at DESC, rowid DESC")
        return [ExportRecord.model_validate_json(r[0]) for r in rows]

    def save_run(self, record: RunRecord) -> None:
        with self.transaction() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?)",
                (record.path, record.kind, record.model_dump_json(), record.created_at),
            )

    def runs(self, kind: str | None = None) -> list[RunRecord]:
        """Every fine-tuning run (of one job kind), newest first."""
        rows = self.conn.execute(
            "SELECT data FROM runs WHERE ?1 IS NULL OR kind = ?1"
            " ORDER BY created_at DESC, rowid DESC",
            (kind,),
        )
        return [RunRecord.model_validate_json(r[0]) for r in rows]

    # ------------------------------------------------------------ graph deltas (kg/delta.py)

    def save_delta_snapshot(self, store: str, seq: int, before: bytes) -> None:
        """Batch `seq`'s delta in the making (kg/delta.py): what it adds and removes, then the
        graph before it is written."""
        with self.transaction() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO graph_deltas VALUES (?, ?, ?, NULL, ?)",
                (seq, store, before, utcnow()),
            )

    def delta_snapshot(self, store: str, seq: int) -> bytes | None:
        """The snapshot of a batch whose delta is not recorded yet, else None."""
        row = self.conn.execute(
            "SELECT before FROM graph_deltas WHERE store = ? AND seq = ? AND data IS NULL",
            (store, seq),
        ).fetchone()
        return row[0] if row else None

    def pending_deltas(self, store: str) -> list[int]:
        """The batches of `store` snapshotted but without a recorded delta yet."""
        rows = self.conn.execute(
            "SELECT seq FROM graph_deltas WHERE store = ? AND data IS NULL ORDER BY seq", (store,)
        )
        return [r[0] for r in rows]

    def save_delta(self, delta: GraphDelta) -> None:
        """Record a batch's delta (its snapshot is dropped)."""
        with self.transaction() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO graph_deltas VALUES (?, ?, NULL, ?, ?)",
                (delta.seq, delta.store, delta.model_dump_json(), delta.created_at),
            )

    def deltas(self, store: str, after_seq: int = 0, since: str | None = None) -> list[GraphDelta]:
        """The recorded deltas of `store`'s graph in order: those after batch `after_seq` (and
        made at `since` or later, when given)."""
        rows = self.conn.execute(
            "SELECT data FROM graph_deltas WHERE store = ? AND data IS NOT NULL AND seq > ?"
            " AND (? IS NULL OR created_at >= ?) ORDER BY seq",
            (store, after_seq, since, since),
        )
        return [GraphDelta.model_validate_json(r[0]) for r in rows]

    def last_delta_seq(self) -> int:
        """The number of the newest ingest batch with a recorded delta (0: none)."""
        row = self.conn.execute("SELECT max(seq) FROM graph_deltas").fetchone()
        return int(row[0] or 0)

    def sources(self) -> dict[str, str]:
        """Every document's source and id (without loading texts)."""
        return dict(self.conn.execute("SELECT source, id FROM documents"))

    # ------------------------------------------------------------ generation cache

    def cache_get(self, key: str) -> str | None:
        row = self.conn.execute(
            "SELECT completion FROM generation_cache WHERE key = ?", (key,)
        ).fetchone()
        return row[0] if row else None

    def cache_put(self, key: str, generator: str, request: str, completion: str) -> None:
        with self.transaction() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO generation_cache VALUES (?, ?, ?, ?, ?)",
                (key, generator, request, completion, utcnow()),
            )


def _is_storage_error(e: sqlite3.Error) -> bool:
    code = getattr(e, "sqlite_errorcode", 0) & 0xFF
    return code in (SQLITE_BUSY, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN)


def _why_unwritable(directory: Path) -> str | None:
    """ "read-only" or "full" when the disk holding `directory` refuses writes, else None."""
    if not os.access(directory, os.W_OK):
        return "read-only"
    try:
        st = os.statvfs(directory)
    except OSError:
        return None
    return "full" if st.f_bavail * st.f_frsize < 256 * 1024 else None


def _mount_point(path: Path) -> Path:
    """The mount point of the file system that holds `path` (the disk to name in an error)."""
    path = path if path.exists() else path.parent
    with contextlib.suppress(OSError):
        dev = path.stat().st_dev
        while path.parent != path and path.parent.stat().st_dev == dev:
            path = path.parent
    return path


def _document(row) -> Document:
    doc_id, source, title, lang, metadata, text = row
    return Document(
        id=doc_id,
        source=source,
        title=title or "",
        lang=lang or "en",
        metadata=json.loads(metadata or "{}"),
        text=text,
    )


def _chunk(row) -> Chunk:
    cid, doc_id, idx, text, start, end, lang = row
    return Chunk(
        id=cid, doc_id=doc_id, index=idx, text=text, start=start, end=end, lang=lang or "en"
    )
