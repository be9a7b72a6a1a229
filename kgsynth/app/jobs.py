"""Job kinds of the app layer: work that joins the stages (the closed loop, `kgsynth improve`).

Registered like every stage's jobs, through the ``kgsynth.plugins`` entry point, so the background
worker the app starts can run them too.
"""

from __future__ import annotations

from typing import Any

from kgsynth.jobs import JobContext, job_kind


@job_kind("improve")
def improve_job(ctx: JobContext, run: str, **options: Any) -> dict[str, Any]:
    from kgsynth.app.improve import improve

    report = improve(ctx.ws, run, progress=ctx.progress, **options)
    for line in report.lines():
        ctx.log(line)
    ctx.artifact("report_md", report.report_md)
    ctx.artifact("run_dir", report.improved_run)
    return report.model_dump(mode="json")
