"""kgsynth on a real multi-node Ray cluster (loopback: a head and a worker node, separate raylets).

The first test is the one Ray test of the default suite: the pipeline on two nodes gives exactly
the local results (the Ray workspace keeps its dataset versions as Parquet shards). The slow ones: classification and model generation give local results too, a
Ray worker killed mid-stage is retried (nothing lost or doubled), and a driver killed mid-ingest
resumes from its last committed batch through the job runner.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from kg.ingest import ingest
from kgsynth import jobs
from kgsynth.engine import Work
from kgsynth.types import JobState
from kgsynth.workspace import Workspace, open_workspace
from synth.clean import clean
from synth.export import export
from synth.index import ChunkIndex
from synth.qa import build_qa
from tests.fixtures.corpus import bbc_files
from tests.same_results import export_bytes, graph_digest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class NodeOfItem(Work):
    """Which Ray node and worker process ran each item, and how often that worker ran setup."""

    def setup(self, ws) -> None:
        self.setups = getattr(self, "setups", 0) + 1

    def run(self, items: list) -> list:
        import ray

        time.sleep(0.3)  # long enough that both workers get batches
        node = ray.get_runtime_context().get_node_id()
        return [(node, os.getpid(), self.setups) for _ in items]


def corpus(tmp_path, per_label: int):
    docs = tmp_path / f"docs-{per_label}"
    docs.mkdir(exist_ok=True)
    for path, label in bbc_files(per_label):
        shutil.copy(path, docs / f"{label}-{path.name}")
    return docs


def qa_pipeline(ws, docs, out):
    """ingest → chunk index → template QA → default cleaning → ShareGPT export."""
    report = ingest(ws, [docs], batch_docs=4)
    index = ChunkIndex.load_or_build(ws)
    qa = build_qa(ws, n=40, seed=0)
    cleaned = clean(ws, qa.id)
    export(ws, cleaned.version.id, format="sharegpt", out=out)
    return report, index, qa, cleaned


def test_two_ray_nodes_give_the_local_results(tmp_path, ray_cluster):
    docs = corpus(tmp_path, 2)
    with Workspace(tmp_path / "local") as ws:
        local = qa_pipeline(ws, docs, tmp_path / "local-export")
        local_graph = graph_digest(ws)
    with open_workspace(tmp_path / "ray", engine="ray", ray_address=ray_cluster.address) as ws:
        context = ws.engine.connect().data.DataContext.get_current()
        context.wait_for_min_actors_s = 300  # both workers up before the first batch goes out
        ran = ws.engine.map(NodeOfItem(), list(range(8)), batch_size=1)
        context.wait_for_min_actors_s = -1
        assert len({node for node, _, _ in ran}) == ray_cluster.nodes == 2, "ran on both nodes"
        assert {setups for _, _, setups in ran} == {1}  # one setup (model load) per worker
        assert len({pid for _, pid, _ in ran}) == 2 < len(ran)  # workers took several batches
        ws.engine.small_work_here = False  # every stage's work on the cluster, however small
        ws.config.datasets.shard_min_examples = 1
        remote = qa_pipeline(ws, docs, tmp_path / "ray-export")
        assert graph_digest(ws) == local_graph
        assert remote[2].shards and ws.catalog.dataset(remote[3].version.id).shards
    assert remote[0].documents == local[0].documents == 10 and not remote[0].skipped
    assert np.array_equal(remote[1].vectors, local[1].vectors)  # embeddings: bit for bit
    assert remote[2].id == local[2].id and remote[3].version.id == local[3].version.id
    assert remote[3].report["summary"] == local[3].report["summary"]
    exported = export_bytes(tmp_path / "ray-export")
    assert exported == export_bytes(tmp_path / "local-export") and "train.jsonl" in exported


# ---------------------------------------------------------------- slow


def classify_pipeline(ws, tmp_path, out):
    from synth.classify import build_classification
    from synth.schema import load_schema

    schema = load_schema(os.path.join(ROOT, "examples", "bbc_schema.yaml"))
    seeds = {}
    for path, label in bbc_files(2):
        seeds.setdefault(label, []).append(path.read_text(encoding="utf-8", errors="replace"))
    version = build_classification(ws, schema.with_seeds(seeds), per_label=4, seed=0)
    cleaned = clean(ws, version.id)
    export(ws, cleaned.version.id, format="classification-jsonl", out=out)
    return version, cleaned


@pytest.mark.slow
def test_cli_ingest_classification_and_model_generation_on_ray_match_local(
    tmp_path, ray_cluster, nlp
):
    from kgsynth.generators import Prompt, make_generator

    docs = corpus(tmp_path, 4)
    for name in ("news.txt", "mixed.txt"):  # Chinese and mixed documents: the zh extractor too
        shutil.copy(os.path.join(ROOT, "tests", "fixtures", "zh", name), docs / f"zh-{name}")
    env = ray_cluster.env() | {"KGSYNTH_ENGINE": "ray", "KGSYNTH_RAY_ADDRESS": ray_cluster.address}
    kgsynth = [sys.executable, "-c", "from kgsynth.app.cli import main; main()"]
    cmd = [*kgsynth, "-w", str(tmp_path / "ray"), "ingest", str(docs)]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "ingested 22 documents" in run.stdout + run.stderr
    assert "ingest: 22/22 (100%)" in run.stderr  # the CLI's progress lines, fed by the Ray stage
    prompts = [Prompt.user(f"Name a city in {c}.", max_new_tokens=8) for c in ("France", "Peru")]
    with Workspace(tmp_path / "local") as ws:
        ingest(ws, [docs])
        local = classify_pipeline(ws, tmp_path, tmp_path / "local-export")
        local_graph = graph_digest(ws)
        gen = make_generator(ws, "transformers", temperature=0.0, batch_size=1)
        local_text = [c.text for c in gen.generate(prompts)]
    with open_workspace(tmp_path / "ray", engine="ray", ray_address=ray_cluster.address) as ws:
        assert graph_digest(ws) == local_graph
        ws.engine.small_work_here = False
        remote = classify_pipeline(ws, tmp_path, tmp_path / "ray-export")
        gen = make_generator(ws, "transformers", temperature=0.0, batch_size=1)
        completions = gen.generate(prompts)  # the workspace's own cache: generated on Ray
        assert gen.usage["calls"] == 2 and not any(c.cached for c in completions)
    assert [c.text for c in completions] == local_text
    assert remote[0].id == local[0].id and remote[1].version.id == local[1].version.id
    assert export_bytes(tmp_path / "ray-export") == export_bytes(tmp_path / "local-export")


@pytest.mark.slow
def test_a_killed_ray_worker_is_retried_and_nothing_is_lost_or_doubled(tmp_path, ray_cluster, nlp):
    docs = corpus(tmp_path, 12)
    with Workspace(tmp_path / "local") as ws:
        ingest(ws, [docs], batch_docs=10)
        expected = graph_digest(ws)
    seen: list[tuple[int, int]] = []
    with open_workspace(tmp_path / "ray", engine="ray", ray_address=ray_cluster.address) as ws:
        outcome = {}

        def run() -> None:
            outcome["report"] = ingest(
                ws, [docs], batch_docs=10, progress=lambda d, t: seen.append((d, t))
            )

        thread = threading.Thread(target=run)
        thread.start()
        victim = _first_worker_after_progress(ray_cluster, seen)
        os.kill(victim, signal.SIGKILL)
        progress_at_kill = seen[-1][0]
        thread.join(timeout=600)
        report = outcome["report"]
        assert progress_at_kill < 60, "the worker died while the stage was running"
        assert report.documents == 60 and not report.skipped
        assert graph_digest(ws) == expected  # no record lost, none twice
        assert ws.catalog.count("documents") == 60


def _first_worker_after_progress(cluster, seen, timeout: float = 300.0) -> int:
    """A Ray Data worker process, once the stage has finished its first batch."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = cluster.map_workers()
        if workers and seen and seen[-1][0] > 0:
            return workers[0]
        time.sleep(0.2)
    raise AssertionError("no Ray worker ran the stage")


