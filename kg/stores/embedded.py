"""The default graph store: a networkx MultiDiGraph in memory, persisted in ``<workspace>/graph/``.

Persistence: one pickle file (``graph.pkl``) written atomically (temp file + ``os.replace``), so a
crash never leaves a half-written graph. Every ``write()``/``remove_chunks()``/``clear()`` flushes
at once, unless it runs inside ``with store.bulk():`` — then the file is written when the block
ends and at most every ``BULK_FLUSH_S`` seconds inside it (ingest of many batches: a few rewrites,
not one per batch). The file also holds the store's position in the workspace's graph log, so after
a crash ingest replays the logged batches the file does not hold yet (kg/commit.py): nothing is lost.
``close()`` flushes too. Readers reload when another process (a job worker) replaced the file. One
writer per workspace: ingest holds the workspace write lock (kgsynth/lock.py). The file is a pickle:
open only workspaces you trust.
"""

from __future__ import annotations

import bisect
import gc
import os
import pickle
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from sys import intern

import networkx as nx

from kg.stores import common
from kg.stores.console import EmbeddedConsole
from kgsynth.errors import StoreError
from kgsynth.store import STORES, GraphStore
from kgsynth.types import (
    Entity,
    Evidence,
    Fact,
    GraphBatch,
    GraphPath,
    GraphStats,
    Relation,
    Subgraph,
)

GRAPH_FILE = "graph.pkl"
FORMAT = 2
BULK_FLUSH_S = 60.0  # inside bulk(), still flush at most this long after the last flush

# Records are kept as plain tuples (fast to pickle and load: a 2,225-article graph loads in about
# a second) and become pydantic records only when read.
EntityRow = tuple  # (name, type, aliases, mentions, chunk_ids, lang)
RelationRow = tuple  # (source_id, target_id, predicate, kind, weight, evidence)
EvidenceRow = tuple  # (triple_id, chunk_id, doc_id, sentence, start, end)


def entity_to_row(e: Entity) -> EntityRow:
    return (e.name, e.type, tuple(e.aliases), e.mentions, tuple(map(intern, e.chunk_ids)), e.lang)


def row_to_entity(eid: str, row: EntityRow) -> Entity:
    name, type, aliases, mentions, chunks, lang = row
    return Entity(
        id=eid,
        name=name,
        type=type,
        aliases=list(aliases),
        mentions=mentions,
        chunk_ids=list(chunks),
        lang=lang,
    )


def relation_to_row(r: Relation) -> RelationRow:
    evidence = tuple(
        (e.triple_id, intern(e.chunk_id), intern(e.doc_id), intern(e.sentence), e.start, e.end)
        for e in r.evidence
    )
    return (r.source_id, r.target_id, intern(r.predicate), r.kind, r.weight, evidence)


def row_to_relation(rid: str, row: RelationRow) -> Relation:
    src, dst, predicate, kind, weight, evidence = row
    return Relation(
        id=rid,
        source_id=src,
        target_id=dst,
        predicate=predicate,
        kind=kind,
        weight=weight,
        evidence=[
            Evidence(triple_id=t, chunk_id=c, doc_id=d, sentence=x, start=a, end=b)
            for t, c, d, x, a, b in evidence
        ],
    )


def _signature(st: os.stat_result) -> tuple:
    return (st.st_ino, st.st_mtime_ns, st.st_size)


