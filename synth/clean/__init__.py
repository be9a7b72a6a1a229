"""Cleaning as composable filters: each reads examples and returns (kept, removed-with-reasons).

Built-in filters (``FILTERS``): normalize, length, quality, exact_dedup, near_dedup, semantic_dedup,
pii, decontam, grounding, label_noise, roundtrip (a reader must recover the answer). ``clean()``
runs a chain of them over one dataset version and writes a new version plus a JSON and Markdown
report in ``ws.dir("reports")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kgsynth.engine import Work
from kgsynth.types import DatasetVersion, Example, Record
from synth.clean.base import FILTERS, CleanContext, Filter, Progress, Removed

__all__ = [
    "DEFAULT_FILTERS",
    "FILTERS",
    "CleanContext",
    "CleanResult",
    "Filter",
    "Removed",
    "clean",
    "load_builtin_filters",
    "make_filter",
]


DEFAULT_FILTERS = [
    "normalize",
    "length",
    "quality",
    "exact_dedup",
    "near_dedup",
    "grounding",
    "pii",
]


class CleanResult(Record):
    version: DatasetVersion
    report: dict[str, Any]
    report_json: Path
    report_md: Path


def load_builtin_filters() -> None:
    """Import the filter modules (each registers its filters)."""
    from synth.clean import (  # noqa: F401
        decontam,
        dedup,
        grounding,
        label_noise,
        normalize,
        pii,
        quality,
        roundtrip,
    )


def make_filter(name: str, options: dict[str, Any] | None = None) -> Filter:
    """An instance of the named filter with its options."""
    load_builtin_filters()
    return FILTERS.get(name)(**(options or {}))


def clean(
    ws,
    version: str | DatasetVersion,
    *,
    filters: list[str] | None = None,
    options: dict[str, dict[str, Any]] | None = None,
    eval_sets: list[Path] | tuple = (),
    name: str | None = None,
    progress: Progress = None,
) -> CleanResult:
    """Run filters in order over a version; store the kept examples as a new "clean" version."""
    from synth.clean.report import write_report
    from synth.versions import derive, load, version_id

    parent, examples = load(ws, version)
    names = list(filters) if filters else DEFAULT_FILTERS + (["decontam"] if eval_sets else [])
    options = options or {}
    chain = [make_filter(n, options.get(n)) for n in names]
    ctx = CleanContext(ws=ws, eval_sets=[Path(p) for p in eval_sets])
    steps = []
    current = examples
    for i, f in enumerate(chain):
        before = {e.id for e in current}
        kept, removed = _apply(f, current, ctx)
        modified = [e for e in kept if e.id not in before]
        steps.append(
            {
                "filter": names[i],
                "in": len(current),
                "kept": len(kept),
                "removed": removed,
                "modified": modified,
            }
        )
        current = kept
        if progress:
            progress(i + 1, len(chain))
    params = {"filters": names, "options": options, "eval_sets": [str(p) for p in eval_sets]}
    vid = version_id(name or parent.name, "clean", [parent.id], params, current)
    report, json_path, md_path = write_report(ws, parent, vid, steps)
    stats = {"clean": report["summary"], "report_json": str(json_path), "report_md": str(md_path)}
    new = derive(ws, parent, current, stage="clean", params=params, stats=stats, name=name)
    return CleanResult(version=new, report=report, report_json=json_path, report_md=md_path)


def _apply(f: Filter, examples: list[Example], ctx: CleanContext):
    """`f.apply`, on the workspace's engine for a row-wise filter."""
    engine = getattr(ctx.ws, "engine", None)
    if not f.rowwise or engine is None or not examples:
        return f.apply(examples, ctx)
    size = engine.task_size(len(examples))
    outcomes = engine.map(_RowwiseFilter(f), examples, batch_size=size, progress=ctx.progress)
    kept = [o for o in outcomes if isinstance(o, Example)]
    return kept, [o for o in outcomes if isinstance(o, Removed)]


class _RowwiseFilter(Work):
    """A row-wise filter as engine work: each example's outcome, the kept copy or its Removed."""

    local_below = 10_000  # well under a millisecond per example

    def __init__(self, f: Filter):
        self.filter = f

    def run(self, examples: list[Example]) -> list[Example | Removed]:
        kept, removed = self.filter.apply(examples, CleanContext())
        why = {id(r.example): r for r in removed}
        copies = iter(kept)
        return [why[id(e)] if id(e) in why else next(copies) for e in examples]


load_builtin_filters()  # at the end: the filter modules import the names defined above
