"""Real ingest (spaCy on BBC articles) into the embedded store and into a real Neo4j: same graph."""

from __future__ import annotations

import shutil

import pytest

from kg.ingest import ingest
from kgsynth.config import Config, Neo4jConfig, StoreConfig
from kgsynth.workspace import Workspace
from tests.fixtures.corpus import bbc_files

pytestmark = pytest.mark.neo4j


@pytest.fixture
def docs(tmp_path):
    src = tmp_path / "docs"
    src.mkdir()
    for path, label in bbc_files(1):
        shutil.copy(path, src / f"{label}-{path.name}")
    return src


def snapshot(store) -> tuple[dict, dict]:
    ents = {e.id: e for e in store.iter_entities()}
    rels = {r.id: r for r in store.iter_relations()}
    return ents, rels


def test_ingest_gives_the_same_graph_in_both_stores(
    docs, tmp_path, neo4j_server, neo4j_store, monkeypatch
):
    monkeypatch.setenv("KGSYNTH_TEST_NEO4J_PW", neo4j_server.password)
    neo_cfg = Config(
        store=StoreConfig(
            kind="neo4j",
            neo4j=Neo4jConfig(uri=neo4j_server.uri, password_env="KGSYNTH_TEST_NEO4J_PW"),
        )
    )
    with Workspace(tmp_path / "emb") as emb, Workspace(tmp_path / "neo", config=neo_cfg) as neo:
        assert neo.store.name == "neo4j" and emb.store.name == "embedded"
        ingest(emb, [docs])
        ingest(neo, [docs])
        stats = emb.store.stats()
        assert stats.entities > 30 and stats.relations + stats.cooccurrences > 30
        assert neo.store.stats() == stats
        assert snapshot(neo.store) == snapshot(emb.store)

        top = max(emb.store.iter_entities(), key=lambda e: (e.mentions, e.id))
        assert [e.id for e in neo.store.search(top.name)] == [
            e.id for e in emb.store.search(top.name)
        ]
        emb_facts = emb.store.facts(top.id, include_cooccurrence=True)
        assert emb_facts and all(f.relation.evidence for f in emb_facts)
        assert neo.store.facts(top.id, include_cooccurrence=True) == emb_facts

        # a changed document: its old chunks' evidence is removed, the new text's is added
        changed = sorted(docs.iterdir())[0]
        changed.write_text(changed.read_text() + "\n\nTony Blair met Gordon Brown in London.\n")
        ingest(emb, [docs])
        ingest(neo, [docs])
        assert neo.store.stats() == emb.store.stats()
        assert snapshot(neo.store) == snapshot(emb.store)
        assert emb.store.search("Gordon Brown")
