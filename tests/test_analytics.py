"""Graph analytics on real stores: centrality, Louvain communities, subgraph sampling."""

from __future__ import annotations

import pytest

from kg.stores.embedded import EmbeddedStore
from kgsynth.analytics import centrality, communities, sample_subgraph
from kgsynth.errors import InputError
from kgsynth.types import GraphBatch
from tests.fixtures.graph_data import (
    BLAIR,
    BOE,
    LABOUR,
    LONDON,
    LSE,
    bbc_batch,
    small_batch,
)


@pytest.fixture
def store(tmp_path):
    s = EmbeddedStore(tmp_path / "graph")
    s.write(small_batch())
    s.write(bbc_batch())
    yield s
    s.close()


def test_degree_centrality_ranks_hubs_first(store):
    top = centrality(store, top=3)
    assert top[0][0].id == LABOUR.id  # 2 + 1 + 1 (weighted degree)
    assert top[0][1] == 4.0
    assert len(top) == 3 and top[0][1] >= top[1][1] >= top[2][1]


def test_pagerank_centrality(store):
    top = centrality(store, top=50, method="pagerank")
    assert abs(sum(s for _, s in top) - 1.0) < 1e-6  # every node is returned, scores sum to 1
    names = [e.name for e, _ in top[:5]]
    assert "Labour" in names or "Time Warner" in names
    with pytest.raises(InputError, match="degree, pagerank"):
        centrality(store, method="betweenness")


def test_louvain_communities_split_topics(store):
    comms = communities(store, seed=0)
    assert len(comms) == store.stats().entities
    assert comms == communities(store, seed=0)  # deterministic for a seed
    tw = store.search("Time Warner")[0].id
    google = store.search("Google")[0].id
    hewitt = store.search("Patricia Hewitt")[0].id
    assert comms[tw] == comms[google]
    assert comms[tw] != comms[hewitt]  # business and politics articles don't mix
    assert comms[LSE.id] == comms[BOE.id]


def test_sample_bfs_from_seed(store):
    sub = sample_subgraph(store, "bfs", seeds=[BLAIR.id], size=3)
    assert [e.id for e in sub.entities][0] == BLAIR.id
    assert len(sub.entities) == 3
    kept = {e.id for e in sub.entities}
    assert sub.relations and all(r.source_id in kept and r.target_id in kept for r in sub.relations)
    assert all(r.evidence for r in sub.relations)


def test_sample_random_walk_is_seeded_and_connected(store):
    a = sample_subgraph(store, "random_walk", seeds=[LONDON.id], size=4, seed=1)
    b = sample_subgraph(store, "random_walk", seeds=[LONDON.id], size=4, seed=1)
    assert [e.id for e in a.entities] == [e.id for e in b.entities]
    assert len(a.entities) == 4 and a.entities[0].id == LONDON.id
    tiny = sample_subgraph(store, "random_walk", seeds=[BOE.id], size=100)
    assert len(tiny.entities) < 100  # stops at the seed's connected component


def test_sample_community(store):
    tw = store.search("Time Warner")[0].id
    comms = communities(store)
    sub = sample_subgraph(store, "community", seeds=[tw], size=50)
    assert tw in {e.id for e in sub.entities}
    assert {comms[e.id] for e in sub.entities} == {comms[tw]}
    assert len(sample_subgraph(store, "community", size=2).entities) == 2


def test_empty_store(tmp_path):
    s = EmbeddedStore(tmp_path / "g")
    assert centrality(s) == [] and communities(s) == {}
    assert sample_subgraph(s).entities == []
    s.write(GraphBatch())


@pytest.mark.neo4j
def test_analytics_on_neo4j_matches_embedded(store, neo4j_store):
    neo4j_store.write(small_batch())
    neo4j_store.write(bbc_batch())
    assert [(e.id, s) for e, s in centrality(neo4j_store, top=5)] == [
        (e.id, s) for e, s in centrality(store, top=5)
    ]
    assert communities(neo4j_store) == communities(store)
    sub = sample_subgraph(neo4j_store, "bfs", seeds=[BLAIR.id], size=4)
    assert [e.id for e in sub.entities] == [
        e.id for e in sample_subgraph(store, "bfs", seeds=[BLAIR.id], size=4).entities
    ]
