"""Job kinds of the fine-tuning stage: classifier, reader and SFT training, and evaluation.

Each is a thin wrapper over one library function, registered in :data:`kgsynth.jobs.JOB_KINDS`
when the ``kgsynth.plugins`` entry point imports this module. A training job publishes its history
and per-step loss as it goes (the job's result while it runs) and records its run in the catalog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kgsynth.jobs import JobContext, job_kind
from kgsynth.types import RunRecord


def _run_dir(ctx: JobContext, out: str | None, name: str | None, prefix: str) -> Path:
    if out:
        return ctx.path(out)
    return ctx.ws.dir("runs") / (name or f"{prefix}-{ctx.job.id.removeprefix('job-')}")


def _record(ctx: JobContext, run: Path, data: str, metrics: dict, report: str | None = None):
    """The run as a catalog row, so the CLI and the app list it without scanning folders."""
    record = RunRecord(
        path=str(run),
        kind=ctx.job.kind,
        data=str(ctx.path(data)),
        metrics=metrics,
        report=report,
        job_id=ctx.job.id,
    )
    ctx.ws.catalog.save_run(record)


@job_kind("train_classifier")
def train_classifier_job(
    ctx: JobContext,
    data: str,
    out: str | None = None,
    name: str | None = None,
    evaluate: bool = True,
    **hyper: Any,
) -> dict:
    """Fine-tune a classifier on an export; evaluate on its test split when there is one."""
    from finetune.classifier import train_classifier
    from finetune.data import find_split
    from finetune.evaluate import evaluate_classifier

    run = _run_dir(ctx, out, name, "classifier")
    ctx.artifact("run_dir", run)
    result = train_classifier(
        ctx.path(data),
        run,
        checkpoint_dir=ctx.checkpoint_dir,
        progress=lambda d, t: ctx.progress(d, t, "training"),
        log=ctx.log,
        on_update=ctx.publish,
        **hyper,
    )
    ctx.artifact("model_card", run / "README.md")
    out_dict = result.model_dump()
    data_path = ctx.path(data)
    if evaluate and data_path.is_dir() and find_split(data_path, "test"):
        ctx.progress(0, 1, "evaluating")
        report = evaluate_classifier(run, data_path, run / "eval")
        for key, path in report.files.items():
            ctx.artifact(f"eval_{key}", path)
        out_dict["eval"] = {"macro_f1": report.macro.f1, "accuracy": report.accuracy}
    metrics = out_dict.get("eval") or result.test
    _record(ctx, run, data, metrics, ctx.job.artifacts.get("eval_json"))
    return out_dict


@job_kind("evaluate")
def evaluate_job(ctx: JobContext, model_dir: str, data: str, out: str | None = None) -> dict:
    """Evaluate a fine-tuned classifier on held-out data."""
    from finetune.evaluate import evaluate_classifier

    model = ctx.path(model_dir)
    report = evaluate_classifier(model, ctx.path(data), ctx.path(out) if out else None)
    for key, path in report.files.items():
        ctx.artifact(key, path)
    return {"macro_f1": report.macro.f1, "accuracy": report.accuracy, "files": report.files}


@job_kind("train_sft")
def train_sft_job(
    ctx: JobContext, data: str, out: str | None = None, name: str | None = None, **hyper: Any
) -> dict:
    """LoRA SFT of a causal LM on a QA export, with closed-book QA before and after."""
    from finetune.sft import train_sft

    run = _run_dir(ctx, out, name, "sft")
    ctx.artifact("run_dir", run)
    result = train_sft(
        ctx.path(data),
        run,
        checkpoint_dir=ctx.checkpoint_dir,
        progress=lambda d, t: ctx.progress(d, t, "training"),
        log=ctx.log,
        on_update=ctx.publish,
        **hyper,
    )
    for key, path in result.files.items():
        ctx.artifact(key, path)
    qa = {"before": result.before, "after": result.after}
    metrics = {k: {"exact_match": v.exact_match, "contains": v.contains} for k, v in qa.items()}
    _record(ctx, run, data, metrics)
    return result.model_dump()


@job_kind("train_reader")
def train_reader_job(
    ctx: JobContext,
    data: str,
    eval: str | None = None,
    out: str | None = None,
    name: str | None = None,
    **hyper: Any,
) -> dict:
    """Fine-tune an extractive QA reader on a squad export; EM/F1 on `eval` or the test split."""
    from finetune.reader import ReaderConfig, train_reader

    run = _run_dir(ctx, out, name, "reader")
    ctx.artifact("run_dir", run)
    result = train_reader(
        ctx.path(data),
        run,
        ReaderConfig(**hyper),
        eval_data=ctx.path(eval) if eval else None,
        checkpoint_dir=ctx.checkpoint_dir,
        progress=lambda d, t: ctx.progress(d, t, "training"),
        log=ctx.log,
    )
    for key, path in result.files.items():
        ctx.artifact(key, path)
    _record(ctx, run, data, result.eval.get("all", {}), result.files.get("report_json"))
    return result.model_dump()
