"""Exports of real BBC-based examples: formats load with `datasets`, splits are leak-free."""

from __future__ import annotations

import csv
import json

import pytest

from kgsynth.types import DatasetVersion, Example, Provenance, example_id
from kgsynth.workspace import Workspace
from synth.clean import clean
from synth.export import EXPORTERS, export, stratified_split
from tests.test_clean import _near_copy, _unique_sentences


def _ex(text, label=None, task="classify", **kw):
    return Example(
        id=example_id(task, text, kw.get("output"), label), task=task, input=text, label=label, **kw
    )


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    sents = _unique_sentences(3, limit=100)
    out = [_ex(s, label, confidence=0.9) for s, label in sents]
    # near duplicates of 8 sentences, and an augmented child of one
    out += [_ex(_near_copy(s), label) for s, label in sents[:8] if len(s.split()) > 14]
    out.append(_ex(sents[9][0] + " indeed", sents[9][1], parent_id=out[9].id))
    for s, _ in sents[:6]:
        answer = " ".join(s.split()[:2])
        out.append(
            _ex(
                f"How does this sentence start: {s[:40]}?",
                None,
                task="qa.extractive",
                output=answer,
                provenance=Provenance(evidence=[s], doc_ids=["doc_x"]),
            )
        )
    return out


@pytest.fixture(scope="module")
def ws(tmp_path_factory, examples):
    with Workspace(tmp_path_factory.mktemp("ws")) as w:
        w.catalog.save_dataset(DatasetVersion(id="ds_raw", name="bbc", stage="import"), examples)
        yield w


def test_split_keeps_near_duplicates_and_families_together(examples):
    from synth.clean.dedup import example_text, near_duplicate_pairs

    parts = stratified_split(examples, (0.8, 0.1, 0.1), seed=3)
    where = {e.id: s for s, es in parts.items() for e in es}
    assert len(where) == len(examples)
    pairs = near_duplicate_pairs([example_text(e) for e in examples], 0.7)
    assert len(pairs) >= 5
    for i, j, _ in pairs:
        assert where[examples[i].id] == where[examples[j].id]
    child = next(e for e in examples if e.parent_id)
    assert where[child.id] == where[child.parent_id]
    # stratified: every label with >= 10 examples reaches every split
    for label in {e.label for e in examples if e.label}:
        n = sum(e.label == label for e in examples)
        if n >= 10:
            assert all(any(e.label == label for e in parts[s]) for s in parts), label
    assert 0.7 < len(parts["train"]) / len(examples) < 0.9
    assert stratified_split(examples, seed=3) == parts  # seeded


@pytest.mark.parametrize("fmt", ["alpaca", "sharegpt", "openai"])
def test_instruction_formats_load_with_datasets(ws, tmp_path, fmt, examples):
    from datasets import load_dataset

    result = export(ws, "bbc", format=fmt, out=tmp_path / fmt)
    files = {s: str(tmp_path / fmt / f"{s}.jsonl") for s in ("train", "dev", "test")}
    ds = load_dataset("json", data_files=files, cache_dir=str(tmp_path / "cache"))
    assert {k: len(v) for k, v in ds.items()} == result.counts
    assert sum(result.counts.values()) == len(examples)
    info = json.loads((tmp_path / fmt / "dataset_info.json").read_text())
    assert info["bbc_train"]["file_name"] == "train.jsonl"
    row = ds["train"][0]
    if fmt == "alpaca":
        assert set(row) == {"instruction", "input", "output"}
        assert info["bbc_train"]["columns"]["prompt"] == "instruction"
        qa = [r for r in ds["train"] if r["input"] == ""]
        assert qa and all(r["output"] for r in qa)
    elif fmt == "sharegpt":
        assert [m["from"] for m in row["conversations"]] == ["human", "gpt"]
        assert info["bbc_train"]["formatting"] == "sharegpt"
    else:
        assert [m["role"] for m in row["messages"]] == ["user", "assistant"]


def test_classification_csv_jsonl_parquet_hf(ws, tmp_path, examples):
    import datasets
    import pyarrow.parquet as pq

    r = export(ws, "bbc", format="classification-jsonl", out=tmp_path / "cls")
    rows = [json.loads(x) for x in (tmp_path / "cls" / "train.jsonl").read_text().splitlines()]
    assert {"text", "label", "id", "confidence"} <= set(rows[0])
    export(ws, "bbc", format="csv", out=tmp_path / "csv")
    with (tmp_path / "csv" / "train.csv").open() as f:
        assert len(list(csv.DictReader(f))) == r.counts["train"]
    export(ws, "bbc", format="parquet", out=tmp_path / "pq")
    assert pq.read_table(tmp_path / "pq" / "train.parquet").num_rows == r.counts["train"]
    export(ws, "bbc", format="hf", out=tmp_path / "hf")
    dd = datasets.load_from_disk(str(tmp_path / "hf"))
    assert {k: len(v) for k, v in dd.items()} == r.counts
    assert sorted(EXPORTERS.names()) == sorted(
        ["alpaca", "sharegpt", "openai", "classification-jsonl", "csv", "parquet", "hf"]
    )


def test_export_is_atomic_default_dir_and_card(ws, examples):
    result = clean(ws, "bbc", filters=["exact_dedup", "near_dedup"])
    first = export(ws, result.version.id, format="alpaca")
    assert first.path == ws.dir("exports") / "bbc-alpaca"
    (first.path / "stale.txt").write_text("old")
    again = export(ws, result.version.id, format="alpaca", seed=1)
    assert again.path == first.path and not (again.path / "stale.txt").exists()
    assert not [p for p in ws.dir("exports").iterdir() if p.name.startswith(".")]
    card = (again.path / "README.md").read_text()
    for needle in (
        "## Labels",
        "## Splits",
        "## Provenance",
        "## Cleaning report",
        "near_dedup",
        "qa.extractive",
        "with_evidence",
        "business",
    ):
        assert needle in card, needle
    total = sum(again.counts.values())
    assert total == result.version.count < len(examples)


def test_real_qa_from_the_graph_is_grounded_cleaned_and_exported(tmp_path):
    """Real pipeline: ingest BBC articles (spaCy) → template QA → default cleaning → ShareGPT."""
    import shutil

    from datasets import load_dataset

    from kg.ingest import ingest
    from synth.qa import build_qa
    from tests.fixtures.corpus import bbc_files

    docs = tmp_path / "docs"
    docs.mkdir()
    for path, label in bbc_files(2):
        shutil.copy(path, docs / f"{label}_{path.name}")
    with Workspace(tmp_path / "ws") as ws:
        ingest(ws, [docs])
        qa = build_qa(ws, n=30, seed=0)
        assert qa.count >= 10
        result = clean(ws, qa.id)  # the default chain, grounding included
        summary = result.report["summary"]
        assert summary["by_filter"]["grounding"] <= qa.count // 10  # template QA is grounded
        kept = ws.catalog.examples(result.version.id)
        assert all(e.provenance.evidence for e in kept)
        out = export(ws, result.version.id, format="sharegpt")
        files = {s: str(out.path / f"{s}.jsonl") for s, n in out.counts.items() if n}
        ds = load_dataset("json", data_files=files, cache_dir=str(tmp_path / "cache"))
        assert sum(len(d) for d in ds.values()) == len(kept)
        card = (out.path / "README.md").read_text()
        assert "qa." in card and "with_evidence" in card and "## Cleaning report" in card
