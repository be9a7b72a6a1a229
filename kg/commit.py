"""Crash-consistent ingest: the catalog and the graph store commit each batch together.

A batch's graph writes (the chunks it replaces, its entities and relations) are logged in the catalog
in the same SQLite transaction that saves its documents, chunks and extractions; only then are they
applied to the graph store, which records the last batch it holds (:meth:`GraphStore.log_position`,
durable with the graph's own data). So a batch is done once the catalog holds it, whatever happens to
the process or the store afterwards: :meth:`GraphLog.recover` replays the logged batches the graph
lacks (writes merge idempotently, so a half-applied batch applied again is applied once) and prunes
what the graph holds. The entity resolver's state is saved with every batch, so a killed and resumed
ingest resolves its remaining documents exactly as an uninterrupted run would.
"""

from __future__ import annotations

import io
import json
import pickle
import zlib
from typing import TYPE_CHECKING

from kg import delta
from kg.resolve import Resolver
from kgsynth.errors import StoreError
from kgsynth.types import GraphBatch

if TYPE_CHECKING:
    from kgsynth.workspace import Workspace

SAVED = (
    "the documents ingested so far are saved; the next ingest or `kgsynth jobs resume` writes "
    "them to the graph"
)


class GraphLog:
    """The workspace's log of graph batches for its current store."""

    def __init__(self, ws: Workspace):
        self.store = ws.store
        self.catalog = ws.catalog
        self.key = ws.store.identity
        self.workspace_id = ws.catalog.workspace_id()

    def position(self) -> int:
        return self.store.log_position(self.workspace_id)

    def recover(self) -> int:
        """Apply the logged batches the graph does not hold yet; returns how many."""
        for seq in self.catalog.pending_deltas(self.key):  # written, but killed before its delta
            if seq <= self.position():
                delta.finish(self.store, self.catalog, self.key, seq)
        replayed = 0
        with self.store.bulk():
            for seq, data in self.catalog.graph_log(self.key, self.position()):
                removed, batch = decode_batch(data)
                self.apply(seq, removed, batch)
                replayed += 1
        self.prune()
        return replayed

    def commit(self, removed: list[str], batch: GraphBatch, resolver: Resolver, **changes) -> int:
        """Log a batch and the resolver state after it; call inside the catalog transaction that
        saves the batch's documents. Returns the batch's sequence number. `changes` name the
        chunks and documents it adds and removes, for its graph delta (kg/delta.py)."""
        seq = self.catalog.log_graph_batch(self.key, encode_batch(removed, batch))
        self.catalog.save_ingest_state(self.key, seq, resolver_state(resolver))
        delta.record(self.catalog, self.key, seq, removed, **changes)
        return seq

    def apply(self, seq: int, removed: list[str], batch: GraphBatch) -> None:
        """Write a logged batch to the graph store and move its position past it."""
        try:
            delta.before_write(self.store, self.catalog, self.key, seq, batch)
            if removed:
                self.store.remove_chunks(removed)
            self.store.write(batch)
            self.store.set_log_position(self.workspace_id, seq)
            delta.finish(self.store, self.catalog, self.key, seq)
        except StoreError as e:
            raise StoreError(f"{e} ({SAVED})") from e

    def prune(self) -> None:
        """Drop the logged batches the store holds durably (call after its bulk block ended)."""
        self.catalog.prune_graph_log(self.key, self.position())

    def resolver(self, **options) -> Resolver:
        """The resolver as the last logged batch left it, else one seeded from the store."""
        saved = self.catalog.ingest_state(self.key)
        if saved is not None and saved[0] == self.position():
            try:
                return restore_resolver(saved[1], **options)
            except (pickle.UnpicklingError, zlib.error, EOFError, TypeError, ValueError):
                pass  # unreadable: the store's entities are the next best seed
        return Resolver.from_store(self.store, **options)


# ---------------------------------------------------------------- encoding


def encode_batch(removed: list[str], batch: GraphBatch) -> bytes:
    head = json.dumps(removed).encode()
    return zlib.compress(head + b"\n" + batch.model_dump_json().encode(), 1)


def decode_batch(data: bytes) -> tuple[list[str], GraphBatch]:
    head, _, body = zlib.decompress(data).partition(b"\n")
    return json.loads(head), GraphBatch.model_validate_json(body)


def resolver_state(resolver: Resolver) -> bytes:
    """The resolver's indexes (plain dicts, sets and counters), without its embedder."""
    state = {k: v for k, v in vars(resolver).items() if k not in ("embedder", "threshold")}
    return zlib.compress(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL), 1)


def restore_resolver(data: bytes, **options) -> Resolver:
    resolver = Resolver(**options)
    state = _PlainUnpickler(io.BytesIO(zlib.decompress(data))).load()
    resolver.__dict__.update(state)
    return resolver


class _PlainUnpickler(pickle.Unpickler):
    """Loads only builtin containers and collections' dict types: a catalog can never run code."""

    ALLOWED = {
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "dict"),
        ("builtins", "list"),
        ("builtins", "tuple"),
        ("collections", "defaultdict"),
        ("collections", "Counter"),
        ("collections", "OrderedDict"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"ingest state holds a {module}.{name}; refusing it")
        return super().find_class(module, name)
