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
        assert set(row) == {"instruction", "input", "output", "id", "meta"}
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
    assert {"alpaca", "sharegpt", "openai", "classification-jsonl", "csv", "parquet", "hf"} <= set(
        EXPORTERS.names()
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


# ------------------------------------------------------------------ provenance and wording


def _rows(folder, fmt: str) -> list[dict]:
    """The train rows of an export as dicts, whatever the format."""
    import datasets
    import pyarrow.parquet as pq

    if fmt == "hf":
        return list(datasets.load_from_disk(str(folder))["train"])
    if fmt == "parquet":
        return pq.read_table(folder / "train.parquet").to_pylist()
    if fmt == "csv":
        with (folder / "train.csv").open(encoding="utf-8") as f:
            return list(csv.DictReader(f))
    return [json.loads(x) for x in (folder / "train.jsonl").read_text().splitlines()]


BUILT_IN = ["alpaca", "sharegpt", "openai", "classification-jsonl", "csv", "parquet", "hf"]


@pytest.mark.parametrize("fmt", BUILT_IN)
def test_every_format_carries_provenance_unless_asked_not_to(ws, tmp_path, fmt, examples):
    by_id = {e.id: e for e in examples}
    export(ws, "bbc", format=fmt, out=tmp_path / "on")
    rows = _rows(tmp_path / "on", fmt)
    sidecar = tmp_path / "on" / "train.meta.jsonl"
    if EXPORTERS.get(fmt).provenance == "sidecar":
        metas = [json.loads(x) for x in sidecar.read_text().splitlines()]
        assert len(metas) == len(rows) and all("meta" not in r for r in rows)
    else:
        assert not sidecar.exists()
        metas = [{"id": r["id"], "meta": r["meta"]} for r in rows]
    for m in metas:
        meta = json.loads(m["meta"]) if isinstance(m["meta"], str) else m["meta"]
        e = by_id[m["id"]]
        assert meta["evidence"] == e.provenance.evidence
        assert meta["doc_ids"] == e.provenance.doc_ids and meta["task"] == e.task
        assert {"documents", "chunk_ids", "facts", "template", "generator"} <= set(meta)
    export(ws, "bbc", format=fmt, out=tmp_path / "off", provenance=False)
    assert not (tmp_path / "off" / "train.meta.jsonl").exists()
    assert all("meta" not in r for r in _rows(tmp_path / "off", fmt))


def test_provenance_names_documents_and_facts_of_real_qa(tmp_path):
    """Template QA over ten real articles: each exported pair names its source file, the
    extracted fact and the evidence sentence."""
    import shutil

    from kg.ingest import ingest
    from synth.qa import build_qa
    from tests.fixtures.corpus import bbc_files

    docs = tmp_path / "docs"
    docs.mkdir()
    for path, label in bbc_files(2):
        shutil.copy(path, docs / f"{label}_{path.name}")
    with Workspace(tmp_path / "ws") as ws:
        ingest(ws, [docs])
        qa = build_qa(ws, n=12, types=("single_fact", "yes_no"), seed=0)
        out = export(ws, qa.id, format="alpaca", split=(1.0, 0.0, 0.0))
    rows = _rows(out.path, "alpaca")
    assert rows and out.warnings == []
    for r in rows:
        assert r["input"] == "" and r["meta"]["documents"][0].endswith(".txt")
        assert r["meta"]["facts"] and " | " in r["meta"]["facts"][0]
        assert r["meta"]["evidence"] and r["meta"]["template"] in ("qa.single_fact", "qa.yes_no")


def test_closed_book_questions_never_cite_a_missing_passage(tmp_path):
    sentence = "Ken Mayland is the president of ClearView Economics."
    prov = Provenance(evidence=[sentence], doc_ids=["doc_x"])
    closed = _ex(
        "Based on the source text, which organization is Ken Mayland the president of?",
        task="qa.single_fact",
        output="ClearView Economics",
        provenance=prov,
    )
    documents = _ex(
        "According to the documents, who is the president of ClearView Economics?",
        task="qa.single_fact",
        output="Ken Mayland",
        provenance=prov,
    )
    open_book = _ex(
        f"Context: {sentence}\nQuestion: In this passage, who is the president of ClearView?",
        task="qa.extractive",
        output="Ken Mayland",
        provenance=prov,
    )
    with Workspace(tmp_path / "ws") as ws:
        ws.catalog.save_dataset(
            DatasetVersion(id="ds_q", name="q", stage="import"), [closed, documents, open_book]
        )
        out = export(ws, "q", format="alpaca", split=(1.0, 0.0, 0.0))
    got = {r["id"]: r["instruction"] for r in _rows(out.path, "alpaca")}
    assert got[closed.id] == "Which organization is Ken Mayland the president of?"
    assert got[documents.id] == "Who is the president of ClearView Economics?"
    assert got[open_book.id] == open_book.input  # the passage is in the record


def test_an_empty_split_is_a_warning(tmp_path, examples):
    few = [e for e in examples if e.label][:7]  # a few of each of several labels
    with Workspace(tmp_path / "ws") as ws:
        ws.catalog.save_dataset(DatasetVersion(id="ds_few", name="few", stage="import"), few)
        out = export(ws, "few", format="classification-jsonl")
    assert out.counts["test"] == 0 or out.counts["dev"] == 0
    assert any("split is empty" in w and "7 examples" in w for w in out.warnings), out.warnings
