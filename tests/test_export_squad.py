"""SQuAD export of a real QA version: exact answer offsets, what datasets and readers load, refusals
counted; and the QA quality report and round-trip filter on it."""

from __future__ import annotations

import json

import pytest

from kgsynth.squad import load_squad
from synth.export import export
from synth.qa import build_qa


@pytest.fixture(scope="module")
def squad_export(graph_ws, tmp_path_factory):
    version = build_qa(graph_ws, types=["extractive", "single_fact", "yes_no"], n=30, name="qa-sq")
    out = tmp_path_factory.mktemp("squad") / "export"
    return version, export(graph_ws, version.id, format="squad", out=out)


def test_squad_export_has_exact_offsets_and_loads_in_datasets(graph_ws, squad_export):
    from datasets import load_dataset

    version, result = squad_export
    report = json.loads((result.path / "squad_report.json").read_text())
    yes_no = version.stats["tasks"].get("qa.yes_no", 0)
    assert report["refused"].get("answer not in context", 0) >= yes_no > 0  # "Yes" is no span
    rows = load_squad(result.path, "train")
    assert rows and len(rows) <= version.count - yes_no
    for row in rows:
        ((text, start),) = row.answers
        assert row.context[start : start + len(text)] == text and row.question.endswith("?")
    nested = json.loads((result.path / "train.json").read_text())
    assert nested["version"] == "1.1" and nested["data"][0]["paragraphs"][0]["qas"]
    ds = load_dataset("json", data_files=str(result.path / "train.jsonl"), split="train")
    assert set(ds.column_names) >= {"id", "title", "context", "question", "answers", "meta"}
    assert ds[0]["answers"]["answer_start"][0] >= 0


def test_quality_report_and_roundtrip_filter(graph_ws, squad_export, tmp_path):
    from finetune.reader import ReaderConfig, train_reader
    from kgsynth.squad import f1_score
    from synth.clean import clean
    from synth.clean.roundtrip import reader_answers
    from synth.qa_report import qa_quality
    from synth.versions import load

    version, result = squad_export
    _, examples = load(graph_ws, version.id)
    quick = version.stats["quality"]
    assert quick["n"] == len(examples) and 0 < quick["answer_in_context"] < 1
    assert 0 < quick["distinct_2"] <= 1 and sum(quick["wh_words"].values()) == len(examples)
    reader = tmp_path / "reader"
    train = load_squad(result.path, "train")
    train_reader(train, reader, ReaderConfig(epochs=1, max_length=128, batch_size=8))
    report = qa_quality(examples, reader=reader)
    assert report.answerable_correct is not None and 0 <= report.answerable_correct <= 1
    cleaned = clean(
        graph_ws, version.id, filters=["roundtrip"], options={"roundtrip": {"reader": str(reader)}}
    )
    answers = reader_answers(examples, str(reader))
    wrong = sum(f1_score(got, want) < 0.5 for want, got in answers.values())
    assert len(answers) >= len(train)
    assert cleaned.report["summary"]["by_filter"]["roundtrip"] == wrong
    assert cleaned.version.count == version.count - wrong
    assert report.answerable_correct == round(1 - wrong / len(answers), 4)
