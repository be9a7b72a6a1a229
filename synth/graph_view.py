"""A read-only, in-memory view of the graph for task builders: entities, relations, adjacency, communities.

Task builders enumerate many small patterns (facts, 2–3 hop chains, shared targets); doing that over
one loaded copy is much faster than a store round trip per pattern, and works the same on every
store (it only uses ``iter_entities`` / ``iter_relations``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kgsynth.types import Chunk, Entity, Example, Relation, Triple


@dataclass(frozen=True)
class Focus:
    """New material a build is restricted to (`synth update`): a candidate must use one of these
    relations or, when it is answered from a passage, be asked about one of these chunks.

    `stale` are the ids of the examples being replaced: one made again with the same text (a
    passage that survived an edit) gets a new id, so it is stored with its new provenance.
    """

    relation_ids: frozenset[str] = frozenset()
    chunk_ids: frozenset[str] = frozenset()
    stale: frozenset[str] = frozenset()

    def rebase(self, examples: list[Example]) -> list[Example]:
        from synth.versions import changed

        return [
            changed(e, meta={**e.meta, "replaces": e.id}) if e.id in self.stale else e
            for e in examples
        ]


class GraphView:
    focus: Focus | None = None  # set by a restricted build: the builders skip everything else

    def __init__(
        self,
        entities: list[Entity],
        relations: list[Relation],
        communities: dict[str, int] | None = None,
        triple: Callable[[str], Triple | None] | None = None,
        chunks: Callable[[], Iterable[Chunk]] | None = None,
    ):
        self.entities = {e.id: e for e in entities}
        ok = [r for r in relations if r.source_id in self.entities and r.target_id in self.entities]
        self.typed = [r for r in ok if r.kind == "relation" and r.source_id != r.target_id]
        self.cooccurrence = [r for r in ok if r.kind == "cooccurrence"]
        self.out_edges: dict[str, list[Relation]] = defaultdict(list)
        self.in_edges: dict[str, list[Relation]] = defaultdict(list)
        for r in self.typed:
            self.out_edges[r.source_id].append(r)
            self.in_edges[r.target_id].append(r)
        self.co_edges: dict[str, list[Relation]] = defaultdict(list)
        for r in self.cooccurrence:
            self.co_edges[r.source_id].append(r)
            self.co_edges[r.target_id].append(r)
        self.facts = {(r.source_id, r.predicate, r.target_id) for r in self.typed}
        self.communities = communities if communities is not None else self._components()
        self._triple = triple
        self._triples: dict[str, Triple | None] = {}
        self._chunks = chunks

    @classmethod
    def load(cls, ws, seed: int = 0) -> GraphView:
        """Load the workspace's graph (typed and co-occurrence relations) and its communities."""
        store = ws.store
        entities = list(store.iter_entities())
        relations = list(store.iter_relations(include_cooccurrence=True))
        communities = _communities(store, seed)
        return cls(
            entities,
            relations,
            communities,
            triple=ws.catalog.triple,
            chunks=ws.catalog.iter_chunks,
        )

    def entity(self, entity_id: str) -> Entity:
        return self.entities[entity_id]

    def community(self, entity_id: str) -> str:
        return str(self.communities.get(entity_id, -1))

    def forms(self, entity_id: str) -> list[str]:
        """The names an answer may use for an entity: canonical name and aliases."""
        e = self.entities[entity_id]
        return [e.name, *[a for a in e.aliases if a != e.name]]

    def triple(self, triple_id: str) -> Triple | None:
        """The extracted triple behind a piece of evidence (from the catalog), if known."""
        if self._triple is None or not triple_id:
            return None
        if triple_id not in self._triples:
            self._triples[triple_id] = self._triple(triple_id)
        return self._triples[triple_id]

    def chunks(self) -> list[Chunk]:
        """The text chunks behind the graph (from the catalog), in a stable order."""
        return sorted(self._chunks() if self._chunks else [], key=lambda c: (c.doc_id, c.index))

    def focused(self, relations: Iterable[Relation]) -> list[Relation]:
        """The relations a restricted build may ask about (all of them without a focus)."""
        if self.focus is None:
            return list(relations)
        return [r for r in relations if r.id in self.focus.relation_ids]

    def focused_chunks(self, chunks: Iterable[Chunk]) -> list[Chunk]:
        """The chunks a restricted build may ask about (all of them without a focus)."""
        if self.focus is None:
            return list(chunks)
        return [c for c in chunks if c.id in self.focus.chunk_ids]

    def degree(self, entity_id: str) -> int:
        """Typed relations touching the entity."""
        return len(self.out_edges.get(entity_id, ())) + len(self.in_edges.get(entity_id, ()))

    def hub_degree(self, entity_id: str) -> int:
        """Typed relations plus co-occurrences touching the entity: how much of a hub it is."""
        return self.degree(entity_id) + len(self.co_edges.get(entity_id, ()))

    def _components(self) -> dict[str, int]:
        parent = {eid: eid for eid in self.entities}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for r in self.typed + self.cooccurrence:
            parent[find(r.source_id)] = find(r.target_id)
        roots: dict[str, int] = {}
        return {eid: roots.setdefault(find(eid), len(roots)) for eid in self.entities}


def _communities(store, seed: int) -> dict[str, int] | None:
    """Louvain communities of the graph (kgsynth.analytics)."""
    from kgsynth.analytics import communities

    return communities(store, seed=seed)
