"""Graph store benchmarks, each against a baseline measured in the same run; prints ratios.

1. Neo4j writes: the same records written one row per transaction vs batched ``UNWIND`` (one
   transaction per 1,000 rows).
2. Reads: facts() and search() latency, embedded store vs Neo4j.
3. Embedded load: opening a graph the size of the whole BBC corpus (2,225 articles) from its pickle,
   vs the same records loaded from JSON lines through pydantic.

    .venv/bin/python bench/store.py                 # starts a Neo4j 5.26 server on 127.0.0.1
    .venv/bin/python bench/store.py --uri bolt://127.0.0.1:7687 --password-env NEO4J_PASSWORD
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kg.neo4j_server import Neo4jServer  # noqa: E402
from kg.stores.embedded import EmbeddedStore  # noqa: E402
from kg.stores.neo4j import Neo4jStore  # noqa: E402
from kgsynth.ids import content_id  # noqa: E402
from kgsynth.types import Entity, Evidence, GraphBatch, Relation  # noqa: E402

TYPES = ["PERSON", "ORG", "GPE", "NORP", "EVENT"]
PREDICATES = ["leads", "member_of", "located_in", "owns", "said", "met"]


def synthetic_graph(n_entities: int, n_relations: int, seed: int = 0) -> GraphBatch:
    """A graph shaped like NER output: Zipf-popular entities, 1-3 evidence sentences per relation."""
    rng = random.Random(seed)
    ents = []
    for i in range(n_entities):
        name = f"{rng.choice(['North', 'Grand', 'New', 'Old', 'Saint'])} Entity {i}"
        chunks = [f"chunk_{rng.randrange(n_entities * 2)}" for _ in range(rng.randint(1, 3))]
        ents.append(
            Entity(
                id=content_id(name, prefix="ent_"),
                name=name,
                type=rng.choice(TYPES),
                aliases=[f"E{i}"],
                mentions=len(chunks),
                chunk_ids=chunks,
            )
        )
    weights = [1 / (i + 1) for i in range(n_entities)]
    ends = rng.choices(range(n_entities), weights=weights, k=2 * n_relations)
    rels = {}
    for j in range(n_relations):
        a, b = ents[ends[2 * j]], ents[ends[2 * j + 1]]
        if a.id == b.id:
            continue
        kind = "relation" if j % 3 == 0 else "cooccurrence"
        pred = rng.choice(PREDICATES) if kind == "relation" else "co-occurs"
        rid = content_id(a.id, pred, b.id, kind, prefix="rel_")
        evidence = [
            Evidence(
                triple_id=f"tr_{j}_{k}",
                chunk_id=a.chunk_ids[0],
                doc_id="doc_" + a.chunk_ids[0],
                sentence=f"{a.name} and {b.name} appear together in sentence {j}-{k} of the corpus.",
                start=0,
                end=80,
            )
            for k in range(rng.randint(1, 3))
        ]
        rels[rid] = Relation(
            id=rid,
            source_id=a.id,
            target_id=b.id,
            predicate=pred,
            kind=kind,
            weight=len(evidence),
            evidence=evidence,
        )
    return GraphBatch(entities=ents, relations=list(rels.values()))


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def bench_writes(store: Neo4jStore, batch: GraphBatch, rows: int) -> None:
    ents = batch.entities[: rows // 3]
    ids = {e.id for e in ents}
    rels = [r for r in batch.relations if r.source_id in ids and r.target_id in ids][
        : rows - len(ents)
    ]
    n = len(ents) + len(rels)
    store.clear()

    def one_by_one():
        for e in ents:
            store.write(GraphBatch(entities=[e]))
        for r in rels:
            store.write(GraphBatch(relations=[r]))

    single = timed(one_by_one)
    store.clear()
    batched = timed(lambda: store.write(GraphBatch(entities=ents, relations=rels)))
    print(f"neo4j write {n} rows: one row per transaction {single:.2f}s ({n / single:.0f} rows/s)")
    print(
        f"neo4j write {n} rows: batched UNWIND          {batched:.2f}s ({n / batched:.0f} rows/s)"
    )
    print(f"  -> batched UNWIND is {single / batched:.1f}x faster")


def latency(fn, args: list) -> float:
    times = []
    for a in args:
        t = time.perf_counter()
        fn(a)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def bench_reads(emb: EmbeddedStore, neo: Neo4jStore, batch: GraphBatch, n: int = 50) -> None:
    rng = random.Random(1)
    ids = [e.id for e in rng.sample(batch.entities, min(n, len(batch.entities)))]
    names = [e.name for e in rng.sample(batch.entities, n)]
    queries = [rng.choice([nm, nm.lower(), nm.split()[-1], nm[:8]]) for nm in names]
    for label, fe, fn, args in [
        ("facts ", lambda i: emb.facts(i), lambda i: neo.facts(i), ids),
        ("search", lambda q: emb.search(q), lambda q: neo.search(q), queries),
    ]:
        fe(args[0]), fn(args[0])  # warm up
        e_ms, n_ms = latency(fe, args), latency(fn, args)
        print(
            f"{label} median latency: embedded {e_ms:.2f} ms, neo4j {n_ms:.2f} ms "
            f"-> embedded {n_ms / e_ms:.1f}x faster"
        )


def bench_load(n_entities: int, n_relations: int) -> None:
    batch = synthetic_graph(n_entities, n_relations, seed=2)
    with tempfile.TemporaryDirectory() as d:
        store = EmbeddedStore(Path(d) / "graph")
        with store.bulk():
            store.write(batch)
        jsonl = Path(d) / "records.jsonl"
        with jsonl.open("w") as f:
            for e in batch.entities:
                f.write("E" + e.model_dump_json() + "\n")
            for r in batch.relations:
                f.write("R" + r.model_dump_json() + "\n")

        def from_json():  # what JSON persistence would do: parse, validate, rebuild the store
            ents, rels = [], []
            for line in jsonl.open():
                if line[0] == "E":
                    ents.append(Entity.model_validate_json(line[1:]))
                else:
                    rels.append(Relation.model_validate_json(line[1:]))
            EmbeddedStore(None).write(GraphBatch(entities=ents, relations=rels))

        pickle_s = timed(lambda: EmbeddedStore(Path(d) / "graph"))
        json_s = timed(from_json)
        size = (Path(d) / "graph" / "graph.pkl").stat().st_size / 1e6
    print(
        f"embedded load of {n_entities} entities + {len(batch.relations)} relations "
        f"({size:.0f} MB): pickle {pickle_s:.2f}s, JSON records + rebuild {json_s:.2f}s "
        f"-> {json_s / pickle_s:.1f}x faster"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--entities", type=int, default=3000)
    p.add_argument("--relations", type=int, default=9000)
    p.add_argument("--baseline-rows", type=int, default=600, help="rows for the write comparison")
    p.add_argument(
        "--load-entities", type=int, default=25000, help="BBC-sized graph for the load test"
    )
    p.add_argument("--load-relations", type=int, default=80000)
    p.add_argument("--uri", help="use this Neo4j instead of starting one")
    p.add_argument("--password-env", default="NEO4J_PASSWORD")
    args = p.parse_args()

    bench_load(args.load_entities, args.load_relations)
    batch = synthetic_graph(args.entities, args.relations)
    server = None
    if args.uri:
        uri, password = args.uri, os.environ.get(args.password_env, "")
    else:
        home = tempfile.mkdtemp(prefix="kgsynth-neo4j-")
        server = Neo4jServer(home, heap="1g").start()
        uri, password = server.uri, server.password
    try:
        neo = Neo4jStore(uri, "neo4j", password)
        bench_writes(neo, batch, args.baseline_rows)
        neo.clear()
        t = timed(lambda: neo.write(batch))
        emb = EmbeddedStore(None)
        te = timed(lambda: emb.write(batch))
        n = len(batch.entities) + len(batch.relations)
        print(f"write {n} rows: embedded {te:.2f}s, neo4j batched {t:.2f}s")
        bench_reads(emb, neo, batch)
        neo.clear()
        neo.close()
    finally:
        if server:
            server.stop()
            shutil.rmtree(server.home, ignore_errors=True)


if __name__ == "__main__":
    main()
