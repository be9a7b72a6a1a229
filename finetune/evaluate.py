"""Evaluation reports for a fine-tuned classifier, and side-by-side comparison of runs.

A report has per-class precision, recall, F1 and support with macro and weighted averages (the layout
of sklearn's classification_report), accuracy, a confusion matrix PNG and, when the model directory
holds a ``train_log.json``, a learning-curve PNG; it is written as ``report.json`` and ``report.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from finetune import plots
from finetune.classifier import predict_ids, set_threads
from finetune.data import load_eval_rows
from kgsynth.errors import InputError, NotFoundError, require


class ClassScores(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int


class EvalReport(BaseModel):
    model_dir: str
    data: str
    labels: list[str]
    per_class: dict[str, ClassScores]
    macro: ClassScores
    weighted: ClassScores
    accuracy: float
    confusion: list[list[int]]
    unknown_labels: dict[str, int] = Field(default_factory=dict)
    files: dict[str, str] = Field(default_factory=dict)

    @property
    def macro_f1(self) -> float:
        return self.macro.f1

    @property
    def report_md(self) -> str:
        return self.files.get("markdown", "")

    @property
    def report_json(self) -> str:
        return self.files.get("json", "")


def evaluate_classifier(
    model_dir: str | Path,
    data: str | Path,
    out_dir: str | Path | None = None,
    *,
    max_length: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Score `model_dir` on held-out rows (an export's test split or a file); write JSON, MD, PNGs."""
    transformers = require("transformers", extra="ml")
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").exists():
        raise NotFoundError(f"{model_dir} is not a model directory (no config.json)")
    out = Path(out_dir) if out_dir else model_dir / "eval"
    out.mkdir(parents=True, exist_ok=True)
    rows = load_eval_rows(data)
    if not rows:
        raise InputError(f"{data}: no rows to evaluate")
    set_threads()
    tok = transformers.AutoTokenizer.from_pretrained(model_dir)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(model_dir)
    label2id = {str(k): int(v) for k, v in model.config.label2id.items()}
    labels = [lab for lab, _ in sorted(label2id.items(), key=lambda kv: kv[1])]
    unknown: dict[str, int] = {}
    for _, lab in rows:
        if lab not in label2id:
            unknown[lab] = unknown.get(lab, 0) + 1
    max_length = max_length or trained_max_length(model_dir / "train_log.json")
    ids = tok([t for t, _ in rows], truncation=True, max_length=max_length)["input_ids"]
    pred = predict_ids(model, ids, tok.pad_token_id or 0)
    if progress:
        progress(len(rows), len(rows))
    gold_names = [lab for _, lab in rows]
    pred_names = [labels[p] for p in pred]
    report = score(gold_names, pred_names, labels)
    report = report.model_copy(
        update={"model_dir": str(model_dir), "data": str(data), "unknown_labels": unknown}
    )
    return write_report(report, out, model_dir / "train_log.json")


def trained_max_length(train_log: Path, default: int = 256) -> int:
    """The max_length the model was trained with (from its train_log.json), else `default`."""
    if train_log.exists():
        return int(json.loads(train_log.read_text()).get("params", {}).get("max_length", default))
    return default


def score(gold: list[str], pred: list[str], labels: list[str]) -> EvalReport:
    """The classification report of gold vs. predicted label names."""
    from sklearn.metrics import classification_report, confusion_matrix

    names = labels + sorted(set(gold) - set(labels))
    rep = classification_report(gold, pred, labels=names, output_dict=True, zero_division=0)

    def cs(d: dict) -> ClassScores:
        return ClassScores(
            precision=round(d["precision"], 4),
            recall=round(d["recall"], 4),
            f1=round(d["f1-score"], 4),
            support=int(d["support"]),
        )

    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    return EvalReport(
        model_dir="",
        data="",
        labels=names,
        per_class={lab: cs(rep[lab]) for lab in names},
        macro=cs(rep["macro avg"]),
        weighted=cs(rep["weighted avg"]),
        accuracy=round(acc, 4),
        confusion=confusion_matrix(gold, pred, labels=names).tolist(),
    )


