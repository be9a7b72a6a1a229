"""Evaluation reports and run comparison with a real MiniLM classifier on real BBC text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finetune.classifier import default_encoder
from finetune.evaluate import compare_runs, evaluate_classifier, load_report, score
from kgsynth.errors import NotFoundError
from tests.finetune_data import write_export
from tests.fixtures.corpus import BBC_LABELS

LABELS = BBC_LABELS


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """An (untrained) MiniLM classifier with a label map and a training log, saved once."""
    import torch
    import transformers

    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("clf")
    labels = sorted(LABELS)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(
        default_encoder(),
        num_labels=len(labels),
        label2id={lab: i for i, lab in enumerate(labels)},
        id2label=dict(enumerate(labels)),
    )
    model.save_pretrained(out)
    transformers.AutoTokenizer.from_pretrained(default_encoder()).save_pretrained(out)
    history = [
        {"epoch": 1, "train_loss": 1.5, "dev_macro_f1": 0.4},
        {"epoch": 2, "train_loss": 1.1, "dev_macro_f1": 0.6},
    ]
    (out / "train_log.json").write_text(json.dumps({"history": history}))
    return out


def test_score_matches_sklearn_layout():
    gold = ["a", "a", "b", "b", "c"]
    pred = ["a", "b", "b", "b", "a"]
    rep = score(gold, pred, ["a", "b", "c"])
    assert rep.per_class["a"].precision == 0.5 and rep.per_class["b"].recall == 1.0
    assert rep.per_class["c"].f1 == 0.0 and rep.per_class["c"].support == 1
    assert rep.accuracy == 0.6 and rep.macro.support == 5
    assert rep.confusion == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert rep.macro.f1 == round((0.5 + 0.8 + 0.0) / 3, 4)


def test_evaluate_writes_json_markdown_and_pngs(model_dir, tmp_path):
    data = write_export(tmp_path / "export", per_label=4, chars=200)
    rep = evaluate_classifier(model_dir, data, tmp_path / "eval", max_length=64)
    n_test = len((data / "test.jsonl").read_text().splitlines())
    assert rep.macro.support == n_test == sum(map(sum, rep.confusion))
    for key in ("confusion_png", "learning_curve_png", "json", "markdown"):
        assert (tmp_path / "eval").joinpath(rep.files[key]).exists()
    assert Path(rep.files["confusion_png"]).read_bytes()[:4] == b"\x89PNG"
    md = (tmp_path / "eval" / "report.md").read_text()
    assert "| macro avg |" in md and "| weighted avg |" in md and "confusion.png" in md
    assert load_report(tmp_path / "eval").macro.f1 == rep.macro.f1


def test_compare_runs_table_and_chart(model_dir, tmp_path):
    data = write_export(tmp_path / "export", per_label=3, chars=150)
    a = evaluate_classifier(model_dir, data, tmp_path / "a", max_length=32)
    b = evaluate_classifier(model_dir, data / "dev.jsonl", tmp_path / "b", max_length=32)
    md = compare_runs([tmp_path / "a", tmp_path / "b" / "report.json"], tmp_path / "cmp")
    text = md.read_text()
    assert (
        text.count(f"| {model_dir.name}") == 2
        and f"{a.macro.f1:.4f}" in text
        and f"{b.macro.f1:.4f}" in text
    )
    assert (tmp_path / "cmp" / "compare.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(NotFoundError):
        compare_runs([tmp_path / "nothing"], tmp_path / "cmp2")
