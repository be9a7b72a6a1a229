"""Nothing lost: ingest workers killed with SIGKILL at several points, then resumed, end with the graph
of an uninterrupted run, entity for entity, on the embedded store and on a real Neo4j; a second
concurrent ingest is refused with a line naming the running job (real worker processes)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from kg.ingest import ingest
from kgsynth import jobs
from kgsynth.types import JobState
from kgsynth.workspace import Workspace
from tests.fixtures.corpus import bbc_files

BATCH = 3
DOCS = 20


def _wait_for(cond, timeout=180.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _pause_outside_a_catalog_write(ws: Workspace, pid: int) -> None:
    """SIGSTOP the process group `pid` at a moment it holds no catalog write transaction, so the
    paused job keeps the workspace lock without blocking other catalog writers."""
    for _ in range(200):
        os.killpg(pid, signal.SIGSTOP)
        probe = sqlite3.connect(ws.catalog.path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return
        except sqlite3.OperationalError:
            os.killpg(pid, signal.SIGCONT)
            time.sleep(0.01)
        finally:
            probe.close()
    raise AssertionError("the job never left its catalog write")


def _write_docs(folder: Path, files) -> Path:
    folder.mkdir(parents=True)
    for path, label in files:
        text = path.read_text(encoding="utf-8", errors="replace")[:1000]
        (folder / f"{label}-{path.name}").write_text(text, encoding="utf-8")
    return folder


def graph_snapshot(ws: Workspace) -> dict:
    """Everything the graph and the catalog hold, in a comparable form."""
    store = ws.store
    entities = {
        e.id: (e.name, e.type, tuple(e.aliases), e.mentions, tuple(e.chunk_ids), e.lang)
        for e in store.iter_entities()
    }
    relations = {
        r.id: (
            r.source_id,
            r.target_id,
            r.predicate,
            r.kind,
            r.weight,
            tuple(sorted((ev.triple_id, ev.chunk_id, ev.sentence) for ev in r.evidence)),
        )
        for r in store.iter_relations()
    }
    counts = {t: ws.catalog.count(t) for t in ("documents", "chunks", "mentions", "triples")}
    merges = sorted((m.kept_id, m.merged_name, m.reason) for m in ws.catalog.merges())
    return {"entities": entities, "relations": relations, "counts": counts, "merges": merges}


def lost(clean: dict, got: dict) -> dict[str, int]:
    """Records of the clean run missing or different after the kills."""
    out = {}
    for part in ("entities", "relations"):
        out[part] = sum(1 for k, v in clean[part].items() if got[part].get(k) != v)
    clean_ev = {(k, ev) for k, v in clean["relations"].items() for ev in v[5]}
    got_ev = {(k, ev) for k, v in got["relations"].items() for ev in v[5]}
    out["evidence"] = len(clean_ev - got_ev)
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return _write_docs(tmp_path_factory.mktemp("crash") / "docs", bbc_files(DOCS // 5))


@pytest.fixture(scope="module")
def clean_run(corpus, tmp_path_factory, nlp) -> dict:
    with Workspace(tmp_path_factory.mktemp("clean") / "ws") as ws:
        report = ingest(ws, [corpus], batch_docs=BATCH)
        assert report.documents == DOCS and not report.skipped
        return graph_snapshot(ws)


def _kill_at(ws: Workspace, job_id: str, docs: int) -> int:
    """SIGKILL the job's worker once the catalog holds at least `docs` documents."""
    job = ws.catalog.job(job_id)
    _wait_for(lambda: ws.catalog.count("documents") >= docs or jobs.is_alive(job) is False)
    _wait_for(lambda: ws.catalog.job(job_id).pid is not None)
    job = ws.catalog.job(job_id)
    os.killpg(job.pid, signal.SIGKILL)
    _wait_for(lambda: not jobs.is_alive(job))
    return ws.catalog.count("documents")


def _killed_and_resumed(ws: Workspace, corpus: Path, points: list[int]) -> list[int]:
    job = jobs.submit(ws, "ingest", {"paths": [str(corpus)], "batch_docs": BATCH})
    at = []
    for i, docs in enumerate(points):
        at.append(_kill_at(ws, job.id, docs))
        jobs.refresh(ws)
        assert ws.catalog.job(job.id).state == JobState.failed
        if i < len(points) - 1:
            jobs.resume(ws, job.id)
    final = jobs.resume(ws, job.id, background=False)
    assert final.state == JobState.succeeded, final.error
    return at


def test_sigkill_at_three_points_then_resume_loses_nothing(corpus, clean_run, tmp_path, nlp):
    with Workspace(tmp_path / "ws") as ws:
        at = _killed_and_resumed(ws, corpus, [3, 9, 15])
        assert all(0 < n < DOCS for n in at), at  # every kill landed mid-ingest
        got = graph_snapshot(ws)
        assert lost(clean_run, got) == {"entities": 0, "relations": 0, "evidence": 0}
        assert got == clean_run
        again = ingest(ws, [corpus], batch_docs=BATCH)
        assert again.unchanged == DOCS and graph_snapshot(ws) == clean_run
        assert list(ws.catalog.graph_log(ws.store.identity, 0)) == []  # pruned once held


