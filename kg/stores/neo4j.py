"""The Neo4j graph store: official driver over Bolt, Neo4j 5.26.

Schema: ``(:Entity {id, name, type, aliases, mentions, chunk_ids, ...})`` nodes and one relationship
type ``[:RELATION {id, predicate, kind, weight, ev_*}]`` (the predicate is a property, so no user
value ever becomes a relationship type). Evidence is stored on the relationship as parallel lists
(``ev_triple_id``, ``ev_chunk_id``, ``ev_sentence``, ...). Uniqueness constraints on both ids, a
range index on the lower-cased name and a full-text index on name + aliases back search.

Writes: one write transaction per slice of a batch: read what exists, merge in Python with the
same rules as every store (:mod:`kg.stores.common`), then ``UNWIND $rows AS row MERGE ...``.
Parameters only: no user value is ever formatted into a Cypher string. Everything else runs in
read transactions, the console (:meth:`Neo4jStore.query`) too, and only after the plan Neo4j would
run proved to be read-only (:mod:`kg.stores.cypher_guard`).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from kg.stores import common
from kg.stores.cypher_guard import check_plan, check_read_only
from kgsynth.config import secret
from kgsynth.errors import StoreError, require
from kgsynth.store import STORES, GraphStore
from kgsynth.types import Entity, Fact, GraphBatch, GraphPath, GraphStats, Relation, Subgraph

SCHEMA = [
    "CREATE CONSTRAINT kgsynth_entity_id IF NOT EXISTS FOR (e:Entity) REQUIRE e.id IS UNIQUE",
    "CREATE CONSTRAINT kgsynth_relation_id IF NOT EXISTS "
    "FOR ()-[r:RELATION]-() REQUIRE r.id IS UNIQUE",
    "CREATE INDEX kgsynth_entity_name IF NOT EXISTS FOR (e:Entity) ON (e.name_lower)",
    "CREATE FULLTEXT INDEX kgsynth_entity_names IF NOT EXISTS "
    "FOR (e:Entity) ON EACH [e.name, e.aliases]",
]
SLICE = 1000  # rows per write transaction
PAGE = 1000  # rows per page when iterating
RETRY_S = 5.0  # the driver retries a failed transaction this long (its default, 30 s, hides a dead server)
CONNECT_S = 10.0
QUERY_S = 30.0  # a console query's time limit

# The driver logs every retry as a warning; the failure itself reaches the user as one StoreError.
logging.getLogger("neo4j").addHandler(logging.NullHandler())

Q_ENTITIES_BY_ID = "UNWIND $ids AS id MATCH (e:Entity {id: id}) RETURN e"
Q_RELATIONS_BY_ID = (
    "UNWIND $ids AS id MATCH (s:Entity)-[r:RELATION {id: id}]->(t:Entity) "
    "RETURN r, s.id AS s, t.id AS t"
)
Q_MERGE_ENTITIES = "UNWIND $rows AS row MERGE (e:Entity {id: row.id}) SET e = row"
Q_MERGE_RELATIONS = (
    "UNWIND $rows AS row "
    "MATCH (s:Entity {id: row.source_id}) MATCH (t:Entity {id: row.target_id}) "
    "MERGE (s)-[r:RELATION {id: row.id}]->(t) SET r = row.props"
)
Q_TOUCHING = (
    "MATCH (a:Entity)-[r:RELATION]-(b:Entity) WHERE a.id IN $ids AND ($cooc OR r.kind = 'relation') "
    "RETURN DISTINCT r, startNode(r).id AS s, endNode(r).id AS t"
)

LUCENE_SPECIAL = re.compile(r'([+\-!(){}\[\]^"~*?:\\/&|])')


def lucene_escape(term: str) -> str:
    """Escape Lucene query syntax so a user's words are searched literally."""
    return LUCENE_SPECIAL.sub(r"\\\1", term)


def fulltext_query(query: str) -> str:
    """'Tony Bla' -> 'tony* AND bla*' (each word escaped, prefix-matched)."""
    return " AND ".join(f"{lucene_escape(w)}*" for w in common.words(query))