def write_report(report: EvalReport, out: Path, train_log: Path | None = None) -> EvalReport:
    """Write confusion PNG, learning curve PNG (if a training log exists), report.json and .md."""
    files = {
        "confusion_png": str(
            plots.confusion_png(report.confusion, report.labels, out / "confusion.png")
        )
    }
    if train_log and train_log.exists():
        history = json.loads(train_log.read_text()).get("history", [])
        if history:
            files["learning_curve_png"] = str(
                plots.learning_curve_png(history, out / "learning_curve.png")
            )
    files |= {"json": str(out / "report.json"), "markdown": str(out / "report.md")}
    report = report.model_copy(update={"files": files})
    (out / "report.json").write_text(report.model_dump_json(indent=1))
    (out / "report.md").write_text(report_markdown(report))
    return report


def report_markdown(report: EvalReport) -> str:
    """The report as Markdown: the classification_report table, accuracy, figures."""
    lines = [
        f"# Evaluation of `{report.model_dir}`",
        "",
        f"Data: `{report.data}`",
        "",
        "| label | precision | recall | f1 | support |",
        "|---|---:|---:|---:|---:|",
    ]
    rows = list(report.per_class.items()) + [
        ("macro avg", report.macro),
        ("weighted avg", report.weighted),
    ]
    for name, s in rows:
        lines.append(f"| {name} | {s.precision:.4f} | {s.recall:.4f} | {s.f1:.4f} | {s.support} |")
    lines += ["", f"Accuracy: {report.accuracy:.4f} on {report.macro.support} examples", ""]
    if report.unknown_labels:
        lines += [f"Labels unknown to the model (always wrong): {report.unknown_labels}", ""]
    for key, title in (
        ("confusion_png", "Confusion matrix"),
        ("learning_curve_png", "Learning curve"),
    ):
        if key in report.files:
            lines += [f"![{title}]({Path(report.files[key]).name})", ""]
    return "\n".join(lines)


def load_report(path: str | Path) -> EvalReport:
    """A report from its report.json, its eval dir, or a run dir holding eval/report.json."""
    p = Path(path)
    for cand in (p, p / "report.json", p / "eval" / "report.json"):
        if cand.is_file():
            return EvalReport.model_validate_json(cand.read_text())
    raise NotFoundError(f"no report.json at {p}; run `kgsynth evaluate` first")


def compare_runs(report_paths: list[str | Path], out_dir: str | Path) -> Path:
    """Several runs side by side: a Markdown table and a bar chart of macro-F1 and per-class F1."""
    if not report_paths:
        raise InputError("compare needs at least one run or report.json")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    reports = {}
    for p in report_paths:
        rep = load_report(p)
        base = name = Path(rep.model_dir).name or str(p)
        k = 1
        while name in reports:
            k += 1
            name = f"{base} #{k}"
        reports[name] = rep
    labels = list(dict.fromkeys(lab for r in reports.values() for lab in r.labels))
    scores = {
        name: {"macro-F1": r.macro.f1} | {lab: r.per_class[lab].f1 for lab in r.per_class}
        for name, r in reports.items()
    }
    png = plots.compare_png(scores, out / "compare.png")
    head = ["run", "macro-F1", "weighted-F1", "accuracy", *labels]
    lines = [
        "# Runs compared",
        "",
        "| " + " | ".join(head) + " |",
        "|---" + "|---:" * (len(head) - 1) + "|",
    ]
    for name, r in reports.items():
        cells = [name, f"{r.macro.f1:.4f}", f"{r.weighted.f1:.4f}", f"{r.accuracy:.4f}"]
        cells += [f"{r.per_class[lab].f1:.4f}" if lab in r.per_class else "-" for lab in labels]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"![per-class F1]({png.name})", ""]
    md = out / "compare.md"
    md.write_text("\n".join(lines))
    return md