@pytest.mark.slow
def test_a_killed_driver_resumes_from_its_last_committed_batch(
    tmp_path, ray_cluster, nlp, monkeypatch
):
    docs = corpus(tmp_path, 12)
    with Workspace(tmp_path / "local") as ws:
        ingest(ws, [docs], batch_docs=5)
        expected = graph_digest(ws)
    for key, value in ray_cluster.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("KGSYNTH_ENGINE", "ray")
    monkeypatch.setenv("KGSYNTH_RAY_ADDRESS", ray_cluster.address)
    with Workspace(tmp_path / "ray") as ws:
        job = jobs.submit(ws, "ingest", {"paths": [str(docs)], "batch_docs": 5})
        committed = _committed_documents(ws, at_least=5, below=60)
        os.killpg(job.pid, signal.SIGKILL)  # the driver and its whole process group
        row = ws.catalog.job(job.id)  # what the app's job panel shows: the Ray stage's progress
        assert row.total == 60 and 0 < row.done <= 60
        failed = jobs.wait(ws, job.id, timeout=60)
        assert failed.state == JobState.failed
        assert ws.catalog.count("documents") % 5 == 0  # whole batches only
        done = jobs.resume(ws, job.id, background=False)
        assert done.state == JobState.succeeded, done.error
        assert (
            done.result["unchanged"] >= committed
            and done.result["documents"] == 60 - done.result["unchanged"]
        )
        assert graph_digest(ws) == expected


def _committed_documents(ws, at_least: int, below: int, timeout: float = 300.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = ws.catalog.count("documents")
        if at_least <= n < below:
            return n
        time.sleep(0.05)
    raise AssertionError(f"the ingest never had between {at_least} and {below} documents stored")
