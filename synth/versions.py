"""Deriving dataset versions: every data step reads one version and writes a new one.

Nothing is overwritten: the catalog stores an example once per id (``INSERT OR IGNORE``), so an example
whose content changes gets a new id (:func:`changed`) and remembers the one it came from.
"""

from __future__ import annotations

from typing import Any

from kgsynth.errors import NotFoundError
from kgsynth.ids import content_id
from kgsynth.types import DatasetVersion, Example


def load(ws, version: str | DatasetVersion) -> tuple[DatasetVersion, list[Example]]:
    """A version (by id, name or record) and its examples."""
    v = version if isinstance(version, DatasetVersion) else ws.catalog.dataset(version)
    return v, ws.catalog.examples(v.id)


def changed(ex: Example, **updates: Any) -> Example:
    """A copy of `ex` with `updates` and a fresh content id; meta["prev_id"] names the original."""
    new = ex.model_copy(update=updates, deep=True)
    if new.model_dump(exclude={"id", "created_at"}) == ex.model_dump(exclude={"id", "created_at"}):
        return ex
    payload = new.model_dump(exclude={"id", "created_at", "meta"}, mode="json")
    meta = {k: v for k, v in new.meta.items() if k != "prev_id"}
    new.id = content_id(payload, meta, prefix="ex_")
    new.meta = {**new.meta, "prev_id": ex.id}
    return new


def derive(
    ws,
    parent: DatasetVersion,
    examples: list[Example],
    *,
    stage: str,
    params: dict[str, Any] | None = None,
    stats: dict[str, Any] | None = None,
    name: str | None = None,
) -> DatasetVersion:
    """Store `examples` as a new version of `parent` (same name unless given)."""
    params = params or {}
    version = DatasetVersion(
        id=version_id(stage, parent, params, examples),
        name=name or parent.name,
        stage=stage,
        parents=[parent.id],
        params=params,
        stats={**label_stats(examples), **(stats or {})},
    )
    return ws.catalog.save_dataset(version, examples)


def version_id(
    stage: str, parent: DatasetVersion, params: dict[str, Any], examples: list[Example]
) -> str:
    """The id `derive` gives: a hash of the stage, parent, params and example ids."""
    return content_id(stage, parent.id, params, [e.id for e in examples], prefix="ds_")


def label_stats(examples: list[Example]) -> dict[str, Any]:
    """Counts per label and per task (what every version's stats start with)."""
    labels: dict[str, int] = {}
    tasks: dict[str, int] = {}
    for e in examples:
        tasks[e.task] = tasks.get(e.task, 0) + 1
        if e.label is not None:
            labels[e.label] = labels.get(e.label, 0) + 1
    return {"labels": dict(sorted(labels.items())), "tasks": dict(sorted(tasks.items()))}


def lineage(ws, version: DatasetVersion) -> list[DatasetVersion]:
    """The version and its ancestors (first parents), newest first."""
    out = [version]
    seen = {version.id}
    while out[-1].parents and out[-1].parents[0] not in seen:
        try:
            parent = ws.catalog.dataset(out[-1].parents[0])
        except NotFoundError:  # a deleted parent ends the lineage
            break
        out.append(parent)
        seen.add(parent.id)
    return out
