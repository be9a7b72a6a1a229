"""One contract, every graph store: the embedded networkx store and a real Neo4j 5.26 server."""

from __future__ import annotations

import pytest

from kg.stores.embedded import EmbeddedStore
from kgsynth.errors import KgsynthError, StoreError
from kgsynth.types import GraphBatch
from tests.fixtures.graph_data import (
    BLAIR,
    BLAIR_BROWN,
    BLAIR_LEADS,
    BOE,
    BROWN,
    BROWN_MEMBER,
    LABOUR,
    LABOUR_IN,
    LONDON,
    LSE,
    LSE_IN,
    bbc_batch,
    ent,
    ev,
    rel,
    small_batch,
)


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request, tmp_path):
    if request.param == "neo4j":
        yield request.getfixturevalue("neo4j_store")
    else:
        s = EmbeddedStore(tmp_path / "graph")
        yield s
        s.close()


@pytest.fixture
def loaded(store):
    store.write(small_batch())
    return store


def ids(entities) -> set[str]:
    return {e.id for e in entities}


def test_write_is_idempotent(loaded):
    before = loaded.stats()
    loaded.write(small_batch())
    assert loaded.stats() == before
    assert before.entities == 6 and before.relations == 5 and before.cooccurrences == 1
    assert loaded.entity(BLAIR.id).mentions == 3
    rel_ = next(r for r in loaded.iter_relations() if r.id == BLAIR_LEADS.id)
    assert rel_.weight == 2 and len(rel_.evidence) == 2


def test_write_merges_aliases_chunks_and_evidence(loaded):
    more = ent("Tony Blair", "PERSON", ["c9"], mentions=2, aliases=["Mr Blair"])
    new_ev = ev("c9", "Mr Blair said Labour would win.")
    loaded.write(GraphBatch(entities=[more], relations=[rel(BLAIR, "leads", LABOUR, [new_ev])]))
    e = loaded.entity(BLAIR.id)
    assert e.name == "Tony Blair"
    assert set(e.aliases) == {"Blair", "Mr Blair"}
    assert set(e.chunk_ids) == {"c1", "c2", "c9"}
    assert e.mentions == 5
    r = next(r for r in loaded.iter_relations() if r.id == BLAIR_LEADS.id)
    assert r.weight == 3
    assert {x.chunk_id for x in r.evidence} == {"c1", "c2", "c9"}


def test_relation_to_unknown_entity_is_refused(store):
    with pytest.raises(StoreError, match="unknown entity"):
        store.write(GraphBatch(relations=[BLAIR_LEADS]))


def test_remove_chunks_drops_evidence_then_orphans(loaded):
    loaded.remove_chunks(["c2", "c4"])
    r = next(r for r in loaded.iter_relations() if r.id == BLAIR_LEADS.id)
    assert r.weight == 1 and [x.chunk_id for x in r.evidence] == ["c1"]
    rel_ids = {r.id for r in loaded.iter_relations()}
    assert BLAIR_BROWN.id not in rel_ids  # its only evidence was in c2
    assert loaded.entity(BOE.id) is None  # only mentioned in c4
    assert loaded.entity(BLAIR.id).chunk_ids == ["c1"]
    assert loaded.entity(BLAIR.id).mentions == 2
    loaded.remove_chunks(["c1", "c3"])
    assert loaded.stats().entities == 0 and loaded.stats().relations == 0


def test_search_exact_then_prefix_then_substring(loaded):
    assert [e.id for e in loaded.search("london")][:2] == [LONDON.id, LSE.id]
    assert loaded.search("LONDON STOCK")[0].id == LSE.id
    assert loaded.search("blair")[0].id == BLAIR.id  # exact alias
    assert loaded.search("of eng")[0].id == BOE.id  # substring
    assert loaded.search("labour party")[0].id == LABOUR.id
    assert ids(loaded.search("london", type="GPE")) == {LONDON.id}
    assert loaded.search("london", limit=1)[0].id == LONDON.id
    assert loaded.search("zzz-nothing") == []


def test_search_treats_query_syntax_literally(loaded):
    for q in ['AND OR "x*', "Blair (", "lon*", "a:b~2 \\ / [x]", "NOT"]:
        loaded.search(q)  # must not raise
    assert ids(loaded.search("London (")) == {LONDON.id, LSE.id}  # matched by its words


def test_facts_have_evidence_strongest_first(loaded):
    facts = loaded.facts(BLAIR.id)
    assert [f.relation.id for f in facts] == [BLAIR_LEADS.id]
    f = facts[0]
    assert f.source.id == BLAIR.id and f.target.id == LABOUR.id
    assert "Tony Blair leads the Labour Party." in [x.sentence for x in f.relation.evidence]
    with_co = loaded.facts(BLAIR.id, include_cooccurrence=True)
    assert [f.relation.id for f in with_co] == [BLAIR_LEADS.id, BLAIR_BROWN.id]
    labour = loaded.facts(LABOUR.id)
    assert labour[0].relation.id == BLAIR_LEADS.id  # weight 2 beats weight 1
    assert len(loaded.facts(LABOUR.id, limit=1)) == 1