@pytest.mark.neo4j
def test_sigkill_on_neo4j_then_resume_loses_nothing(
    corpus, clean_run, tmp_path, neo4j_store, neo4j_server, monkeypatch
):
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_server.password)
    ws_dir = tmp_path / "ws"
    ws_dir.mkdir()
    (ws_dir / "kgsynth.toml").write_text(
        f'[store]\nkind = "neo4j"\n[store.neo4j]\nuri = "{neo4j_server.uri}"\n', encoding="utf-8"
    )
    with Workspace(ws_dir) as ws:
        at = _killed_and_resumed(ws, corpus, [6, 12])
        assert all(0 < n < DOCS for n in at), at
        got = graph_snapshot(ws)
        assert lost(clean_run, got) == {"entities": 0, "relations": 0, "evidence": 0}
        assert got == clean_run


def test_second_ingest_is_refused_naming_the_running_job(corpus, tmp_path, nlp):
    a_files = sorted(corpus.iterdir())[:12]
    b_files = sorted(corpus.iterdir())[12:]
    with Workspace(tmp_path / "ws") as ws:
        a = jobs.submit(ws, "ingest", {"paths": [str(p) for p in a_files], "batch_docs": 2})
        _wait_for(lambda: ws.catalog.count("documents") >= 2)
        # Pause A mid-ingest (it keeps the lock) so B meets it however fast this machine is.
        a_pid = ws.catalog.job(a.id).pid
        _pause_outside_a_catalog_write(ws, a_pid)
        try:
            b = jobs.submit(ws, "ingest", {"paths": [str(p) for p in b_files], "batch_docs": 2})
            b_done = jobs.wait(ws, b.id, timeout=180)
        finally:
            os.killpg(a_pid, signal.SIGCONT)
        assert b_done.state == JobState.failed
        assert f"being written by job {a.id}" in b_done.error and "\n" not in b_done.error
        assert jobs.wait(ws, a.id, timeout=180).state == JobState.succeeded
        assert jobs.resume(ws, b.id, background=False).state == JobState.succeeded
        got = graph_snapshot(ws)
    with Workspace(tmp_path / "seq") as seq:
        ingest(seq, a_files, batch_docs=2)
        ingest(seq, b_files, batch_docs=2)
        assert got == graph_snapshot(seq)


class TcpProxy:
    """A TCP forwarder to a real server that can be cut like a dead server (refused connections,
    dropped sessions) and restored on the same port, so no second Neo4j has to start."""

    def __init__(self, upstream_port: int):
        self.upstream = ("127.0.0.1", upstream_port)
        self.port = 0
        self.conns: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self) -> TcpProxy:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.listen()
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        with contextlib.suppress(OSError):  # wakes the accept() of the listening thread
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for c in self.conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()
        self.conns = []


@pytest.mark.neo4j
def test_neo4j_gone_mid_ingest_fails_fast_then_resumes(
    corpus, clean_run, tmp_path, neo4j_store, neo4j_server, monkeypatch
):
    """The store goes away after two batches: one line, no retry storm; back again, a re-run
    writes the logged batch it missed and the rest, and the graph is the clean run's."""
    from kgsynth.errors import StoreError

    proxy = TcpProxy(int(neo4j_server.uri.rsplit(":", 1)[1])).start()
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_server.password)
    ws_dir = tmp_path / "ws"
    ws_dir.mkdir()
    (ws_dir / "kgsynth.toml").write_text(
        f'[store]\nkind = "neo4j"\n[store.neo4j]\nuri = "bolt://127.0.0.1:{proxy.port}"\n',
        encoding="utf-8",
    )
    stopped: list[float] = []

    def cut_after_two_batches(done: int, total: int) -> None:
        if done >= 2 * BATCH and not stopped:
            proxy.stop()
            stopped.append(time.monotonic())

    try:
        with Workspace(ws_dir) as ws:
            with pytest.raises(StoreError) as err:
                ingest(ws, [corpus], batch_docs=BATCH, progress=cut_after_two_batches)
            assert time.monotonic() - stopped[0] < 30 and "\n" not in str(err.value)
            assert "unreachable" in str(err.value) and "next ingest" in str(err.value)
            assert ws.catalog.count("documents") == 2 * BATCH  # the catalog holds the batch
        proxy.start()  # the server is back, on the same address
        with Workspace(ws_dir) as ws:
            report = ingest(ws, [corpus], batch_docs=BATCH)
            assert report.unchanged == 2 * BATCH and report.added == DOCS - 2 * BATCH
            got = graph_snapshot(ws)
        assert lost(clean_run, got) == {"entities": 0, "relations": 0, "evidence": 0}
        assert got == clean_run
    finally:
        proxy.stop()
