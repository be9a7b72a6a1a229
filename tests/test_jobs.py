"""The job runner with real worker processes: kill -9, refresh, resume, cancel."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from kgsynth import jobs
from kgsynth.errors import ConfigError, JobError
from kgsynth.types import JobState
from kgsynth.workspace import Workspace
from tests.finetune_data import write_export


@pytest.fixture
def ws(tmp_path):
    with Workspace(tmp_path / "ws") as w:
        yield w


def _wait_for(cond, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _kill(job):
    os.killpg(job.pid, signal.SIGKILL)
    _wait_for(lambda: not jobs.is_alive(job))


def test_kinds_registered_and_unknown_kind_lists_them(ws):
    assert {"sleep_count", "train_classifier", "evaluate", "train_sft"} <= set(jobs.load_kinds())
    with pytest.raises(ConfigError, match="sleep_count"):
        jobs.submit(ws, "no_such_kind", {})


def test_inline_failure_is_recorded_with_its_error(ws):
    job = jobs.run_inline(ws, "evaluate", {"model_dir": str(ws.path / "nope"), "data": "x"})
    assert job.state == JobState.failed and "not a model directory" in job.error
    assert any("Traceback" in line for line in ws.catalog.logs(job.id))


def test_sleep_count_killed_refreshed_resumed_exactly_once(ws):
    job = jobs.submit(ws, "sleep_count", {"n": 25, "delay": 0.05})
    _wait_for(lambda: ws.catalog.job(job.id).done >= 3)
    assert jobs.eta_seconds(ws.catalog.job(job.id)) is not None
    _kill(job)
    failed = jobs.refresh(ws)
    assert [j.id for j in failed] == [job.id]
    dead = ws.catalog.job(job.id)
    assert dead.state == JobState.failed and "died" in dead.error and "worker pid" in dead.error
    jobs.resume(ws, job.id)
    final = jobs.wait(ws, job.id, timeout=120)
    assert final.state == JobState.succeeded, final.error
    assert final.result["resumed_from"] >= 3
    lines = (ws.dir("jobs") / job.id / "count.txt").read_text().splitlines()
    assert lines == [str(i) for i in range(1, 26)]


def test_cancel_stops_worker_and_resume_finishes(ws):
    job = jobs.submit(ws, "sleep_count", {"n": 60, "delay": 0.05})
    _wait_for(lambda: ws.catalog.job(job.id).done >= 2)
    stopped = jobs.cancel(ws, job.id)
    assert stopped.state == JobState.cancelled
    with pytest.raises(JobError, match="already cancelled"):
        jobs.cancel(ws, job.id)
    final = jobs.resume(ws, job.id, background=False)
    assert final.state == JobState.succeeded and final.result["resumed_from"] >= 2
    lines = (ws.dir("jobs") / job.id / "count.txt").read_text().splitlines()
    assert lines == [str(i) for i in range(1, 61)]


def test_train_classifier_killed_then_resumed_from_checkpoint(ws, tmp_path):
    data = write_export(tmp_path / "export", per_label=5, chars=200)
    params = dict(data=str(data), epochs=3, batch_size=4, max_length=32, save_steps=2, name="r1")
    job = jobs.submit(ws, "train_classifier", params)
    ckpt = ws.dir("jobs") / job.id / "checkpoint.pt"
    _wait_for(lambda: ckpt.exists() or ws.catalog.job(job.id).state in jobs.TERMINAL, 300)
    _kill(job)
    assert ws.catalog.job(job.id).state != JobState.succeeded
    jobs.refresh(ws)
    assert ws.catalog.job(job.id).state == JobState.failed
    jobs.resume(ws, job.id)
    final = jobs.wait(ws, job.id, timeout=300)
    assert final.state == JobState.succeeded, final.error
    per_epoch = -(-len((data / "train.jsonl").read_text().splitlines()) // 4)
    resumed = final.result["resumed_from"]
    assert resumed["epoch"] * per_epoch + resumed["step"] >= 2
    run = ws.dir("runs") / "r1"
    steps = [s["step"] for s in json.loads((run / "train_log.json").read_text())["steps"]]
    assert steps == list(range(1, 3 * per_epoch + 1))  # none lost or repeated
    assert "eval_markdown" in final.artifacts and final.result["eval"]["macro_f1"] >= 0.0
    assert any("loss" in line for line in ws.catalog.logs(job.id))
