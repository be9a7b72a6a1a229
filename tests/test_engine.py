"""The execution engine without a cluster: settings, the local engine, and every engine call site
giving the same result when its work is cut into many batches (as the Ray engine cuts it)."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest

from kg.ingest import ingest
from kgsynth.app.cli import cli
from kgsynth.embeddings import encode_on, shared_embedder
from kgsynth.engine import ENGINES, LocalEngine, Work
from kgsynth.errors import ConfigError, EngineError, InputError
from kgsynth.types import Example
from kgsynth.workspace import Workspace, open_workspace
from synth.clean import make_filter
from synth.clean.dedup import near_duplicate_pairs
from tests.fixtures.corpus import bbc_files
from tests.same_results import graph_digest


class Square(Work):
    def setup(self, ws) -> None:
        self.calls = 0

    def run(self, items: list) -> list:
        self.calls += 1
        if 7 in items:
            raise ValueError("seven")
        return [i * i for i in items]


class ManyBatches(LocalEngine):
    """The local engine, cut like a three-worker cluster cuts work (two batches per worker)."""

    name = "many-batches"

    @property
    def workers(self) -> int:
        return 3

    def task_size(self, n: int) -> int:
        return max(1, math.ceil(n / 6))


def test_local_engine_runs_batches_in_order_and_reports_each_failure(tmp_path):
    engine = LocalEngine(Workspace(tmp_path))
    seen = []
    batches = list(
        engine.batches(Square(), range(10), batch_size=3, progress=lambda d, t: seen.append(d))
    )
    assert [b.items for b in batches] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert batches[2].results is None and batches[2].error == "ValueError: seven"
    assert batches[3].results == [81] and seen == [3, 6, 9, 10]
    assert engine.map(Square(), [1, 2, 3], batch_size=2) == [1, 4, 9]
    with pytest.raises(ValueError, match="seven"):  # in-process: the exception itself
        engine.map(Square(), [6, 7], batch_size=1)


def test_a_batch_with_the_wrong_number_of_results_is_an_error(tmp_path):
    class Short(Work):
        def run(self, items):
            return items[:-1]

    with pytest.raises(EngineError, match="returned 1 results for 2 items"):
        LocalEngine(Workspace(tmp_path)).map(Short(), [1, 2], batch_size=2)


def test_engine_setting_from_toml_env_and_cli(tmp_path, monkeypatch):
    (tmp_path / "kgsynth.toml").write_text('engine = "ray"\n[ray]\naddress = "10.0.0.5:6379"\n')
    monkeypatch.delenv("KGSYNTH_ENGINE", raising=False)
    monkeypatch.delenv("KGSYNTH_RAY_ADDRESS", raising=False)
    ws = Workspace(tmp_path)
    assert (ws.config.engine, ws.config.ray.address) == ("ray", "10.0.0.5:6379")
    monkeypatch.setenv("KGSYNTH_ENGINE", "local")
    monkeypatch.setenv("KGSYNTH_RAY_ADDRESS", "ray://head:10001")
    ws = Workspace(tmp_path)
    assert (ws.config.engine, ws.config.ray.address) == ("local", "ray://head:10001")
    assert ws.engine.name == "local" and ws.engine.workers == 1
    ws = open_workspace(tmp_path, engine="ray", ray_address="auto")  # the CLI's overrides
    assert (ws.config.engine, ws.config.ray.address) == ("ray", "auto")
    assert type(ws.engine).__name__ == "RayEngine"  # connects on first use only
    ws.config.engine = "spark"
    del ws.__dict__["engine"]
    with pytest.raises(ConfigError, match="unknown engines 'spark'; valid names: .*local, ray"):
        _ = ws.engine
    assert {"local", "ray"} <= set(ENGINES.names())


def test_cli_global_options_reach_the_workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("KGSYNTH_RAY_ADDRESS", "from-env:1")
    Workspace(tmp_path).close()  # reading commands need an existing workspace
    ctx = cli.make_context("kgsynth", ["-w", str(tmp_path), "--engine", "ray", "graph", "stats"])
    with ctx:
        ctx.invoke(cli.callback, **ctx.params)
    ws = ctx.obj.workspace()
    assert (ws.config.engine, ws.config.ray.address) == ("ray", "from-env:1")
    ws.close()


def test_embeddings_cut_into_batches_are_bit_identical(tmp_path):
    texts = [
        p.read_text(encoding="utf-8", errors="replace")[: 40 + 9 * i]
        for i, (p, _) in enumerate(bbc_files(8))
    ]
    whole = shared_embedder().encode(texts)  # 40 texts: ManyBatches cuts 3 slices of 16
    assert np.array_equal(encode_on(ManyBatches(None), texts), whole)


def test_near_duplicates_found_across_batches():
    base = [p.read_text(encoding="utf-8", errors="replace")[:400] for p, _ in bbc_files(4)]
    texts = base + [t.replace(" the ", " a ", 1) for t in base]  # each text has a near copy
    one = near_duplicate_pairs(texts, 0.7)
    assert one == near_duplicate_pairs(texts, 0.7, engine=ManyBatches(None))
    assert {(i, j) for i, j, _ in one} >= {(i, i + len(base)) for i in range(len(base))}


def test_rowwise_filters_give_the_same_result_in_batches(tmp_path):
    from synth.clean import CleanContext, _apply

    examples = [
        Example(id=f"ex{i}", task="qa", input=text, output="x", lang="en")
        for i, text in enumerate(
            [
                "A  fine\u00a0question about Siemens?",
                "",
                "call me on +44 20 7946 0958 today",
                "!!!! ???? ####",
            ]
            * 4
        )
    ]
    ws = Workspace(tmp_path)
    ws.__dict__["engine"] = ManyBatches(ws)
    for name in ("normalize", "length", "quality", "pii"):
        f = make_filter(name)
        kept, removed = f.apply(examples, CleanContext())
        kept2, removed2 = _apply(f, examples, CleanContext(ws=ws))
        assert [e.model_dump(exclude={"created_at"}) for e in kept] == [
            e.model_dump(exclude={"created_at"}) for e in kept2
        ]
        assert [(r.example.id, r.reason) for r in removed] == [
            (r.example.id, r.reason) for r in removed2
        ]


def test_ingest_in_many_batches_stores_the_same_graph(tmp_path, nlp):
    docs = tmp_path / "docs"
    docs.mkdir()
    for path, label in bbc_files(2):
        shutil.copy(path, docs / f"{label}-{path.name}")
    digests = []
    for name, engine in (("local", LocalEngine), ("many", ManyBatches)):
        ws = Workspace(tmp_path / name)
        ws.__dict__["engine"] = engine(ws)
        report = ingest(ws, [docs], batch_docs=4)
        assert report.documents == 10 and not report.skipped
        digests.append(graph_digest(ws))
        ws.close()
    assert digests[0] == digests[1] and len(digests[0]["entities"]) > 50


def test_a_server_generators_limits_are_shared_out_among_engine_workers():
    from kgsynth.config import Config, generator_options
    from kgsynth.engine import WorkerView
    from kgsynth.generators import make_generator

    server = generator_options(
        kind="openai", base_url="http://127.0.0.1:9/v1", model="m", concurrency=8, rpm=600
    )
    config = Config(generators={"srv": server})
    whole = make_generator(WorkerView(config), "srv").inner
    share = make_generator(WorkerView(config, workers=4), "srv").inner
    assert (whole.config.concurrency, whole.rpm.capacity) == (8, 600)
    assert (share.config.concurrency, share.rpm.capacity, share.tpm) == (2, 150, None)
    assert share.params() == whole.params()  # the same cache keys and provenance


def test_files_parsed_on_engine_workers_give_local_documents_and_skips(tmp_path):
    from kg.ingest import _loaded

    docs = tmp_path / "docs"
    docs.mkdir()
    for path, label in bbc_files(1):
        shutil.copy(path, docs / f"{label}-{path.name}")
    (docs / "notes.xyz").write_text("not a format kgsynth reads")
    (docs / "table.csv").write_text("text\nSiemens opened a plant in Berlin.\nA second row.\n")
    files = sorted(docs.iterdir())
    ws = Workspace(tmp_path / "ws")
    local = list(_loaded(ws, files, max_mb=50.0, on_error="skip"))
    ws.__dict__["engine"] = ManyBatches(ws)
    assert list(_loaded(ws, files, max_mb=50.0, on_error="skip")) == local
    assert [type(r).__name__ for _, r in local].count("Skipped") == 1
    with pytest.raises(InputError, match="notes.xyz: unsupported file type"):
        list(_loaded(ws, files, max_mb=50.0, on_error="raise"))
    ws.close()


def test_an_unreachable_ray_cluster_is_one_line_and_a_nonzero_exit(tmp_path):
    import subprocess
    import sys

    from tests.fixtures.ray_cluster import free_port

    (tmp_path / "a.txt").write_text("Siemens opened a plant in Berlin.")
    cmd = [sys.executable, "-c", "from kgsynth.app.cli import main; main()", "-w", str(tmp_path)]
    cmd += ["--engine", "ray", "--ray-address", f"127.0.0.1:{free_port()}", "ingest", "a.txt"]
    run = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1].startswith("error: cannot reach the Ray cluster")
