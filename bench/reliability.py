"""Nothing lost, nothing let in (issue 22): hostile inputs, kills and the cost of durable ingest.

1. hostile: hostile files ingested one by one through the real ``kgsynth`` CLI, bad CLI calls,
   runaway templates, and obfuscated write/file/admin console queries on the embedded store (and a
   real Neo4j with ``--neo4j``). Each outcome is a clear error (one ``error:`` line, non-zero exit;
   or a file skipped with its reason), a traceback, a silent exit 0, or a hang.
2. kills: an ingest job's worker is SIGKILLed at N points and resumed; the graph is compared with an
   uninterrupted run's, entity for entity (records lost).
3. speed: ingest of BBC articles with the crash-consistent commit (catalog log + resolver state per
   batch, workspace lock) vs the same ingest writing the graph directly, as before (baseline).

    .venv/bin/python bench/reliability.py                # all parts, 200 articles for speed
    .venv/bin/python bench/reliability.py --quick        # smaller: 60 articles, 2 kill points
    .venv/bin/python bench/reliability.py --neo4j        # also the console and kills on Neo4j
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kg import commit as commit_module  # noqa: E402
from kg import ingest as ingest_module  # noqa: E402
from kg.ingest import ingest  # noqa: E402
from kgsynth import jobs  # noqa: E402
from kgsynth.errors import KgsynthError  # noqa: E402
from kgsynth.workspace import Workspace  # noqa: E402
from synth.templates import TemplateError, TemplateLibrary  # noqa: E402
from tests.fixtures.corpus import bbc_files  # noqa: E402
from tests.test_console_guard import HOSTILE as CONSOLE  # noqa: E402
from tests.test_crash import graph_snapshot, lost  # noqa: E402
from tests.test_hostile_files import hostile_folder  # noqa: E402
from tests.test_template_limits import RUNAWAY  # noqa: E402

OUT = Path(__file__).parent / "results" / "reliability"
CLI = [sys.executable, "-c", "from kgsynth.app.cli import main; main()"]
ENV = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")


def bad_calls(ws: str, tmp: Path) -> list[list[str]]:
    """Wrong CLI calls a user makes; each must fail with one line and a non-zero exit."""
    (tmp / "schema.yaml").write_text("labels: [oops", encoding="utf-8")
    (tmp / "notes.txt").write_text("x", encoding="utf-8")
    return [
        ["-w", ws, "synth", "qa", "-n", "-5"],
        ["-w", ws, "synth", "qa", "-n", "0"],
        ["-w", ws, "synth", "qa", "--generator", "nosuch"],
        ["-w", ws, "synth", "qa", "-t", "nosuchtype"],
        ["-w", ws, "synth", "classify", "--schema", "/nonexistent.yaml"],
        ["-w", ws, "synth", "classify", "--schema", str(tmp / "schema.yaml")],
        ["-w", ws, "train", "classifier", "/nonexistent"],
        ["-w", ws, "train", "classifier", str(tmp)],
        ["-w", ws, "evaluate", "/nonexistent", "/nonexistent.jsonl"],
        ["-w", "/proc/ws", "datasets", "list"],
        ["-w", "/proc/ws", "ingest", str(tmp / "notes.txt")],
        ["-w", "/nonexistent/deep/ws", "graph", "stats"],
        ["-w", str(tmp / "notes.txt"), "datasets", "list"],
        ["-w", ws, "ingest", "/nonexistent"],
        ["-w", ws, "ingest", str(tmp / "empty-folder")],
        ["-w", ws, "ingest", "--on-error", "bogus", str(tmp / "notes.txt")],
        ["-w", ws, "ingest", "--extractor", "nosuch", str(tmp / "notes.txt")],
        ["-w", ws, "graph", "show", "No Such Entity Anywhere"],
        ["-w", ws, "graph", "path", "No Such A", "No Such B"],
        ["-w", ws, "graph", "query", "CREATE (n)"],
        ["-w", ws, "graph", "query", "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l"],
        ["-w", ws, "graph", "export", "--format", "bogus", "-o", str(tmp / "g.out")],
        ["-w", ws, "--store", "neo4j", "graph", "stats"],
        ["-w", ws, "datasets", "show", "nosuch"],
        ["-w", ws, "export", "nosuch", "--format", "alpaca"],
        ["-w", ws, "export", "nosuch", "--format", "bogus"],
        ["-w", ws, "clean", "nosuch"],
        ["-w", ws, "annotate", "nosuch"],
        ["-w", ws, "augment", "nosuch"],
        ["-w", ws, "jobs", "show", "nosuch"],
        ["-w", ws, "jobs", "cancel", "nosuch"],
        ["-w", ws, "jobs", "resume", "nosuch"],
        ["-w", ws, "jobs", "logs", "nosuch"],
        ["-w", ws, "compare", "/nonexistent"],
        ["-w", ws, "--engine", "nosuch", "graph", "stats"],
        ["-w", ws, "synth", "preview", "-t", "../../etc/passwd"],
        ["-w", ws, "synth", "preview", "-t", "nosuch_template"],
        ["-w", ws, "nosuchcommand"],
        ["-w", ws, "graph", "search"],
        ["-w", ws, "ui", "--host", "0.0.0.0", "--port", "7999"],
    ]


def run_cli(args: list[str], timeout: float = 300) -> dict:
    """Run one kgsynth command; its outcome: clear (one ``error:`` line and a non-zero exit),
    traceback, exit 0 (a mistake that passed silently), unclear, or hang."""
    started = time.perf_counter()
    try:
        p = subprocess.run(CLI + args, capture_output=True, text=True, timeout=timeout, env=ENV)
    except subprocess.TimeoutExpired:
        return {"args": args, "outcome": "hang", "seconds": timeout, "out": ""}
    out = (p.stdout + p.stderr).strip()
    last = out.splitlines()[-1] if out else ""
    if "Traceback" in out:
        outcome = "traceback"
    elif p.returncode == 0:
        outcome = "exit 0"
    elif last.lower().startswith("error:") and len(last) < 600:
        outcome = "clear"
    else:
        outcome = "unclear"
    seconds = round(time.perf_counter() - started, 1)
    return {"args": args, "rc": p.returncode, "outcome": outcome, "seconds": seconds, "out": out}


def file_outcome(r: dict, reason: str | None) -> str:
    """A hostile file's ingest is clear when it is read, or skipped with its reason, or fails
    with one error line; never a traceback or a hang."""
    if r["outcome"] in ("traceback", "hang", "clear"):
        return r["outcome"]
    if r["outcome"] == "exit 0":
        if reason is None:
            return (
                "clear"
                if "ingested 1 documents" in r["out"] or "ingested" in r["out"]
                else "unclear"
            )
        return "clear" if reason in r["out"] else "unclear"
    return "unclear"


def hostile_part(tmp: Path, neo4j_uri: str | None, password: str | None, parts: list) -> dict:
    ws = tmp / "ws"
    out: dict = {}
    if "files" in parts:
        out["files"] = files_part(tmp, ws)
    if "cli" in parts:
        (tmp / "empty-folder").mkdir(parents=True)
        out["cli"] = [run_cli(a, timeout=120) for a in bad_calls(str(ws), tmp)]
    if "templates" in parts:
        out["templates"] = templates_part(tmp)
    if "console" in parts:
        out["console"] = {"embedded": console_part(ws, None, None)}
        if neo4j_uri:
            out["console"]["neo4j"] = console_part(ws, neo4j_uri, password)
    return out


def files_part(tmp: Path, ws: Path) -> list[dict]:
    folder, expect = hostile_folder(tmp / "files")
    files = []
    for path in sorted(folder.iterdir()):
        if path.is_symlink() or not path.is_file():
            continue
        r = run_cli(["-w", str(ws), "ingest", str(path)])
        name = os.fsencode(path.name).decode("utf-8", "backslashreplace")
        r["outcome"] = file_outcome(r, expect.get(name))
        files.append({"file": name, **r})
    return files


def templates_part(tmp: Path) -> list[dict]:
    templates = []
    root = tmp / "templates"
    (root / "en").mkdir(parents=True)
    for name, source in RUNAWAY.items():
        (root / "en" / f"{name}.j2").write_text(source, encoding="utf-8")
    lib = TemplateLibrary(user_dir=root)
    for name in RUNAWAY:
        started = time.perf_counter()
        try:
            lib.render(name)
            outcome = "rendered"
        except TemplateError as e:
            outcome = "clear" if str(e).startswith(f"template {name!r}") else "unclear"
        except Exception as e:  # noqa: BLE001 (counted: a crash the user would see)
            outcome = f"crash {type(e).__name__}"
        templates.append(
            {
                "template": name,
                "outcome": outcome,
                "seconds": round(time.perf_counter() - started, 2),
            }
        )
    return templates


def console_part(ws_path: Path, uri: str | None, password: str | None) -> dict:
    if uri:
        from kg.stores.neo4j import Neo4jStore

        store = Neo4jStore(uri, "neo4j", password or "")
    else:
        store = Workspace(ws_path).store
    refused, let_through = 0, []
    for q in CONSOLE:
        try:
            store.query(q.replace("URL", "127.0.0.1:9"))
            let_through.append(q)
        except KgsynthError:
            refused += 1
    store.close()
    return {"tried": len(CONSOLE), "refused": refused, "let_through": let_through}


def kills_part(tmp: Path, docs: int, points: list[int], neo4j_uri: str | None) -> dict:
    corpus = tmp / "kill-docs"
    corpus.mkdir(parents=True)
    for path, label in bbc_files(docs // 5):
        text = path.read_text(encoding="utf-8", errors="replace")[:1000]
        (corpus / f"{label}-{path.name}").write_text(text, encoding="utf-8")
    with Workspace(tmp / "clean") as ws:
        ingest(ws, [corpus], batch_docs=3)
        clean = graph_snapshot(ws)
    out = {}
    stores = {"embedded": None} | ({"neo4j": neo4j_uri} if neo4j_uri else {})
    for kind, uri in stores.items():
        ws_dir = tmp / f"killed-{kind}"
        ws_dir.mkdir()
        if uri:
            (ws_dir / "kgsynth.toml").write_text(
                f'[store]\nkind = "neo4j"\n[store.neo4j]\nuri = "{uri}"\n', encoding="utf-8"
            )
        with Workspace(ws_dir) as ws:
            if uri:
                ws.store.clear()
            job = jobs.submit(ws, "ingest", {"paths": [str(corpus)], "batch_docs": 3})
            at = []
            for i, n in enumerate(points):
                while ws.catalog.count("documents") < n and jobs.is_alive(ws.catalog.job(job.id)):
                    time.sleep(0.02)
                pid = ws.catalog.job(job.id).pid
                os.killpg(pid, signal.SIGKILL)
                while jobs.is_alive(ws.catalog.job(job.id)):
                    time.sleep(0.05)
                at.append(ws.catalog.count("documents"))
                jobs.refresh(ws)
                if i < len(points) - 1:
                    jobs.resume(ws, job.id)
            final = jobs.resume(ws, job.id, background=False)
            got = graph_snapshot(ws)
        out[kind] = {
            "killed_at_documents": at,
            "final_state": final.state.value,
            "lost": lost(clean, got),
            "identical": got == clean,
            "entities": len(clean["entities"]),
            "relations": len(clean["relations"]),
        }
    return out


class _DirectLog(commit_module.GraphLog):
    """Baseline: the graph written straight after the catalog, nothing logged (the old protocol)."""

    def recover(self) -> int:
        return 0

    def commit(self, removed, batch, resolver) -> int:
        return 0

    def apply(self, seq, removed, batch) -> None:
        if removed:
            self.store.remove_chunks(removed)
        self.store.write(batch)

    def prune(self) -> None:
        pass

    def resolver(self, **options):
        return commit_module.Resolver.from_store(self.store, **options)


class _TimedLog(commit_module.GraphLog):
    """The real protocol, timing its own steps (log encoding and writes, replay, pruning, resolver
    state) so the bench can say what share of an ingest they take."""

    spent = 0.0

    def _timed(self, fn, *args):
        started = time.perf_counter()
        try:
            return fn(*args)
        finally:
            _TimedLog.spent += time.perf_counter() - started

    def recover(self) -> int:
        return self._timed(super().recover)

    def commit(self, removed, batch, resolver) -> int:
        return self._timed(super().commit, removed, batch, resolver)

    def prune(self) -> None:
        self._timed(super().prune)

    def resolver(self, **options):
        return self._timed(lambda: super(_TimedLog, self).resolver(**options))


def speed_part(tmp: Path, articles: int, rounds: int) -> dict:
    docs = tmp / "speed-docs"
    docs.mkdir(parents=True)
    for path, label in bbc_files(articles // 5):
        shutil.copy(path, docs / f"{label}-{path.name}")
    with Workspace(tmp / "warm-up") as ws:  # models loaded once, before either arm is timed
        ingest(ws, [sorted(docs.iterdir())[0]])
    times: dict[str, list[float]] = {"baseline": [], "durable": []}
    protocol: list[float] = []
    for r in range(rounds):
        for arm in ("baseline", "durable") if r % 2 == 0 else ("durable", "baseline"):
            ingest_module.GraphLog = _DirectLog if arm == "baseline" else _TimedLog
            _TimedLog.spent = 0.0
            try:
                with Workspace(tmp / f"speed-{arm}-{r}") as ws:
                    started = time.perf_counter()
                    report = ingest(ws, [docs])
                    times[arm].append(time.perf_counter() - started)
                    assert report.documents == articles, report.summary()
            finally:
                ingest_module.GraphLog = commit_module.GraphLog
            if arm == "durable":
                protocol.append(_TimedLog.spent)
    median = {arm: statistics.median(t) for arm, t in times.items()}
    return {
        "articles": articles,
        "seconds": {arm: [round(x, 1) for x in t] for arm, t in times.items()},
        "median": {arm: round(x, 1) for arm, x in median.items()},
        "slowdown": round(median["durable"] / median["baseline"], 3),
        "protocol_seconds": [round(x, 3) for x in protocol],
        "protocol_share": round(statistics.median(protocol) / median["durable"], 4),
    }


def summary(result: dict) -> list[str]:
    lines = []
    if "hostile" in result:
        h = result["hostile"]
        for part in ("files", "cli", "templates"):
            rows = h.get(part, [])
            if not rows:
                continue
            for r in rows:
                if r["outcome"] != "clear":
                    what = r.get("args") or r.get("file") or r.get("template")
                    lines.append(
                        f"  not clear ({r['outcome']}): {what} -> {r.get('out', '')[-200:]!r}"
                    )
            counts = {
                o: sum(1 for r in rows if r["outcome"] == o) for o in {r["outcome"] for r in rows}
            }
            lines.append(
                f"hostile {part}: tried {len(rows)}, "
                + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            )
        for store, c in h.get("console", {}).items():
            lines.append(f"console {store}: tried {c['tried']}, refused {c['refused']}")
    if "kills" in result:
        for store, k in result["kills"].items():
            lines.append(
                f"kills {store}: SIGKILL at {k['killed_at_documents']} documents -> lost {k['lost']},"
                f" identical to a clean run: {k['identical']}"
            )
    if "speed" in result:
        s = result["speed"]
        lines.append(
            f"speed: {s['articles']} articles, median of {len(s['seconds']['durable'])}: baseline"
            f" {s['median']['baseline']} s, durable {s['median']['durable']} s ->"
            f" {s['slowdown']}x; the protocol's own steps {s['protocol_seconds']} s"
            f" ({100 * s['protocol_share']:.2f}% of the durable ingest)"
        )
    return lines


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--neo4j", action="store_true", help="start a Neo4j 5.26 dev server too")
    ap.add_argument("--parts", default="files,cli,templates,console,kills,speed")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--rounds", type=int, default=3, help="timed ingests per arm (speed)")
    args = ap.parse_args(argv)
    parts = args.parts.split(",")
    result: dict = {}
    server = None
    with tempfile.TemporaryDirectory(prefix="kgsynth-reliability-") as d:
        tmp = Path(d)
        uri = password = None
        if args.neo4j:
            from kg.neo4j_server import Neo4jServer

            server = Neo4jServer(tmp / "neo4j", password="kgsynth-bench").start(timeout=180)
            uri, password = server.uri, server.password
            os.environ["NEO4J_PASSWORD"] = password
        try:
            hostile = {"files", "cli", "templates", "console"} & set(parts)
            if hostile:
                result["hostile"] = hostile_part(tmp / "hostile", uri, password, list(hostile))
                save(result, args.out)
            if "kills" in parts:
                points = [3, 9] if args.quick else [3, 9, 15]
                result["kills"] = kills_part(tmp / "kills", 20, points, uri)
                save(result, args.out)
            if "speed" in parts:
                result["speed"] = speed_part(tmp / "speed", 60 if args.quick else 200, args.rounds)
        finally:
            if server is not None:
                server.stop()
    lines = save(result, args.out)
    print("\n".join(lines))
    return result


def save(result: dict, out: Path) -> list[str]:
    """Write result.json and summary.txt (after every part: a late failure keeps the early ones)."""
    for part in ("files", "cli"):
        for r in result.get("hostile", {}).get(part, []):
            r["out"] = r.get("out", "")[-400:]
    lines = summary(result)
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps(result, indent=1))
    (out / "summary.txt").write_text("\n".join(lines) + "\n")
    return lines


if __name__ == "__main__":
    main()
