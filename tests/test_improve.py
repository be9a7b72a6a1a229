"""The closed loop on real components: a MiniLM classifier and reader trained on kgsynth exports of
the shared BBC graph, their weaknesses, targeted examples and (for the classifier) the retrained run
through `kgsynth improve`, with the bookkeeping checked row by row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from finetune.weakness import classifier_weakness, reader_weakness
from kgsynth import jobs
from kgsynth.app.cli import cli
from kgsynth.app.improve import ImproveReport
from synth.classify import build_classification
from synth.export import export
from synth.qa import build_qa
from synth.schema import load_schema
from synth.targeted import build_targeted
from tests.fixtures.corpus import bbc_files

SCHEMA = Path(__file__).parents[1] / "examples" / "bbc_schema.yaml"
TINY = {"epochs": 1, "max_length": 32, "batch_size": 8}


@pytest.fixture(scope="module")
def classifier_run(graph_ws, tmp_path_factory):
    """A classification set of the shared graph, exported, and a deliberately weak classifier."""
    seeds = {}
    for path, label in bbc_files(1):  # the first article of each label seeds it
        seeds[label] = [path.read_text(encoding="utf-8", errors="replace")]
    schema = load_schema(SCHEMA).with_seeds(seeds)
    version = build_classification(graph_ws, schema, per_label=2, name="loop-bbc")
    exported = export(graph_ws, version.id, format="classification-jsonl", split=(0.5, 0.5, 0.0))
    held_out = tmp_path_factory.mktemp("loop") / "heldout.jsonl"
    with held_out.open("w", encoding="utf-8") as f:
        for path, label in bbc_files(2, offset=40):  # never ingested: true held-out articles
            text = path.read_text(encoding="utf-8", errors="replace")
            f.write(json.dumps({"text": text, "label": label}) + "\n")
    params = {"data": str(exported.path), "name": "loop-m0", **TINY}
    job = jobs.run_inline(graph_ws, "train_classifier", params)
    assert job.state.value == "succeeded", job.error
    return version, exported.path, Path(job.result["out"]), held_out


def test_improve_adds_targeted_examples_and_retrains_with_the_same_settings(
    graph_ws, graph_workspace_dir, classifier_run
):
    version, export_dir, run, held_out = classifier_run
    out = CliRunner().invoke(
        cli,
        ["-w", str(graph_workspace_dir), "improve", "loop-m0", "--budget", "4",
         "--eval", str(held_out)],
        catch_exceptions=False,
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "before" in out.output and "after" in out.output and "macro-F1" in out.output
    job = next(j for j in graph_ws.catalog.jobs() if j.kind == "improve")
    report = ImproveReport.model_validate(job.result)
    w = report.weakness

    # the weakness: every miss is a dev row the model got wrong, counted once in the confusions
    dev = [json.loads(x) for x in (export_dir / "dev.jsonl").read_text().splitlines()]
    assert w.labeled and w.data.endswith("dev.jsonl") and w.misses
    assert sum(n for _, _, n in w.confusions) == len(w.misses) <= len(dev)
    assert {m.example_id for m in w.misses} <= {r["id"] for r in dev}
    assert all(m.gold != m.predicted and m.gold in w.per_group for m in w.misses)

    # the new version: the old examples untouched, plus the targeted ones, each saying why
    old = {e.id: e for e in graph_ws.catalog.examples(version.id)}
    new = graph_ws.catalog.examples(report.version_after)
    added = [e for e in new if e.id not in old]
    assert report.added == len(added) and 0 < len(added) <= 4
    assert all(e.model_dump() == old[e.id].model_dump() for e in new if e.id in old)
    used = {d for e in old.values() for d in e.provenance.doc_ids}
    held_texts = {json.loads(x)["text"] for x in held_out.read_text().splitlines()}
    # why each was added is in the version's stats (an example another version stored first keeps
    # that version's meta)
    whys = graph_ws.catalog.dataset(report.version_after).stats["improve"]["why"]
    for e in added:
        why = whys[e.id]
        assert why["run"] == str(run) and why["why"].startswith("confused ")
        gold, predicted = why["why"].split(":")[0].removeprefix("confused ").split(" -> ")
        assert e.label in (gold, predicted) and not set(e.provenance.doc_ids) & used
        assert e.input not in held_texts
    assert graph_ws.catalog.dataset(report.version_after).parents == [version.id]

    # retrained on the old train split plus the new examples; dev and test unchanged
    data = Path(report.data)
    old_train = (export_dir / "train.jsonl").read_text().splitlines()
    new_train = (data / "train.jsonl").read_text().splitlines()
    assert new_train[: len(old_train)] == old_train and len(new_train) == len(old_train) + len(
        added
    )
    assert (data / "dev.jsonl").read_bytes() == (export_dir / "dev.jsonl").read_bytes()
    improved = Path(report.improved_run)
    log_before = json.loads((run / "train_log.json").read_text())
    log_after = json.loads((improved / "train_log.json").read_text())
    assert log_after["params"] == log_before["params"] and log_after["model"] == log_before["model"]
    assert report.eval == str(held_out) and set(report.before) == set(report.after)
    assert Path(report.report_md).exists()
    assert any(r.path == str(improved) for r in graph_ws.catalog.runs())

    # the app's Coverage tab offers the run and shows the same report
    from kgsynth.app.ui.coverage_tab import improve_md, loop_runs

    assert str(run) in [path for _, path in loop_runs(graph_ws)]
    shown = improve_md(job)
    assert all(line in shown for line in report.lines())


def test_unlabeled_rows_are_scored_by_disagreement(classifier_run, tmp_path):
    _, _, run, held_out = classifier_run
    rows = [json.loads(x) for x in held_out.read_text().splitlines()]
    unlabeled = tmp_path / "unlabeled.jsonl"
    unlabeled.write_text("".join(json.dumps({"text": r["text"]}) + "\n" for r in rows))
    w = classifier_weakness(run, unlabeled, samples=6)
    assert not w.labeled and w.misses and all(m.gold is None for m in w.misses)
    shares = [m.disagreement for m in w.misses]
    assert shares == sorted(shares, reverse=True) and all(0 < s < 1 for s in shares)


def test_reader_weakness_targets_the_missed_questions(graph_ws, tmp_path):
    version = build_qa(graph_ws, types=["extractive"], n=8, seed=7, name="loop-qa")
    exported = export(graph_ws, version.id, format="squad", split=(0.5, 0.5, 0.0))
    params = {"data": str(exported.path), "out": str(tmp_path / "reader"), **TINY}
    params |= {"max_length": 64, "stride": 32}
    job = jobs.run_inline(graph_ws, "train_reader", params)
    assert job.state.value == "succeeded", job.error
    w = reader_weakness(tmp_path / "reader", exported.path, max_length=64, stride=32)
    assert w.kind == "reader" and w.misses and set(w.weak_groups) == set(w.per_group)
    missed = {m.example_id for m in w.misses}
    improved = build_targeted(graph_ws, version.id, w, 6)
    added = [e for e in graph_ws.catalog.examples(improved.id) if "improve" in e.meta]
    assert added and len(added) <= 6
    facts = set()
    chunks = set()
    for ex_id in missed:
        e = graph_ws.catalog.example(ex_id)
        facts |= set(e.provenance.relation_ids)
        chunks |= set(e.provenance.chunk_ids)
        for eid in e.provenance.entity_ids:
            facts |= {f.relation.id for f in graph_ws.store.facts(eid, limit=200)}
            chunks |= set(graph_ws.store.entity(eid).chunk_ids)
    for e in added:  # each is about a missed question's facts, entities or passage
        p = e.provenance
        assert set(p.relation_ids) & facts or {s.chunk_id for s in p.spans} & chunks
