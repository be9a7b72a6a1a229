"""Dataset versions: the one place that writes them, and how a data step derives one from another.

Every builder and every data step ends in :func:`save`: one recipe for the version id (a hash of the
name, stage, parents, params and example ids, in that order), one stats function
(:func:`example_stats`). Nothing is overwritten: the catalog stores an example once per id
(``INSERT OR IGNORE``), so an example whose content changes gets a new id (:func:`changed`) and
remembers the one it came from. A large version (``[datasets] shard_min_examples``) is written as
Parquet shards (kgsynth.shards) with only its row in the catalog; :func:`stream` reads either kind
in order without loading it whole. Where a version is stored never changes its id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from kgsynth import shards
from kgsynth.errors import NotFoundError
from kgsynth.ids import content_id
from kgsynth.types import DatasetVersion, Example


def load(ws, version: str | DatasetVersion) -> tuple[DatasetVersion, list[Example]]:
    """A version (by id, name or record) and its examples."""
    v = version if isinstance(version, DatasetVersion) else ws.catalog.dataset(version)
    return v, ws.catalog.examples(v.id)


class ExampleStream:
    """A version's examples, read in order afresh on every iteration (never all in memory)."""

    def __init__(self, ws, version: DatasetVersion):
        self.ws, self.version = ws, version

    def __len__(self) -> int:
        return self.version.count

    def __iter__(self) -> Iterator[Example]:
        return self.ws.catalog.iter_examples(self.version.id)


def stream(ws, version: str | DatasetVersion) -> tuple[DatasetVersion, ExampleStream]:
    """A version (by id, name or record) and its examples as an :class:`ExampleStream`."""
    v = version if isinstance(version, DatasetVersion) else ws.catalog.dataset(version)
    return v, ExampleStream(ws, v)


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


def unique(examples: list[Example]) -> list[Example]:
    """The examples without repeated ids (the first of each id wins), in order."""
    seen: set[str] = set()
    out = []
    for e in examples:
        if e.id not in seen:
            seen.add(e.id)
            out.append(e)
    return out


def version_id(
    name: str,
    stage: str,
    parents: list[str],
    params: dict[str, Any],
    examples: list[Example],
) -> str:
    """The id :func:`save` gives these examples (after dropping repeated ids)."""
    ids = [e.id for e in unique(examples)]
    return content_id(name, stage, list(parents), params, ids, prefix="ds_")


def example_stats(examples: list[Example]) -> dict[str, Any]:
    """Counts per task, label, language and label source (what every version's stats start with)."""

    def counts(values) -> dict[str, int]:
        return dict(sorted(Counter(values).items()))

    return {
        "examples": len(examples),
        "tasks": counts(e.task for e in examples),
        "labels": counts(e.label for e in examples if e.label is not None),
        "langs": counts(e.lang for e in examples),
        "label_sources": counts(e.label_source for e in examples),
    }


def save(
    ws,
    examples: list[Example],
    *,
    name: str,
    stage: str,
    parents: list[str] | tuple[str, ...] = (),
    params: dict[str, Any] | None = None,
    stats: dict[str, Any] | None = None,
) -> DatasetVersion:
    """Store `examples` (repeated ids dropped) as a new immutable version and return it.

    The same name, stage, parents, params and examples give the same id, so a re-run is a no-op;
    a different name is a different version. `stats` add to :func:`example_stats`.
    """
    kept = unique(examples)
    params = params or {}
    version = DatasetVersion(
        id=version_id(name, stage, list(parents), params, kept),
        name=name,
        stage=stage,
        parents=list(parents),
        params=params,
        stats={
            **example_stats(kept),
            "duplicates_dropped": len(examples) - len(kept),
            "graph_seq": ws.catalog.last_delta_seq(),  # the graph it saw: `synth update` reads on
            **(stats or {}),
        },
        count=len(kept),
    )
    cfg = ws.config.datasets
    if not cfg.shard_min_examples or len(kept) < cfg.shard_min_examples:
        return ws.catalog.save_dataset(version, kept)
    try:
        return ws.catalog.dataset(version.id)  # stored already: a re-run is a no-op
    except NotFoundError:
        pass
    base = cfg.shard_path or str(ws.dir("datasets"))
    paths = shards.write_shards(kept, shards.shard_folder(base, version.id), cfg.shard_rows)
    version.shards = [shards.relative_to(p, ws.path) for p in paths]
    return ws.catalog.save_dataset(version, [])


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
    """Store `examples` as a new version made from `parent` (same name unless given)."""
    return save(
        ws,
        examples,
        name=name or parent.name,
        stage=stage,
        parents=[parent.id],
        params=params,
        stats=stats,
    )


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
