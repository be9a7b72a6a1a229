"""Writing a new dataset version from a list of examples, with the stats every builder reports."""

from __future__ import annotations

from collections import Counter
from typing import Any

from kgsynth.ids import content_id
from kgsynth.types import DatasetVersion, Example


def example_stats(examples: list[Example]) -> dict[str, Any]:
    """Counts per task, label, language and label source."""
    return {
        "examples": len(examples),
        "tasks": dict(Counter(e.task for e in examples)),
        "labels": dict(Counter(e.label for e in examples if e.label is not None)),
        "langs": dict(Counter(e.lang for e in examples)),
        "label_sources": dict(Counter(e.label_source for e in examples)),
    }


def save_examples(
    ws,
    examples: list[Example],
    *,
    name: str,
    stage: str = "synth",
    params: dict[str, Any] | None = None,
    stats: dict[str, Any] | None = None,
    parents: list[str] | None = None,
) -> DatasetVersion:
    """Dedupe examples by id (first wins), then save them as a new immutable version."""
    seen: set[str] = set()
    unique = []
    for e in examples:
        if e.id not in seen:
            seen.add(e.id)
            unique.append(e)
    params = params or {}
    all_stats = {**example_stats(unique), **(stats or {})}
    all_stats["duplicates_dropped"] = len(examples) - len(unique)
    version_id = content_id(
        name, stage, params, parents or [], [e.id for e in unique], prefix="ds_"
    )
    version = DatasetVersion(
        id=version_id,
        name=name,
        stage=stage,
        parents=parents or [],
        params=params,
        stats=all_stats,
    )
    return ws.catalog.save_dataset(version, unique)