def entity_row(e: Entity, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "id": e.id,
        "name": e.name,
        "type": e.type,
        "aliases": e.aliases,
        "mentions": e.mentions,
        "chunk_ids": e.chunk_ids,
        "lang": e.lang,
        "name_lower": e.name.lower(),
        "aliases_lower": [a.lower() for a in e.aliases],
        "count_chunks": list(counts),
        "count_values": list(counts.values()),
    }


def entity_from(props: dict[str, Any]) -> tuple[Entity, dict[str, int]]:
    e = Entity(
        id=props["id"],
        name=props["name"],
        type=props["type"],
        aliases=list(props.get("aliases") or []),
        mentions=props.get("mentions", 0),
        chunk_ids=list(props.get("chunk_ids") or []),
        lang=props.get("lang", "en"),
    )
    counts = dict(
        zip(props.get("count_chunks") or [], props.get("count_values") or [], strict=True)
    )
    return e, counts


def relation_row(r: Relation) -> dict[str, Any]:
    props = {"id": r.id, "predicate": r.predicate, "kind": r.kind, "weight": r.weight}
    props.update(common.evidence_to_lists(r.evidence))
    return {"id": r.id, "source_id": r.source_id, "target_id": r.target_id, "props": props}


def relation_from(props: dict[str, Any], source_id: str, target_id: str) -> Relation:
    return Relation(
        id=props["id"],
        source_id=source_id,
        target_id=target_id,
        predicate=props["predicate"],
        kind=props.get("kind", "relation"),
        weight=props.get("weight", 1.0),
        evidence=common.evidence_from_lists(props),
    )