def test_neighborhood_hops(loaded):
    one = loaded.neighborhood([BLAIR.id], hops=1)
    assert ids(one.entities) == {BLAIR.id, LABOUR.id}  # the co-occurrence is not followed
    assert {r.id for r in one.relations} == {BLAIR_LEADS.id}
    two = loaded.neighborhood([BLAIR.id], hops=2)
    assert ids(two.entities) == {BLAIR.id, LABOUR.id, BROWN.id, LONDON.id}
    assert {r.id for r in two.relations} == {BLAIR_LEADS.id, BROWN_MEMBER.id, LABOUR_IN.id}
    assert two.entities[0].id == BLAIR.id
    assert len(loaded.neighborhood([BLAIR.id], hops=3, limit=3).entities) == 3
    assert loaded.neighborhood(["nope"], hops=2).entities == []


def test_paths_either_direction(loaded):
    paths = loaded.paths(BLAIR.id, LSE.id, max_hops=3)
    assert len(paths) == 1
    p = paths[0]
    assert [e.id for e in p.entities] == [BLAIR.id, LABOUR.id, LONDON.id, LSE.id]
    assert [r.id for r in p.relations] == [BLAIR_LEADS.id, LABOUR_IN.id, LSE_IN.id]
    assert loaded.paths(BLAIR.id, LSE.id, max_hops=2) == []
    assert loaded.paths(BLAIR.id, BROWN.id, max_hops=1) == []  # co-occurrence is not a path
    assert len(loaded.paths(BLAIR.id, BROWN.id, max_hops=2)[0].relations) == 2
    assert loaded.paths(BLAIR.id, BLAIR.id) == []


def test_cooccurrence_layer_walks_when_asked(loaded):
    one = loaded.neighborhood([BLAIR.id], hops=1, include_cooccurrence=True)
    assert ids(one.entities) == {BLAIR.id, LABOUR.id, BROWN.id}
    assert {r.id for r in one.relations} >= {BLAIR_LEADS.id, BLAIR_BROWN.id}
    (p,) = loaded.paths(BLAIR.id, BROWN.id, max_hops=1, include_cooccurrence=True)
    assert [r.id for r in p.relations] == [BLAIR_BROWN.id]
    assert p.relations[0].kind == "cooccurrence"
    typed_first = loaded.paths(BLAIR.id, LABOUR.id, max_hops=1, include_cooccurrence=True)
    assert typed_first[0].relations == [loaded.facts(BLAIR.id)[0].relation]


def test_stats_and_iteration(loaded):
    s = loaded.stats()
    assert s.entity_types == {"ORG": 3, "PERSON": 2, "GPE": 1}
    assert s.predicates == {"located_in": 2, "leads": 1, "member_of": 1, "near": 1}
    assert len(list(loaded.iter_entities())) == 6
    assert len(list(loaded.iter_relations())) == 6
    assert len(list(loaded.iter_relations(include_cooccurrence=False))) == 5


def test_to_networkx(loaded):
    g = loaded.to_networkx()
    assert g.number_of_nodes() == 6 and g.number_of_edges() == 5
    assert g.nodes[BLAIR.id]["name"] == "Tony Blair"
    assert g.edges[BLAIR.id, LABOUR.id, BLAIR_LEADS.id]["predicate"] == "leads"
    assert loaded.to_networkx(include_cooccurrence=True).number_of_edges() == 6


def test_clear(loaded):
    loaded.clear()
    assert loaded.stats().entities == 0 and list(loaded.iter_relations()) == []


def test_query_console_is_read_only(loaded):
    refused = [
        "CREATE (n:Entity {id: 'x'})",
        "MATCH (n) DETACH DELETE n",
        "MATCH (n:Entity) SET n.name = 'x'",
        "MERGE (n:Entity {id: 'y'})",
        "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
        "CALL dbms.security.createUser('a', 'b')",
        "DROP INDEX kgsynth_entity_name",
    ]
    for q in refused:
        with pytest.raises(StoreError, match="read-only console: .* refused"):
            loaded.query(q)
    assert loaded.stats().entities == 6


def test_query_console_reads(loaded):
    if loaded.name == "neo4j":
        rows = loaded.query(
            "MATCH (e:Entity) WHERE e.type = $t RETURN e.name AS name ORDER BY name", {"t": "ORG"}
        )
        assert rows == [
            {"name": "Bank of England"},
            {"name": "Labour"},
            {"name": "London Stock Exchange"},
        ]
        assert len(loaded.query("MATCH (e:Entity) RETURN e.id AS id", limit=2)) == 2
        text = "MATCH (e:Entity) WHERE e.name = 'CREATE' RETURN count(*) AS n // DELETE"
        assert loaded.query(text) == [{"n": 0}]  # keywords in strings/comments are fine
    else:
        assert loaded.query("search london")[0]["name"] == "London"
        assert loaded.query("facts Tony Blair")[0]["predicate"] == "leads"
        assert loaded.query("path Tony Blair | London Stock Exchange")[0]["entities"][-1] == (
            "London Stock Exchange"
        )
        assert {r["name"] for r in loaded.query("neighbors Blair 2")} >= {"Gordon Brown"}
        assert loaded.query("stats") == [{"entities": 6, "relations": 5, "cooccurrences": 1}]
        assert len(loaded.query("types", limit=2)) == 2
        with pytest.raises(KgsynthError, match="unknown command"):
            loaded.query("MATCH (n) RETURN n")