@contextmanager
def _no_gc():
    """Pause the cyclic GC while building millions of small objects (a 3-5x faster load)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@STORES.register("embedded")
class EmbeddedStore(GraphStore):
    """networkx MultiDiGraph (nodes: entity ids; edges keyed by relation id) + records by id."""

    name = "embedded"

    def __init__(self, directory: Path | str | None = None):
        self.directory = Path(directory) if directory is not None else None
        self._bulk_depth = 0
        self._lock = threading.Lock()
        self._reset()
        if self.directory is not None:
            self._load()

    def _reset(self) -> None:
        self.graph = nx.MultiDiGraph()
        self._entities: dict[str, EntityRow] = {}
        self._counts: dict[str, dict[str, int]] = {}  # entity id -> chunk id -> mentions
        self._relations: dict[str, RelationRow] = {}
        self._names: dict[str, set[str]] = {}  # lower-cased name/alias -> entity ids
        self._sorted_names: list[str] | None = None
        self._by_chunk: dict[str, tuple[set[str], set[str]]] | None = None  # chunk -> (eids, rids)
        self._log: dict[str, int] = {}  # workspace id -> last graph-log batch held
        self._dirty = False
        self._flushed_at = time.monotonic()
        self._file_sig: tuple | None = None  # (inode, mtime, size) of the file last read/written

    @classmethod
    def open(cls, config, workspace_dir) -> EmbeddedStore:
        """Open (or create) the graph of a workspace."""
        return cls(Path(workspace_dir) / "graph")

    # ------------------------------------------------------------ persistence

    @property
    def path(self) -> Path | None:
        return self.directory / GRAPH_FILE if self.directory is not None else None

    def _load(self) -> None:
        path = self.path
        if path is None or not path.exists():
            return
        try:
            with path.open("rb") as f, _no_gc():
                sig = _signature(os.fstat(f.fileno()))
                data = pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, AttributeError) as e:
            raise StoreError(f"{path}: cannot read the graph ({e}); restore it or re-ingest") from e
        if data.get("format") != FORMAT:
            raise StoreError(f"{path}: unknown graph format {data.get('format')!r}; re-ingest")
        self.graph = data["graph"]
        self._entities = data["entities"]
        self._counts = data["counts"]
        self._relations = data["relations"]
        self._log = data.get("log", {})
        self._file_sig = sig
        with _no_gc():
            for eid, row in self._entities.items():
                self._index_names(eid, row)

    def flush(self) -> None:
        """Write the graph file now (atomically) if anything changed."""
        if not self._dirty or self.directory is None:
            return
        data = {
            "format": FORMAT,
            "graph": self.graph,
            "entities": self._entities,
            "counts": self._counts,
            "relations": self._relations,
            "log": self._log,
        }
        tmp = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".graph-", suffix=".tmp", dir=self.directory)
            with os.fdopen(fd, "wb") as f:
                pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException as e:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            if isinstance(e, OSError):
                raise StoreError(f"cannot write the graph to {self.path}: {e.strerror or e}") from e
            raise
        self._file_sig = _signature(os.stat(self.path))
        self._dirty = False
        self._flushed_at = time.monotonic()

    def _sync(self) -> None:
        """Reload when another process (a job worker) replaced the file and we changed nothing."""
        if self.directory is None or self._dirty:
            return
        try:
            sig = _signature(os.stat(self.path))
        except FileNotFoundError:
            sig = None
        if sig != self._file_sig:
            with self._lock:
                if sig != self._file_sig:
                    # load aside, then swap: readers in other threads never see a half-loaded graph
                    fresh = EmbeddedStore(self.directory)
                    state = {
                        k: v for k, v in vars(fresh).items() if k not in ("_lock", "_bulk_depth")
                    }
                    self.__dict__.update(state)

    def _changed(self) -> None:
        self._dirty = True
        if self._bulk_depth == 0 or time.monotonic() - self._flushed_at > BULK_FLUSH_S:
            self.flush()

    @contextmanager
    def bulk(self):
        """Many writes, one flush at the end of the block."""
        self._bulk_depth += 1
        try:
            yield
        finally:
            self._bulk_depth -= 1
            if self._bulk_depth == 0:
                self.flush()

    def close(self) -> None:
        self.flush()

    # ------------------------------------------------------------ indexes

    def _index_names(self, eid: str, row: EntityRow) -> None:
        for n in (row[0], *row[2]):
            key = n.lower()
            if key not in self._names:
                self._sorted_names = None
            self._names.setdefault(key, set()).add(eid)

    def _unindex_names(self, eid: str, row: EntityRow) -> None:
        for n in (row[0], *row[2]):
            ids = self._names.get(n.lower())
            if ids is not None:
                ids.discard(eid)
                if not ids:
                    del self._names[n.lower()]
                    self._sorted_names = None

    def _chunk_index(self) -> dict[str, tuple[set[str], set[str]]]:
        if self._by_chunk is None:
            self._by_chunk = {}
            for eid, row in self._entities.items():
                self._track_entity(eid, row)
            for rid, row in self._relations.items():
                self._track_relation(rid, row)
        return self._by_chunk

    def _track_entity(self, eid: str, row: EntityRow) -> None:
        if self._by_chunk is not None:
            for c in row[4]:
                self._by_chunk.setdefault(c, (set(), set()))[0].add(eid)

    def _track_relation(self, rid: str, row: RelationRow) -> None:
        if self._by_chunk is not None:
            for ev in row[5]:
                self._by_chunk.setdefault(ev[1], (set(), set()))[1].add(rid)

    # ------------------------------------------------------------ writing

    def write(self, batch: GraphBatch) -> None:
        self._sync()
        known = self._entities.keys() | {e.id for e in batch.entities}
        for r in batch.relations:
            for end in (r.source_id, r.target_id):
                if end not in known:
                    raise StoreError(
                        f"relation {r.id} references unknown entity {end}; "
                        "write its entity first (or in the same batch)"
                    )
        for new in batch.entities:
            old_row = self._entities.get(new.id)
            old = None
            if old_row is not None:
                self._unindex_names(new.id, old_row)
                old = row_to_entity(new.id, old_row)
            merged, counts = common.merge_entity(old, self._counts.get(new.id, {}), new)
            row = entity_to_row(merged)
            self._entities[new.id] = row
            self._counts[new.id] = counts
            self.graph.add_node(new.id)
            self._index_names(new.id, row)
            self._track_entity(new.id, row)
        for new in batch.relations:
            old_row = self._relations.get(new.id)
            old = row_to_relation(new.id, old_row) if old_row is not None else None
            row = relation_to_row(common.merge_relation(old, new))
            if old_row is None:
                self.graph.add_edge(new.source_id, new.target_id, key=new.id)
            self._relations[new.id] = row
            self._track_relation(new.id, row)
        self._changed()

    def remove_chunks(self, chunk_ids: list[str]) -> None:
        self._sync()
        chunks = set(chunk_ids)
        index = self._chunk_index()
        eids: set[str] = set()
        rids: set[str] = set()
        for c in chunks:
            e, r = index.pop(c, (set(), set()))
            eids |= e
            rids |= r
        for rid in rids:
            row = self._relations.get(rid)
            if row is None:
                continue
            kept = common.relation_without_chunks(row_to_relation(rid, row), chunks)
            if kept is None:
                self._drop_relation(rid)
            else:
                self._relations[rid] = relation_to_row(kept)
        for eid in eids:
            row = self._entities.get(eid)
            if row is None:
                continue
            ent = row_to_entity(eid, row)
            kept, counts = common.entity_without_chunks(ent, self._counts.get(eid, {}), chunks)
            if kept is None:
                self._drop_entity(eid)
            else:
                self._unindex_names(eid, row)
                self._entities[eid] = new_row = entity_to_row(kept)
                self._index_names(eid, new_row)
                self._counts[eid] = counts
        if rids or eids:
            self._changed()

    def _drop_relation(self, rid: str) -> None:
        src, dst = self._relations.pop(rid)[:2]
        if self.graph.has_edge(src, dst, key=rid):
            self.graph.remove_edge(src, dst, key=rid)

    def _drop_entity(self, eid: str) -> None:
        edges = [*self.graph.in_edges(eid, keys=True), *self.graph.out_edges(eid, keys=True)]
        for _, _, rid in edges:
            if rid in self._relations:
                self._drop_relation(rid)
        self._unindex_names(eid, self._entities.pop(eid))
        self._counts.pop(eid, None)
        self.graph.remove_node(eid)

    def log_position(self, workspace_id: str) -> int:
        self._sync()
        return self._log.get(workspace_id, 0)

    def set_log_position(self, workspace_id: str, seq: int) -> None:
        self._log[workspace_id] = seq
        self._changed()

    def clear(self) -> None:
        self.graph.clear()
        self._log.clear()
        self._entities.clear()
        self._counts.clear()
        self._relations.clear()
        self._names.clear()
        self._sorted_names = None
        self._by_chunk = None
        self._dirty = True
        if self._bulk_depth == 0:
            self.flush()

    # ------------------------------------------------------------ reading

    def entity(self, entity_id: str) -> Entity | None:
        self._sync()
        row = self._entities.get(entity_id)
        return row_to_entity(entity_id, row) if row is not None else None

    def lookup(self, entity_ids: list[str], relation_ids: list[str]) -> Subgraph:
        self._sync()
        ents = [row_to_entity(i, self._entities[i]) for i in entity_ids if i in self._entities]
        rels = [
            row_to_relation(i, self._relations[i]) for i in relation_ids if i in self._relations
        ]
        return Subgraph(entities=ents, relations=rels)

    def chunk_footprint(self, chunk_ids: list[str]) -> Subgraph:
        self._sync()
        index = self._chunk_index()
        eids: set[str] = set()
        rids: set[str] = set()
        for c in chunk_ids:
            e, r = index.get(c, ((), ()))
            eids.update(e)
            rids.update(r)
        return self.lookup(sorted(eids), sorted(rids))

    def _entity_list(self, ids) -> list[Entity]:
        return [row_to_entity(i, self._entities[i]) for i in ids]

    def search(self, query: str, limit: int = 10, type: str | None = None) -> list[Entity]:
        self._sync()
        q = query.strip().lower()
        if not q or limit <= 0:
            return []
        ids = set(self._names.get(q, ()))
        if self._sorted_names is None:
            self._sorted_names = sorted(self._names)
        keys = self._sorted_names
        i = bisect.bisect_left(keys, q)
        while i < len(keys) and keys[i].startswith(q):
            ids |= self._names[keys[i]]
            i += 1
        found = self._rank(ids, q, limit, type)
        if len(found) >= limit:
            return found
        qwords = common.words(q)
        for key, kids in self._names.items():
            if q in key or (
                qwords
                and all(qw in key for qw in qwords)  # cheap filter before splitting words
                and all(any(w.startswith(qw) for w in common.words(key)) for qw in qwords)
            ):
                ids |= kids
        return self._rank(ids, q, limit, type)

    def _rank(self, ids: set[str], q: str, limit: int, type: str | None) -> list[Entity]:
        """Rank on the stored rows (same order as common.rank_entities); build only the top."""
        scored = []
        for eid in ids:
            name, etype, aliases, mentions, *_ = self._entities[eid]
            if type and etype != type:
                continue
            r = common.search_rank(name, aliases, q)
            if r is not None:
                scored.append((r, -mentions, name.lower(), eid))
        scored.sort()
        return self._entity_list(t[3] for t in scored[:limit])

    def _touching(self, ids: set[str], typed_only: bool = True) -> list[Relation]:
        out: dict[str, Relation] = {}
        for node in ids:
            if node not in self.graph:
                continue
            for adj in (self.graph.succ[node], self.graph.pred[node]):
                for keys in adj.values():
                    for rid in keys:
                        row = self._relations[rid]
                        if not typed_only or row[3] == "relation":
                            out[rid] = row
        return [row_to_relation(rid, row) for rid, row in out.items()]

    def facts(
        self, entity_id: str, limit: int = 50, include_cooccurrence: bool = False
    ) -> list[Fact]:
        self._sync()
        rels = self._touching({entity_id}, typed_only=not include_cooccurrence)
        rels.sort(key=common.strength)
        return [
            Fact(relation=r, source=self.entity(r.source_id), target=self.entity(r.target_id))
            for r in rels[:limit]
        ]

    def neighborhood(
        self,
        entity_ids: list[str],
        hops: int = 1,
        limit: int = 200,
        include_cooccurrence: bool = False,
    ) -> Subgraph:
        self._sync()
        seeds = [i for i in entity_ids if i in self._entities]
        edges = partial(self._touching, typed_only=not include_cooccurrence)
        ids, rels = common.bfs_neighborhood(seeds, hops, limit, edges)
        return Subgraph(entities=self._entity_list(ids), relations=rels)

    def paths(
        self,
        source_id: str,
        target_id: str,
        max_hops: int = 3,
        limit: int = 5,
        include_cooccurrence: bool = False,
    ) -> list[GraphPath]:
        self._sync()
        if source_id not in self._entities or target_id not in self._entities:
            return []
        edges = partial(self._touching, typed_only=not include_cooccurrence)
        found = common.shortest_paths(source_id, target_id, max_hops, limit, edges)
        return [GraphPath(entities=self._entity_list(ids), relations=rels) for ids, rels in found]

    def stats(self) -> GraphStats:
        self._sync()
        typed = [r for r in self._relations.values() if r[3] == "relation"]
        return GraphStats(
            entities=len(self._entities),
            relations=len(typed),
            cooccurrences=len(self._relations) - len(typed),
            entity_types=dict(Counter(e[1] for e in self._entities.values()).most_common()),
            predicates=dict(Counter(r[2] for r in typed).most_common()),
        )

    def iter_entities(self) -> Iterator[Entity]:
        self._sync()
        for eid, row in list(self._entities.items()):
            yield row_to_entity(eid, row)

    def iter_relations(self, include_cooccurrence: bool = True) -> Iterator[Relation]:
        self._sync()
        for rid, row in list(self._relations.items()):
            if include_cooccurrence or row[3] == "relation":
                yield row_to_relation(rid, row)

    def to_networkx(self, include_cooccurrence: bool = False) -> nx.MultiDiGraph:
        """Same graph as the base class builds, straight from the rows (no records built)."""
        self._sync()
        g = nx.MultiDiGraph()
        for eid, (name, type, _, mentions, *_) in self._entities.items():
            g.add_node(eid, name=name, type=type, mentions=mentions)
        for rid, (src, dst, predicate, kind, weight, _) in self._relations.items():
            if include_cooccurrence or kind == "relation":
                g.add_edge(src, dst, key=rid, predicate=predicate, kind=kind, weight=weight)
        return g

    def query(self, text: str, params: dict | None = None, limit: int = 100) -> list[dict]:
        """Console commands (read-only), one per line:

        ``search TEXT`` · ``entity ID|NAME`` · ``facts ID|NAME`` · ``neighbors ID|NAME [HOPS]`` ·
        ``path A | B [MAX_HOPS]`` · ``stats`` · ``types`` · ``predicates`` · ``help``.
        A name resolves to the best search hit. Returns rows as dicts, at most `limit`.
        """
        return EmbeddedConsole(self).run(text, limit)