@STORES.register("neo4j")
class Neo4jStore(GraphStore):
    """A Neo4j database reached over Bolt (store.neo4j in kgsynth.toml)."""

    name = "neo4j"

    def __init__(self, uri: str, user: str = "neo4j", password: str = "", database: str = "neo4j"):
        neo4j = require("neo4j")
        self.uri = uri
        self.database = database
        self._neo4j = neo4j
        try:
            self.driver = neo4j.GraphDatabase.driver(
                uri,
                auth=(user, password),
                notifications_min_severity="OFF",
                max_transaction_retry_time=RETRY_S,
                connection_timeout=CONNECT_S,
            )
            self.driver.verify_connectivity()
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, ValueError) as e:
            raise StoreError(
                f"cannot connect to Neo4j at {uri}: {e}; start it (bash scripts/neo4j.sh start) "
                "or fix store.neo4j in kgsynth.toml"
            ) from e
        for statement in SCHEMA:
            self._run_write(lambda tx, s=statement: tx.run(s).consume())

    @classmethod
    def open(cls, config, workspace_dir: Path | str | None = None) -> Neo4jStore:
        """Connect with store.neo4j settings; the password comes from the env var it names."""
        c = config.neo4j
        return cls(c.uri, c.user, secret(c.password_env), c.database)

    def close(self) -> None:
        self.driver.close()

    @property
    def identity(self) -> str:
        return f"neo4j {self.uri} {self.database}"

    # ------------------------------------------------------------ transactions

    def _session(self):
        return self.driver.session(database=self.database)

    def _run_write(self, fn):
        try:
            with self._session() as s:
                return s.execute_write(fn)
        except self._neo4j.exceptions.Neo4jError as e:
            raise StoreError(f"Neo4j write failed: {e.message}") from e
        except (self._neo4j.exceptions.DriverError, OSError) as e:
            raise self._unreachable(e) from e

    def _read(self, cypher: str, **params) -> list:
        def work(tx):
            return list(tx.run(cypher, params))

        try:
            with self._session() as s:
                return s.execute_read(work)
        except self._neo4j.exceptions.Neo4jError as e:
            raise StoreError(f"Neo4j read failed: {e.message}") from e
        except (self._neo4j.exceptions.DriverError, OSError) as e:
            raise self._unreachable(e) from e

    def _unreachable(self, e: Exception) -> StoreError:
        reason = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        return StoreError(f"Neo4j at {self.uri} is unreachable ({reason}); start it and retry")

    # ------------------------------------------------------------ writing

    def write(self, batch: GraphBatch) -> None:
        for i in range(0, len(batch.entities), SLICE):
            self._run_write(
                lambda tx, part=batch.entities[i : i + SLICE]: _write_entities(tx, part)
            )
        if batch.relations:
            self._check_endpoints(batch.relations)
        for i in range(0, len(batch.relations), SLICE):
            self._run_write(
                lambda tx, part=batch.relations[i : i + SLICE]: _write_relations(tx, part)
            )

    def _check_endpoints(self, relations: list[Relation]) -> None:
        ends = sorted({x for r in relations for x in (r.source_id, r.target_id)})
        found = {
            rec["id"]
            for rec in self._read(
                "UNWIND $ids AS id MATCH (e:Entity {id: id}) RETURN e.id AS id", ids=ends
            )
        }
        missing = [x for x in ends if x not in found]
        if missing:
            raise StoreError(
                f"relation references unknown entity {missing[0]}; "
                "write its entity first (or in the same batch)"
            )

    def remove_chunks(self, chunk_ids: list[str]) -> None:
        if chunk_ids:
            self._run_write(lambda tx: _remove_chunks(tx, sorted(set(chunk_ids))))

    def log_position(self, workspace_id: str) -> int:
        recs = self._read(
            "MATCH (m:KgsynthLog {workspace: $w}) RETURN m.seq AS seq", w=workspace_id
        )
        return int(recs[0]["seq"]) if recs else 0

    def set_log_position(self, workspace_id: str, seq: int) -> None:
        self._run_write(
            lambda tx: tx.run(
                "MERGE (m:KgsynthLog {workspace: $w}) SET m.seq = $seq", w=workspace_id, seq=seq
            ).consume()
        )

    def clear(self) -> None:
        self._run_write(lambda tx: tx.run("MATCH (m:KgsynthLog) DELETE m").consume())
        while True:
            n = self._run_write(
                lambda tx: tx.run(
                    "MATCH (e:Entity) WITH e LIMIT 5000 DETACH DELETE e RETURN count(*) AS n"
                ).single()["n"]
            )
            if not n:
                return

    # ------------------------------------------------------------ reading

    def entity(self, entity_id: str) -> Entity | None:
        recs = self._read("MATCH (e:Entity {id: $id}) RETURN e", id=entity_id)
        return entity_from(dict(recs[0]["e"]))[0] if recs else None

    def lookup(self, entity_ids: list[str], relation_ids: list[str]) -> Subgraph:
        ents = self._entities(list(dict.fromkeys(entity_ids))) if entity_ids else {}
        recs = self._read(Q_RELATIONS_BY_ID, ids=list(dict.fromkeys(relation_ids)))
        rels = [relation_from(dict(r["r"]), r["s"], r["t"]) for r in recs]
        return Subgraph(entities=list(ents.values()), relations=rels)

    def chunk_footprint(self, chunk_ids: list[str]) -> Subgraph:
        if not chunk_ids:
            return Subgraph()
        chunks = sorted(set(chunk_ids))
        recs = self._read(
            "MATCH (s:Entity)-[r:RELATION]->(t:Entity) "
            "WHERE any(c IN r.ev_chunk_id WHERE c IN $chunks) RETURN r, s.id AS s, t.id AS t",
            chunks=chunks,
        )
        rels = [relation_from(dict(r["r"]), r["s"], r["t"]) for r in recs]
        recs = self._read(
            "MATCH (e:Entity) WHERE any(c IN e.chunk_ids WHERE c IN $chunks) RETURN e",
            chunks=chunks,
        )
        ents = [entity_from(dict(r["e"]))[0] for r in recs]
        return Subgraph(entities=ents, relations=rels)

    def _entities(self, ids: list[str]) -> dict[str, Entity]:
        recs = self._read(Q_ENTITIES_BY_ID, ids=list(ids))
        return {rec["e"]["id"]: entity_from(dict(rec["e"]))[0] for rec in recs}

    def search(self, query: str, limit: int = 10, type: str | None = None) -> list[Entity]:
        q = query.strip().lower()
        if not q or limit <= 0:
            return []
        pool = max(limit * 5, 50)
        cands: dict[str, Entity] = {}
        recs = self._read("MATCH (e:Entity {name_lower: $q}) RETURN e LIMIT $n", q=q, n=pool)
        ft = fulltext_query(q)
        if ft:
            recs += self._read(
                "CALL db.index.fulltext.queryNodes('kgsynth_entity_names', $ft) "
                "YIELD node, score RETURN node AS e ORDER BY score DESC LIMIT $n",
                ft=ft,
                n=pool,
            )
        for rec in recs:
            cands[rec["e"]["id"]] = entity_from(dict(rec["e"]))[0]
        found = common.rank_entities(cands.values(), q, limit, type)
        if len(found) < limit:
            recs = self._read(
                "MATCH (e:Entity) WHERE e.name_lower CONTAINS $q "
                "OR any(a IN e.aliases_lower WHERE a CONTAINS $q) RETURN e LIMIT $n",
                q=q,
                n=pool,
            )
            for rec in recs:
                cands[rec["e"]["id"]] = entity_from(dict(rec["e"]))[0]
            found = common.rank_entities(cands.values(), q, limit, type)
        return found

    def _touching(self, ids: set[str], cooc: bool = False) -> list[Relation]:
        recs = self._read(Q_TOUCHING, ids=sorted(ids), cooc=cooc)
        return [relation_from(dict(r["r"]), r["s"], r["t"]) for r in recs]

    def facts(
        self, entity_id: str, limit: int = 50, include_cooccurrence: bool = False
    ) -> list[Fact]:
        rels = sorted(self._touching({entity_id}, include_cooccurrence), key=common.strength)
        rels = rels[:limit]
        ents = self._entities(list({x for r in rels for x in (r.source_id, r.target_id)}))
        return [Fact(relation=r, source=ents[r.source_id], target=ents[r.target_id]) for r in rels]

    def neighborhood(
        self,
        entity_ids: list[str],
        hops: int = 1,
        limit: int = 200,
        include_cooccurrence: bool = False,
    ) -> Subgraph:
        known = self._entities(entity_ids)
        seeds = [i for i in entity_ids if i in known]
        edges = partial(self._touching, cooc=include_cooccurrence)
        ids, rels = common.bfs_neighborhood(seeds, hops, limit, edges)
        ents = self._entities(ids)
        return Subgraph(entities=[ents[i] for i in ids], relations=rels)

    def paths(
        self,
        source_id: str,
        target_id: str,
        max_hops: int = 3,
        limit: int = 5,
        include_cooccurrence: bool = False,
    ) -> list[GraphPath]:
        if len(self._entities([source_id, target_id])) < 2:
            return []
        edges = partial(self._touching, cooc=include_cooccurrence)
        found = common.shortest_paths(source_id, target_id, max_hops, limit, edges)
        ents = self._entities(list({i for ids, _ in found for i in ids}))
        return [GraphPath(entities=[ents[i] for i in ids], relations=rels) for ids, rels in found]

    def stats(self) -> GraphStats:
        types = self._read("MATCH (e:Entity) RETURN e.type AS k, count(*) AS n")
        rels = self._read(
            "MATCH ()-[r:RELATION]->() RETURN r.kind AS kind, r.predicate AS p, count(*) AS n"
        )
        preds = Counter({rec["p"]: rec["n"] for rec in rels if rec["kind"] == "relation"})
        return GraphStats(
            entities=sum(rec["n"] for rec in types),
            relations=sum(preds.values()),
            cooccurrences=sum(rec["n"] for rec in rels if rec["kind"] != "relation"),
            entity_types=dict(Counter({rec["k"]: rec["n"] for rec in types}).most_common()),
            predicates=dict(preds.most_common()),
        )

    def iter_entities(self) -> Iterator[Entity]:
        after = ""
        while True:
            recs = self._read(
                "MATCH (e:Entity) WHERE e.id > $after RETURN e ORDER BY e.id LIMIT $n",
                after=after,
                n=PAGE,
            )
            for rec in recs:
                yield entity_from(dict(rec["e"]))[0]
            if len(recs) < PAGE:
                return
            after = recs[-1]["e"]["id"]

    def iter_relations(self, include_cooccurrence: bool = True) -> Iterator[Relation]:
        after = ""
        while True:
            recs = self._read(
                "MATCH (s:Entity)-[r:RELATION]->(t:Entity) WHERE r.id > $after "
                "RETURN r, s.id AS s, t.id AS t ORDER BY r.id LIMIT $n",
                after=after,
                n=PAGE,
            )
            for rec in recs:
                r = relation_from(dict(rec["r"]), rec["s"], rec["t"])
                if include_cooccurrence or r.kind == "relation":
                    yield r
            if len(recs) < PAGE:
                return
            after = recs[-1]["r"]["id"]

    def query(self, text: str, params: dict | None = None, limit: int = 100) -> list[dict]:
        """Run user Cypher in a READ transaction, only if its keywords and the plan Neo4j makes
        for it (``EXPLAIN``) are reads; at most QUERY_S seconds."""
        check_read_only(text)
        neo4j = self._neo4j

        # The user's own query with EXPLAIN in front: the plan of exactly what would run.
        @neo4j.unit_of_work(timeout=QUERY_S)
        def explain(tx):
            return tx.run("EXPLAIN " + text, params or {}).consume().plan

        @neo4j.unit_of_work(timeout=QUERY_S)
        def work(tx):
            return [rec.data() for rec in tx.run(text, params or {}).fetch(limit)]

        try:
            with self.driver.session(
                database=self.database, default_access_mode=neo4j.READ_ACCESS
            ) as s:
                check_plan(s.execute_read(explain) or {})
                return s.execute_read(work)
        except neo4j.exceptions.Neo4jError as e:
            raise StoreError(f"query failed: {e.message}") from e
        except (neo4j.exceptions.DriverError, OSError) as e:
            raise self._unreachable(e) from e


