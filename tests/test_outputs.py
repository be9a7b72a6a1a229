"""Exports and fine-tuning runs are catalog rows; training history is the job's result; the
classification preview is the library's (real BBC text, real MiniLM, real SQLite)."""

from __future__ import annotations

import pytest

from kgsynth import jobs
from kgsynth.errors import InputError
from kgsynth.types import Example, JobState, example_id
from kgsynth.workspace import Workspace
from synth.export import split_shares
from synth.versions import save
from tests.finetune_data import bbc_rows


@pytest.fixture
def ws(tmp_path):
    with Workspace(tmp_path / "ws") as w:
        yield w


def _classification_version(ws, per_label: int = 6):
    examples = [
        Example(
            id=example_id("classify", r["text"], None, r["label"]),
            task="classify",
            input=r["text"],
            label=r["label"],
            label_source="gold",
        )
        for r in bbc_rows(per_label, chars=160)
    ]
    return save(ws, examples, name="topics", stage="synth")


def test_split_shares_are_checked_in_the_library():
    assert split_shares("0.8,0.1,0.1") == (0.8, 0.1, 0.1)
    assert split_shares((0.7, 0.3, 0.0)) == (0.7, 0.3, 0.0)
    for bad in ("0.8,0.1", "0.8,0.3,0.1", "a,b,c", (0.9, 0.2, -0.1)):
        with pytest.raises(InputError, match="three shares"):
            split_shares(bad)


def test_export_and_training_jobs_leave_rows_and_the_migration_finds_old_ones(ws):
    from kgsynth.app.ui.context import UIContext
    from kgsynth.app.ui.finetune_tab import exports, live, runs

    version = _classification_version(ws)
    params = {"version": version.id, "format": "classification-jsonl", "split": [0.6, 0.2, 0.2]}
    exported = jobs.run_inline(ws, "export", params)
    assert exported.state == JobState.succeeded, exported.error
    (row,) = ws.catalog.exports()
    assert row.path == exported.result["path"] and row.version == version.id
    assert row.format == "classification-jsonl" and row.counts == exported.result["counts"]
    params = {"data": row.path, "epochs": 2, "batch_size": 8, "max_length": 32, "name": "r1"}
    trained = jobs.run_inline(ws, "train_classifier", params)
    assert trained.state == JobState.succeeded, trained.error
    history, steps = trained.result["history"], trained.result["steps"]
    assert [h["epoch"] for h in history] == [1, 2] and steps[-1]["step"] == len(steps)
    (run,) = ws.catalog.runs()
    assert run.path.endswith("r1") and run.kind == "train_classifier" and run.data == row.path
    assert run.metrics == trained.result["eval"] and run.report.endswith("eval/report.json")
    assert run.job_id == trained.id
    ctx = UIContext(ws.path)
    try:  # the Fine-tune tab lists the rows and draws the job's own history
        assert exports(ctx) == [(f"{row.path.rsplit('/', 1)[1]} · classification-jsonl", row.path)]
        assert runs(ctx) == [("r1", run.report)]
        frame, epochs = live(trained)
        assert len(frame) == len(steps) and [e[0] for e in epochs] == [1, 2]
    finally:
        ctx.ws.close()
    # a catalog from before the migration: its succeeded jobs become rows
    with ws.catalog.transaction() as tx:
        tx.execute("DROP TABLE exports")
        tx.execute("DROP TABLE runs")
        tx.execute("DELETE FROM migrations WHERE name = '0009_exports_and_runs'")
    assert ws.catalog.migrate() == ["0009_exports_and_runs"]
    (old_export,) = ws.catalog.exports()
    assert old_export.model_dump(exclude={"created_at"}) == row.model_dump(exclude={"created_at"})
    (old_run,) = ws.catalog.runs()
    assert old_run.model_dump(exclude={"created_at", "data"}) == run.model_dump(
        exclude={"created_at", "data"}
    )


def test_a_training_job_publishes_its_history_while_it_runs(ws, tmp_path, monkeypatch):
    from tests.finetune_data import write_export

    data = write_export(tmp_path / "export", per_label=4, chars=120)
    seen: list[dict] = []
    publish = jobs.JobContext.publish

    def watched(self, values):  # the real publish, watched
        seen.append({k: list(v) for k, v in values.items()})
        publish(self, values)

    monkeypatch.setattr(jobs.JobContext, "publish", watched)
    params = {"data": str(data), "epochs": 2, "batch_size": 4, "max_length": 32}
    job = jobs.run_inline(ws, "train_classifier", params)
    assert job.state == JobState.succeeded, job.error
    final = job.result["steps"]
    assert len(seen) > 2 and len(seen[0]["steps"]) == 1 and seen[-1]["steps"] == final
    assert all(v["steps"] == final[: len(v["steps"])] for v in seen)  # what it had so far
    assert seen[-1]["history"] == job.result["history"] and len(job.result["history"]) == 2


def test_the_classification_preview_is_the_runs_first_prompt(graph_ws):
    from synth.classify import build_classification
    from synth.classify_preview import preview_classification
    from synth.schema import parse_schema

    docs = {d.source.split("/")[-2]: d for d in graph_ws.catalog.iter_documents()}
    about = {"business": "Companies, markets and the economy.", "sports": "Matches and players."}
    labels = [
        {"name": name, "description": about[name], "seeds": [docs[name].text]} for name in about
    ]
    schema = parse_schema({"task": "news topic", "labels": labels})
    preview = preview_classification(graph_ws, schema, generated_per_label=1, seed=3)
    assert preview.documents == graph_ws.catalog.count("documents") and len(preview.sample) == 3
    assert set(preview.prompts) == {"business", "sports"} and not preview.unseeded
    assert preview.generated == 2 and preview.prompt_tokens > 50
    version = build_classification(
        graph_ws, schema, per_label=2, generator="template", generated_per_label=1, seed=3
    )
    made = [e for e in graph_ws.catalog.examples(version.id) if e.label_source == "model"]
    first = next(e for e in made if e.label == "business")
    assert preview.prompts["business"].meta["reference"] == " ".join(first.provenance.evidence)
    nothing = preview_classification(graph_ws, schema)
    assert not nothing.prompts and nothing.prompt_tokens == 0
    labels[1][
        "seeds"
    ] = []  # a label without seeds: a prompt on the passage nearest its description
    unseeded = preview_classification(
        graph_ws, parse_schema({"labels": labels}), generated_per_label=1
    )
    assert unseeded.unseeded == ["sports"] and unseeded.prompts["sports"].meta["reference"]