def test_real_bbc_graph(store):
    batch = bbc_batch()
    store.write(batch)
    assert store.stats().entities == len(batch.entities) >= 20
    tw = store.search("timewarner")[0]
    assert tw.name == "Time Warner"
    facts = store.facts(tw.id)
    objects = {f.target.name for f in facts}
    assert {"Google", "AOL", "US Securities Exchange Commission"} <= objects
    google = next(f for f in facts if f.target.name == "Google")
    assert google.relation.evidence[0].sentence.startswith("Time Warner said on Friday")
    howard = store.search("michael howard")[0]
    hewitt = store.search("hewitt")[0]
    assert hewitt.name == "Patricia Hewitt"
    paths = store.paths(howard.id, store.search("theresa may")[0].id, max_hops=2)
    assert [e.name for e in paths[0].entities] == ["Michael Howard", "Tony Blair", "Theresa May"]
    store.write(batch)
    assert store.stats().relations == len(batch.relations)


# ---------------------------------------------------------------- embedded persistence


def test_embedded_persists_atomically_and_reloads(tmp_path):
    d = tmp_path / "graph"
    s = EmbeddedStore(d)
    s.write(small_batch())
    assert sorted(p.name for p in d.iterdir()) == ["graph.pkl"]  # no temp file left behind
    again = EmbeddedStore(d)
    assert again.stats() == s.stats()
    assert again.search("blair")[0].id == BLAIR.id
    assert [f.relation for f in again.facts(BLAIR.id)] == [f.relation for f in s.facts(BLAIR.id)]
    again.remove_chunks(["c4"])
    assert EmbeddedStore(d).entity(BOE.id) is None


def test_embedded_bulk_writes_once(tmp_path):
    d = tmp_path / "graph"
    s = EmbeddedStore(d)
    with s.bulk():
        s.write(GraphBatch(entities=[BLAIR, LABOUR]))
        s.write(GraphBatch(relations=[BLAIR_LEADS]))
        assert not (d / "graph.pkl").exists()  # nothing written inside the block
    assert EmbeddedStore(d).stats().relations == 1


def test_open_store_default_is_embedded_in_workspace(tmp_path):
    from kgsynth.workspace import Workspace

    with Workspace(tmp_path / "ws") as ws:
        assert ws.store.name == "embedded"
        ws.store.write(small_batch())
    assert (tmp_path / "ws" / "graph" / "graph.pkl").exists()
    with Workspace(tmp_path / "ws") as ws:
        assert ws.store.stats().entities == 6


def test_corrupt_graph_file_is_a_clear_error(tmp_path):
    (tmp_path / "graph").mkdir()
    (tmp_path / "graph" / "graph.pkl").write_bytes(b"not a pickle")
    with pytest.raises(StoreError, match="cannot read the graph"):
        EmbeddedStore(tmp_path / "graph")


# ---------------------------------------------------------------- Cypher safety helpers


def test_fulltext_query_escapes_lucene_syntax():
    from kg.stores.neo4j import fulltext_query, lucene_escape

    assert lucene_escape('a+b-c && d || !(e){f}[g]^"h"~i*j?k:l\\m/n') == (
        'a\\+b\\-c \\&\\& d \\|\\| \\!\\(e\\)\\{f\\}\\[g\\]\\^\\"h\\"\\~i\\*j\\?k\\:l\\\\m\\/n'
    )
    assert fulltext_query("Tony BLA") == "tony* AND bla*"
    assert fulltext_query("AND OR (x)") == "and* AND or* AND x*"
    assert fulltext_query("!!") == ""


def test_read_only_check_ignores_strings_and_comments():
    from kg.stores.neo4j import check_read_only

    check_read_only("MATCH (e:Entity) WHERE e.name = 'DELETE me' RETURN e // SET later")
    check_read_only("MATCH (e) RETURN e.name AS `create`, startNode(r) STARTS WITH 'x'")
    check_read_only("CALL db.labels() YIELD label RETURN label")
    for q in [
        "MATCH (n) CALL { WITH n DELETE n } IN TRANSACTIONS",
        "CALL apoc.create.node([], {})",
        "USE system SHOW USERS",
        "match (n) foreach (x in [1] | create ())",
    ]:
        with pytest.raises(StoreError, match="read-only console"):
            check_read_only(q)


def test_embedded_sees_writes_from_another_process(tmp_path):
    """The UI's store reloads when a job worker (another process) rewrote the graph file."""
    d = tmp_path / "graph"
    ui = EmbeddedStore(d)
    assert ui.stats().entities == 0
    worker = EmbeddedStore(d)
    worker.write(small_batch())
    assert ui.stats().entities == 6
    assert ui.search("blair")[0].id == BLAIR.id
    worker.remove_chunks(["c4"])
    assert ui.entity(BOE.id) is None
