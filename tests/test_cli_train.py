"""The train/evaluate/compare/jobs commands, end to end through click with real models."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kgsynth import jobs
from kgsynth.app.cli import cli
from kgsynth.workspace import Workspace
from tests.finetune_data import write_export


@pytest.fixture
def run(tmp_path):
    ws = tmp_path / "ws"

    def invoke(*args: str, ok: bool = True):
        res = CliRunner().invoke(cli, ["--workspace", str(ws), *args], catch_exceptions=not ok)
        assert (res.exit_code == 0) == ok, res.output
        return res.output

    invoke.ws = ws
    return invoke


def test_help_for_every_command(run):
    for cmd in (
        ["train", "classifier"],
        ["train", "sft"],
        ["evaluate"],
        ["compare"],
        ["jobs", "resume"],
    ):
        assert "Usage" in run(*cmd, "--help")


def test_train_evaluate_compare_and_jobs(run, tmp_path):
    data = write_export(tmp_path / "export", per_label=4, chars=150)
    args = ("--epochs", "1", "--max-length", "32", "--class-weight", "none", "--name", "tiny")
    out = run("train", "classifier", str(data), *args)
    assert "succeeded" in out and "step 1/" in out
    model = run.ws / "runs" / "tiny"
    assert (model / "README.md").exists() and (model / "eval" / "report.md").exists()
    assert "class_weight: none" in (model / "README.md").read_text()
    out = run("evaluate", str(model), str(data / "dev.jsonl"), "--out", str(tmp_path / "ev"))
    assert "| macro avg |" in out
    out = run("compare", str(model), str(tmp_path / "ev"))
    assert "| tiny |" in out and "| tiny #2 |" in out
    listing = run("jobs", "list")
    job_id = listing.split()[0]
    assert "train_classifier" in listing and "succeeded" in listing
    assert json.loads(run("jobs", "show", job_id))["state"] == "succeeded"
    assert "loss" in run("jobs", "logs", job_id, "--tail", "5")


def test_jobs_cancel_and_resume_commands(run):
    with Workspace(run.ws) as ws:
        job = jobs.submit(ws, "sleep_count", {"n": 40, "delay": 0.05})
        while ws.catalog.job(job.id).done < 1:
            pass
        assert "cancelled" in run("jobs", "cancel", job.id)
        assert "succeeded" in run("jobs", "resume", job.id, "--wait")
        run("jobs", "cancel", job.id, ok=False)
