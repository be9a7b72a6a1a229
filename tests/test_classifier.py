"""Classifier fine-tuning on real BBC text with the real MiniLM encoder (tiny runs)."""

from __future__ import annotations

import json

import pytest

from finetune.classifier import length_batches, train_classifier
from finetune.data import load_classification
from kgsynth.errors import InputError
from tests.finetune_data import bbc_rows, write_export, write_jsonl


class Crash(Exception):
    pass


def test_length_batches_cover_every_item_once():
    lengths = [5, 1, 9, 3, 7, 2, 8, 4, 6, 10, 11]
    batches = length_batches(lengths, 3, seed=1)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert batches == length_batches(lengths, 3, seed=1)


def test_single_file_and_csv_are_split_with_a_seed(tmp_path):
    rows = bbc_rows(4, chars=80)
    one = load_classification(write_jsonl(tmp_path / "all.jsonl", rows), seed=3)
    assert len(one.train) + len(one.dev) == len(rows) and one.dev and not one.test
    assert one.dev == load_classification(tmp_path / "all.jsonl", seed=3).dev
    csv = tmp_path / "d" / "train.csv"
    csv.parent.mkdir()
    csv.write_text("text,label\n" + "".join(f'"{r["text"][:30]}",{r["label"]}\n' for r in rows))
    data = load_classification(csv.parent)
    assert data.labels == sorted({r["label"] for r in rows}) and data.dev


def test_bad_row_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "a", "label": "x"}\n{"text": "b"}\n')
    with pytest.raises(InputError, match=r"bad.jsonl:2"):
        load_classification(path)


def test_train_crash_then_resume_from_step_checkpoint(tmp_path):
    data = write_export(tmp_path / "export", per_label=6, chars=120)
    out = tmp_path / "run"
    kw = dict(max_length=32, epochs=2, batch_size=4, save_steps=3, lr=1e-4)

    def crash_at_7(done, total):
        if done == 7:
            raise Crash()

    with pytest.raises(Crash):
        train_classifier(data, out, progress=crash_at_7, **kw)
    assert not (out / "README.md").exists()
    logged = []
    result = train_classifier(data, out, log=logged.append, **kw)
    per_epoch = -(-len((data / "train.jsonl").read_text().splitlines()) // 4)
    last_saved = max(g for g in range(1, 7) if g % 3 == 0 or g % per_epoch == 0)
    assert result.resumed_from == {"epoch": last_saved // per_epoch, "step": last_saved % per_epoch}
    assert any("resumed from checkpoint" in line for line in logged)
    steps = [s["step"] for s in json.loads((out / "train_log.json").read_text())["steps"]]
    assert steps == list(range(1, 2 * per_epoch + 1))
    assert [h["epoch"] for h in result.history] == [1, 2]
    assert result.test and 0.0 <= result.test["macro_f1"] <= 1.0
    config = json.loads((out / "config.json").read_text())
    assert sorted(config["label2id"]) == result.labels
    card = (out / "README.md").read_text()
    assert "Dev macro-F1" in card and "lr: 0.0001" in card


def test_without_a_dev_set_the_last_epoch_is_the_model(tmp_path):
    from finetune.data import ClassificationData

    rows = [(r["text"], r["label"]) for r in bbc_rows(4, chars=120)]
    data = ClassificationData(train=rows, dev=[], test=rows[:5], source="mem")
    result = train_classifier(data, tmp_path, max_length=32, epochs=3, batch_size=8, resume=False)
    assert [h["epoch"] for h in result.history] == [1, 2, 3]
    assert result.best_epoch == 3 and result.test


def test_balanced_class_weights_weigh_a_rare_label_up(tmp_path):
    from finetune.classifier import label_weights
    from finetune.data import ClassificationData
    from kgsynth.errors import ConfigError

    assert label_weights([0, 0, 0, 1], 3) == [4 / 9, 4 / 3, 1.0]  # absent label: weight 1
    rows = [(r["text"], r["label"]) for r in bbc_rows(6, chars=120)]
    rare = rows[0][1]
    skewed = [r for r in rows if r[1] != rare] + [r for r in rows if r[1] == rare][:1]
    data = ClassificationData(train=skewed, dev=[], test=[], source="mem")
    first = {}
    for weighting in ("balanced", "none"):
        out = tmp_path / weighting
        result = train_classifier(
            data, out, max_length=32, epochs=1, batch_size=64, resume=False, class_weight=weighting
        )
        first[weighting] = result.steps[0]["loss"]  # one batch: the whole set, same start
        assert f"class_weight: {weighting}" in (out / "README.md").read_text()
    assert first["balanced"] != pytest.approx(first["none"], abs=1e-4)
    with pytest.raises(ConfigError, match="class_weight"):
        train_classifier(data, tmp_path / "bad", class_weight="inverse")
