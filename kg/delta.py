"""The graph delta of each ingest batch: what it added, removed and changed, with the chunks behind it.

Recorded through the commit protocol (kg/commit.py): when a batch is logged, what it adds and removes
(documents, chunks) is noted in the same catalog transaction; just before the batch is written to the
graph, the stored state of everything it may change (the entities and relations it writes, and those
its removed chunks contributed to) is snapshotted; once it is written, the same ids are read again
and the difference is stored as a :class:`~kgsynth.types.GraphDelta`. A batch replayed after a crash
is compared with the snapshot taken before its first write, so its delta is the same. `synth update`
reads the deltas recorded since a dataset version was built (synth/update.py).
"""

from __future__ import annotations

import json
import zlib
from typing import TYPE_CHECKING

from kgsynth.types import GraphBatch, GraphDelta, Subgraph

if TYPE_CHECKING:
    from kgsynth.catalog import Catalog
    from kgsynth.store import GraphStore


def record(
    catalog: Catalog,
    key: str,
    seq: int,
    removed: list[str],
    *,
    chunks_added: list[str] = (),
    docs_added: list[str] = (),
    docs_removed: list[str] = (),
    docs_replaced: dict[str, str] | None = None,
) -> None:
    """Note what batch `seq` adds and removes (call in the transaction that logs the batch)."""
    head = {
        "chunks_added": list(chunks_added),
        "chunks_removed": list(removed),
        "docs_added": list(docs_added),
        "docs_removed": list(docs_removed),
        "docs_replaced": dict(docs_replaced or {}),
        "state": None,
    }
    catalog.save_delta_snapshot(key, seq, _pack(head))


def before_write(store: GraphStore, catalog: Catalog, key: str, seq: int, batch: GraphBatch):
    """Snapshot the stored state of everything batch `seq` may change, unless an earlier attempt
    at writing it did (that one was taken before any of its writes)."""
    data = catalog.delta_snapshot(key, seq)
    if data is None:
        return
    snap = _unpack(data)
    if snap["state"] is not None:
        return
    removed = snap["chunks_removed"]
    footprint = store.chunk_footprint(removed) if removed else Subgraph()
    snap["entity_ids"] = list(dict.fromkeys([e.id for e in footprint.entities + batch.entities]))
    snap["relation_ids"] = list(
        dict.fromkeys([r.id for r in footprint.relations + batch.relations])
    )
    snap["state"] = _state(store.lookup(snap["entity_ids"], snap["relation_ids"]))
    catalog.save_delta_snapshot(key, seq, _pack(snap))


def finish(store: GraphStore, catalog: Catalog, key: str, seq: int) -> GraphDelta | None:
    """Compare batch `seq` (written now) with its snapshot and record the delta; None without one."""
    data = catalog.delta_snapshot(key, seq)
    if data is None:
        return None
    snap = _unpack(data)
    if snap["state"] is None:
        return None
    after = _state(store.lookup(snap["entity_ids"], snap["relation_ids"]))
    delta = diff(snap, after, seq=seq, store=key)
    catalog.save_delta(delta)
    return delta


def diff(snap: dict, after: dict, *, seq: int, store: str) -> GraphDelta:
    """The delta between a batch's snapshot and the state of the same ids after it."""
    before = snap["state"]
    b_ent, a_ent = before["entities"], after["entities"]
    b_rel, a_rel = before["relations"], after["relations"]
    added = sorted(a_rel.keys() - b_rel.keys())
    removed = sorted(b_rel.keys() - a_rel.keys())
    typed_added = [a_rel[r] for r in added if a_rel[r][3] == "relation"]
    typed_removed = [b_rel[r] for r in removed if b_rel[r][3] == "relation"]
    slots = {s for row in typed_added + typed_removed for s in GraphDelta.slots_of(*row[:3])}
    return GraphDelta(
        seq=seq,
        store=store,
        docs_added=snap["docs_added"],
        docs_removed=snap["docs_removed"],
        docs_replaced=snap["docs_replaced"],
        chunks_added=snap["chunks_added"],
        chunks_removed=snap["chunks_removed"],
        entities_added=sorted(a_ent.keys() - b_ent.keys()),
        entities_removed=sorted(b_ent.keys() - a_ent.keys()),
        entities_changed=sorted(e for e in a_ent.keys() & b_ent.keys() if a_ent[e] != b_ent[e]),
        relations_added=added,
        relations_removed=removed,
        relations_changed=sorted(r for r in a_rel.keys() & b_rel.keys() if a_rel[r] != b_rel[r]),
        slots=sorted(slots),
        typed_added=len(typed_added),
        typed_removed=len(typed_removed),
    )


def _pack(snap: dict) -> bytes:
    return zlib.compress(json.dumps(snap).encode(), 1)


def _unpack(data: bytes) -> dict:
    return json.loads(zlib.decompress(data))


def _state(graph: Subgraph) -> dict:
    """Entities as [name, type]; relations as [source, predicate, target, kind, evidence chunks]."""
    return {
        "entities": {e.id: [e.name, e.type] for e in graph.entities},
        "relations": {
            r.id: [
                r.source_id,
                r.predicate,
                r.target_id,
                r.kind,
                sorted({ev.chunk_id for ev in r.evidence}),
            ]
            for r in graph.relations
        },
    }
