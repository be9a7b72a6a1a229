"""Job kinds of the synthesis stage: each is a thin wrapper over one library function.

Registered in :data:`kgsynth.jobs.JOB_KINDS` when the ``kgsynth.plugins`` entry point imports this
module, so the CLI and the UI can start any of them in the background. Resuming is safe: synthesis
replays the generation cache, and annotation, cleaning and export read an immutable dataset version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kgsynth.jobs import JobContext, job_kind
from synth import export_squad  # noqa: F401  (registers the "squad" export format)


def _version_result(version) -> dict[str, Any]:
    return {"version_id": version.id, "name": version.name, "count": version.count}


@job_kind("synth_qa")
def synth_qa_job(ctx: JobContext, **options: Any) -> dict[str, Any]:
    from synth.qa import build_qa

    if "types" in options:
        options["types"] = tuple(options["types"])
    return _version_result(build_qa(ctx.ws, progress=ctx.progress, **options))


@job_kind("synth_classify")
def synth_classify_job(ctx: JobContext, schema: str, **options: Any) -> dict[str, Any]:
    from synth.classify import build_classification

    version = build_classification(ctx.ws, schema, progress=ctx.progress, **options)
    return _version_result(version)


@job_kind("synth_entity_typing")
def synth_entity_typing_job(ctx: JobContext, **options: Any) -> dict[str, Any]:
    from synth.graph_tasks import build_entity_typing

    return _version_result(build_entity_typing(ctx.ws, progress=ctx.progress, **options))


@job_kind("synth_relations")
def synth_relations_job(ctx: JobContext, **options: Any) -> dict[str, Any]:
    from synth.graph_tasks import build_relation_classification

    version = build_relation_classification(ctx.ws, progress=ctx.progress, **options)
    return _version_result(version)


@job_kind("synth_update")
def synth_update_job(ctx: JobContext, version: str, **options: Any) -> dict[str, Any]:
    from synth.update import update

    report = update(ctx.ws, version, progress=ctx.progress, **options)
    for line in report.lines():
        ctx.log(line)
    return report.model_dump(mode="json")


@job_kind("synth_uncovered")
def synth_uncovered_job(ctx: JobContext, version: str, **options: Any) -> dict[str, Any]:
    from synth.coverage import synth_uncovered

    return _version_result(synth_uncovered(ctx.ws, version, progress=ctx.progress, **options))


@job_kind("review_apply")
def review_apply_job(ctx: JobContext, version: str, **options: Any) -> dict[str, Any]:
    from synth.review import apply_reviews

    return _version_result(apply_reviews(ctx.ws, version, progress=ctx.progress, **options))


@job_kind("annotate")
def annotate_job(ctx: JobContext, version: str, **options: Any) -> dict[str, Any]:
    from synth.annotate import annotate

    return _version_result(annotate(ctx.ws, version, progress=ctx.progress, **options))


@job_kind("augment")
def augment_job(ctx: JobContext, version: str, **options: Any) -> dict[str, Any]:
    from synth.augment import augment

    return _version_result(augment(ctx.ws, version, progress=ctx.progress, **options))


@job_kind("clean")
def clean_job(ctx: JobContext, version: str, **options: Any) -> dict[str, Any]:
    from synth.clean import clean

    options["eval_sets"] = [Path(p) for p in options.get("eval_sets", [])]
    result = clean(ctx.ws, version, progress=ctx.progress, **options)
    ctx.artifact("report_md", result.report_md)
    ctx.artifact("report_json", result.report_json)
    return {
        **_version_result(result.version),
        "report_md": str(result.report_md),
        "report_json": str(result.report_json),
    }


@job_kind("export")
def export_job(ctx: JobContext, version: str, format: str, **options: Any) -> dict[str, Any]:
    from synth.export import export

    if options.get("out"):
        options["out"] = Path(options["out"])
    if "split" in options:
        options["split"] = tuple(options["split"])
    result = export(ctx.ws, version, format=format, progress=ctx.progress, **options)
    ctx.artifact("export", result.path)
    for warning in result.warnings:
        ctx.log(f"warning: {warning}")
    return {
        "path": str(result.path),
        "counts": result.counts,
        "files": [str(f) for f in result.files],
        "warnings": result.warnings,
    }
