"""The graph store protocol: one interface, two real implementations (embedded networkx, Neo4j).

The backends live in the graph stage (``kg/stores/``) and register in :data:`STORES`; both pass
the same contract suite (tests/test_store_contract.py). Writes merge into what is stored:
entities merge aliases, mentions and chunk ids; relations merge weight and evidence. Removing chunks
(when a document changes) drops their evidence, then any relation left with no evidence and any entity
left with no chunk.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from kgsynth.registry import Registry
from kgsynth.types import (
    Entity,
    Fact,
    GraphBatch,
    GraphPath,
    GraphStats,
    Relation,
    Subgraph,
)

if TYPE_CHECKING:
    from pathlib import Path

    import networkx as nx

    from kgsynth.config import StoreConfig

STORES: Registry[type[GraphStore]] = Registry("stores")


class GraphStore(ABC):
    """A persistent knowledge graph of entities and relations with evidence."""

    name: str = ""

    @classmethod
    @abstractmethod
    def open(cls, config: StoreConfig, workspace_dir: Path | str | None) -> GraphStore:
        """Connect to (or load) the store that `config` describes, for this workspace."""

    # ------------------------------------------------------------ writing

    @abstractmethod
    def write(self, batch: GraphBatch) -> None:
        """Merge entities and relations into the graph (idempotent for the same batch)."""

    @abstractmethod
    def remove_chunks(self, chunk_ids: list[str]) -> None:
        """Forget everything the given chunks contributed (evidence, mentions)."""

    @abstractmethod
    def clear(self) -> None:
        """Delete the whole graph (and the log positions it holds)."""

    # ------------------------------------------------------------ the ingest log (kg/commit.py)

    @property
    def identity(self) -> str:
        """Which graph this is, for the workspace's graph log (e.g. a Neo4j URI and database)."""
        return self.name

    @abstractmethod
    def log_position(self, workspace_id: str) -> int:
        """The last logged ingest batch of the workspace that this graph holds (0: none)."""

    @abstractmethod
    def set_log_position(self, workspace_id: str, seq: int) -> None:
        """Record that the graph holds the workspace's logged batches up to `seq`.

        Durable together with the graph's own data: after a crash, the graph and its position agree.
        """

    # ------------------------------------------------------------ reading

    @abstractmethod
    def entity(self, entity_id: str) -> Entity | None: ...

    @abstractmethod
    def search(self, query: str, limit: int = 10, type: str | None = None) -> list[Entity]:
        """Entities whose name or alias matches the query, best first (exact name first)."""

    @abstractmethod
    def facts(
        self, entity_id: str, limit: int = 50, include_cooccurrence: bool = False
    ) -> list[Fact]:
        """Relations touching an entity, strongest first, with evidence sentences."""

    @abstractmethod
    def neighborhood(
        self,
        entity_ids: list[str],
        hops: int = 1,
        limit: int = 200,
        include_cooccurrence: bool = False,
    ) -> Subgraph:
        """Entities within `hops` of the seeds (typed relations, and co-occurrences when asked),
        and the relations among them."""

    @abstractmethod
    def paths(
        self,
        source_id: str,
        target_id: str,
        max_hops: int = 3,
        limit: int = 5,
        include_cooccurrence: bool = False,
    ) -> list[GraphPath]:
        """Shortest paths between two entities over typed relations (and co-occurrences when
        asked), in either direction."""

    @abstractmethod
    def stats(self) -> GraphStats: ...

    @abstractmethod
    def iter_entities(self) -> Iterator[Entity]: ...

    @abstractmethod
    def iter_relations(self, include_cooccurrence: bool = True) -> Iterator[Relation]: ...

    def lookup(self, entity_ids: list[str], relation_ids: list[str]) -> Subgraph:
        """The stored entities and relations with these ids (unknown ids are left out).

        What an ingest batch is about to change, read before and after it (kg/delta.py). The
        default reads entity by entity and scans the relations; the built-in stores index them.
        """
        entities = [e for e in map(self.entity, dict.fromkeys(entity_ids)) if e is not None]
        wanted = set(relation_ids)
        relations = [r for r in self.iter_relations() if r.id in wanted] if wanted else []
        return Subgraph(entities=entities, relations=relations)

    def chunk_footprint(self, chunk_ids: list[str]) -> Subgraph:
        """The stored entities and relations the given chunks contributed to (mentions, evidence):
        what :meth:`remove_chunks` of them would change. The default scans the whole graph."""
        chunks = set(chunk_ids)
        if not chunks:
            return Subgraph()
        return Subgraph(
            entities=[e for e in self.iter_entities() if chunks.intersection(e.chunk_ids)],
            relations=[
                r for r in self.iter_relations() if any(ev.chunk_id in chunks for ev in r.evidence)
            ],
        )

    def query(self, text: str, params: dict | None = None, limit: int = 100) -> list[dict]:
        """Run a read-only console query (Neo4j: Cypher; embedded: a small command language)."""
        from kgsynth.errors import StoreError

        raise StoreError(f"the {self.name or type(self).__name__} store has no query console")

    def bulk(self) -> AbstractContextManager[None]:
        """Defer persisting until the block ends (many writes, one flush); a no-op by default."""
        return nullcontext()

    def to_networkx(self, include_cooccurrence: bool = False) -> nx.MultiDiGraph:
        """The graph as networkx (for centrality, communities and sampling on any store)."""
        import networkx as nx

        g = nx.MultiDiGraph()
        for e in self.iter_entities():
            g.add_node(e.id, name=e.name, type=e.type, mentions=e.mentions)
        for r in self.iter_relations(include_cooccurrence=include_cooccurrence):
            g.add_edge(
                r.source_id,
                r.target_id,
                key=r.id,
                predicate=r.predicate,
                kind=r.kind,
                weight=r.weight,
            )
        return g

    def close(self) -> None:
        """Release connections and flush anything pending."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_store(config: StoreConfig, workspace_dir) -> GraphStore:
    """Open the store the config names (the graph stage registers the built-in ones)."""
    return STORES.get(config.kind).open(config, workspace_dir)