# ---------------------------------------------------------------- transaction functions


def _write_entities(tx, entities: list[Entity]) -> None:
    ids = list(dict.fromkeys(e.id for e in entities))
    stored = {
        rec["e"]["id"]: entity_from(dict(rec["e"])) for rec in tx.run(Q_ENTITIES_BY_ID, ids=ids)
    }
    for new in entities:
        old, counts = stored.get(new.id, (None, {}))
        stored[new.id] = common.merge_entity(old, counts, new)
    rows = [entity_row(*stored[i]) for i in ids]
    tx.run(Q_MERGE_ENTITIES, rows=rows).consume()


def _write_relations(tx, relations: list[Relation]) -> None:
    ids = list(dict.fromkeys(r.id for r in relations))
    stored = {
        rec["r"]["id"]: relation_from(dict(rec["r"]), rec["s"], rec["t"])
        for rec in tx.run(Q_RELATIONS_BY_ID, ids=ids)
    }
    for new in relations:
        stored[new.id] = common.merge_relation(stored.get(new.id), new)
    tx.run(Q_MERGE_RELATIONS, rows=[relation_row(stored[i]) for i in ids]).consume()


def _remove_chunks(tx, chunk_ids: list[str]) -> None:
    chunks = set(chunk_ids)
    recs = tx.run(
        "MATCH (s:Entity)-[r:RELATION]->(t:Entity) "
        "WHERE any(c IN r.ev_chunk_id WHERE c IN $chunks) RETURN r, s.id AS s, t.id AS t",
        chunks=chunk_ids,
    )
    drop, keep = [], []
    for rec in list(recs):
        rel = common.relation_without_chunks(
            relation_from(dict(rec["r"]), rec["s"], rec["t"]), chunks
        )
        if rel is None:
            drop.append(rec["r"]["id"])
        else:
            keep.append(relation_row(rel))
    tx.run("UNWIND $ids AS id MATCH ()-[r:RELATION {id: id}]->() DELETE r", ids=drop).consume()
    tx.run(Q_MERGE_RELATIONS, rows=keep).consume()
    recs = tx.run(
        "MATCH (e:Entity) WHERE any(c IN e.chunk_ids WHERE c IN $chunks) RETURN e", chunks=chunk_ids
    )
    gone, left = [], []
    for rec in list(recs):
        ent, counts = entity_from(dict(rec["e"]))
        kept, counts = common.entity_without_chunks(ent, counts, chunks)
        if kept is None:
            gone.append(ent.id)
        else:
            left.append(entity_row(kept, counts))
    tx.run("UNWIND $ids AS id MATCH (e:Entity {id: id}) DETACH DELETE e", ids=gone).consume()
    tx.run(Q_MERGE_ENTITIES, rows=left).consume()
