"""Parquet shards of a dataset version's examples, for versions too large for the catalog.

A sharded version keeps its row in the catalog (counts, stats and its shard paths); its examples
live in Parquet files in the workspace or under any fsspec URL a cluster shares
(``[datasets] shard_path``), in the version's order, one row per example: ``id``, ``task``,
``lang``, ``label`` (to query with any Parquet reader) and ``record``, the example's JSON exactly
as the catalog would store it, so a sharded version reads back the same examples. Each shard is
written under a temporary name and renamed, and the catalog row naming the shards comes last.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from kgsynth.types import Example

READ_ROWS = 2048  # examples decoded at a time when streaming a shard


def _fs(url: str):
    import fsspec

    return fsspec.core.url_to_fs(url)


def shard_folder(base: str, version_id: str) -> str:
    """The folder of one version's shards under `base` (a path or an fsspec URL)."""
    return f"{base.rstrip('/')}/{version_id}"


def write_shards(examples: Sequence[Example], folder: str, rows_per_shard: int) -> list[str]:
    """Write `examples` in order as ``part-NNNNN.parquet`` files in `folder`; their full paths."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fs, root = _fs(folder)
    fs.makedirs(root, exist_ok=True)
    paths = []
    size = max(1, rows_per_shard)
    for n, start in enumerate(range(0, len(examples), size)):
        part = examples[start : start + size]
        table = pa.table(
            {
                "id": [e.id for e in part],
                "task": [e.task for e in part],
                "lang": [e.lang for e in part],
                "label": [e.label for e in part],
                "record": [e.model_dump_json() for e in part],
            }
        )
        name = f"{root}/part-{n:05d}.parquet"
        with fs.open(name + ".tmp", "wb") as f:
            pq.write_table(table, f)
        fs.mv(name + ".tmp", name)
        paths.append(fs.unstrip_protocol(name) if "://" in folder else name)
    return paths


def relative_to(path: str, workspace: Path) -> str:
    """`path` relative to the workspace when it lies inside it (the workspace may move)."""
    if "://" in path:
        return path
    try:
        return Path(path).resolve().relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return path


def iter_examples(paths: Sequence[str], workspace: Path) -> Iterator[Example]:
    """The examples of shards in order (relative paths are inside `workspace`), streamed."""
    import pyarrow.parquet as pq

    for path in paths:
        url = path if "://" in path or Path(path).is_absolute() else str(workspace / path)
        fs, name = _fs(url)
        with fs.open(name, "rb") as f:
            for batch in pq.ParquetFile(f).iter_batches(READ_ROWS, columns=["record"]):
                for record in batch.column(0).to_pylist():
                    yield Example.model_validate_json(record)
