"""Large dataset versions as Parquet shards: the catalog keeps the row, counts and shard paths; the
examples, the version id and the exported bytes are those of a version stored in the catalog."""

from __future__ import annotations

import pyarrow.parquet as pq

from kgsynth.types import Example, example_id
from kgsynth.workspace import Workspace
from synth import versions
from synth.export import export
from tests.fixtures.corpus import bbc_files
from tests.same_results import export_bytes


def articles() -> list[Example]:
    out = []
    for path, label in bbc_files(3):
        text = path.read_text(encoding="utf-8", errors="replace")[:600]
        out.append(
            Example(
                id=example_id("classify", text, None, label),
                task="classify",
                input=text,
                label=label,
                label_source="gold",
                meta={"source": path.name},
            )
        )
    return out + out[:2]  # repeated ids are dropped, wherever the version is stored


def test_a_sharded_version_reads_and_exports_like_a_catalog_version(tmp_path):
    examples = articles()
    with Workspace(tmp_path / "catalog") as ws:
        plain = versions.save(ws, examples, name="bbc", stage="import")
        assert not plain.shards
        export(ws, plain.id, format="classification-jsonl", out=tmp_path / "plain")
        export(ws, plain.id, format="parquet", out=tmp_path / "plain-pq")
        expected = ws.catalog.examples(plain.id)
    with Workspace(tmp_path / "sharded") as ws:
        ws.config.datasets.shard_min_examples, ws.config.datasets.shard_rows = 10, 4
        v = versions.save(ws, examples, name="bbc", stage="import")
        assert v.id == plain.id and v.count == 15 and v.stats == plain.stats
        assert v.shards == [f"datasets/{v.id}/part-0000{n}.parquet" for n in range(4)]
        stored = ws.catalog.dataset("bbc")
        assert stored.shards == v.shards and stored.count == 15  # the row names the shards
        assert ws.catalog.conn.execute(
            "SELECT count(*) FROM dataset_examples WHERE version_id = ?", (v.id,)
        ).fetchone() == (0,)
        table = pq.read_table(tmp_path / "sharded" / v.shards[0])
        assert table.column_names == ["id", "task", "lang", "label", "record"]
        assert table.num_rows == 4 and table.column("label").to_pylist()[0] == "business"
        assert ws.catalog.examples(v.id) == expected
        assert versions.save(ws, examples, name="bbc", stage="import").id == v.id  # no-op
        export(ws, v.id, format="classification-jsonl", out=tmp_path / "sharded-export")
        export(ws, v.id, format="parquet", out=tmp_path / "sharded-pq")
    assert export_bytes(tmp_path / "sharded-export") == export_bytes(tmp_path / "plain")
    assert export_bytes(tmp_path / "sharded-pq") == export_bytes(tmp_path / "plain-pq")


def test_shards_on_an_fsspec_url(tmp_path):
    import fsspec

    examples = articles()
    with Workspace(tmp_path) as ws:
        ws.config.datasets.shard_min_examples = 1
        ws.config.datasets.shard_path = "memory://kgsynth-shared"
        v = versions.save(ws, examples, name="bbc", stage="import")
        assert len(v.shards) == 1 and v.shards[0].startswith("memory://")
        assert v.shards[0].endswith(f"/kgsynth-shared/{v.id}/part-00000.parquet")
        assert fsspec.filesystem("memory").exists(f"/kgsynth-shared/{v.id}/part-00000.parquet")
        _, stream = versions.stream(ws, v.id)
        assert len(stream) == 15 and [e.id for e in stream] == [e.id for e in examples[:15]]
        derived = versions.derive(ws, v, list(stream)[:5], stage="clean")
        assert derived.parents == [v.id] and ws.catalog.examples(derived.id) == list(stream)[:5]
