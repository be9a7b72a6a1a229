"""Job kinds of the graph stage: ingest, as a thin wrapper over :func:`kg.ingest.ingest`.

Resuming is safe: ingest skips documents whose content is already in the catalog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kgsynth.jobs import JobContext, job_kind


@job_kind("ingest")
def ingest_job(ctx: JobContext, paths: list[str], **options: Any) -> dict[str, Any]:
    from kg.ingest import ingest

    report = ingest(ctx.ws, [Path(p) for p in paths], progress=ctx.progress, **options)
    ctx.log(report.summary())
    return report.model_dump(mode="json")
