"""Job kinds of the graph stage: ingest, as a thin wrapper over :func:`kg.ingest.ingest`.

Resuming is safe: ingest first writes the batches a killed run logged but did not write to the graph,
then skips documents whose content is already in the catalog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kgsynth.jobs import JobContext, job_kind


@job_kind("ingest")
def ingest_job(ctx: JobContext, paths: list[str], **options: Any) -> dict[str, Any]:
    from kg.ingest import ingest

    report = ingest(
        ctx.ws,
        [Path(p) for p in paths],
        progress=ctx.progress,
        holder=f"job {ctx.job.id}",
        **options,
    )
    ctx.log(report.summary())
    return report.model_dump(mode="json")
