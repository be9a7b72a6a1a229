"""Benchmark QA synthesis on a real graph (BBC News articles), with baselines from the same run.

1. Throughput: QA pairs per second in template mode (graph load, candidates, rendering, checks,
   saving), against rendering alone (the floor: what the templates cost without the graph work).
2. Sampling: the balanced sampler (strata + per-entity cap) against naive uniform sampling over the
   same candidates: distinct entities per example (higher is better) and the share of examples that
   touch one of the 10 most connected entities (lower is better), as ratios.

    .venv/bin/python bench/qa_synthesis.py [--articles 20] [--n 300] [--workspace DIR]

``--articles`` is per BBC label (5 labels). A given ``--workspace`` that already holds a graph is
reused, so repeated runs skip ingest.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from kgsynth.workspace import Workspace  # noqa: E402
from synth.graph_view import GraphView  # noqa: E402
from synth.qa import QA_TYPES, build_qa  # noqa: E402
from synth.qa_candidates import candidates  # noqa: E402
from synth.qa_sampling import (  # noqa: E402
    Candidate,
    balanced_sample,
    coverage,
    uniform_sample,
)
from synth.templates import TemplateLibrary  # noqa: E402
from tests.fixtures.corpus import bbc_files  # noqa: E402


def prepare(ws_dir: Path, per_label: int) -> Workspace:
    ws = Workspace(ws_dir)
    if ws.catalog.count("documents") == 0:
        from kg.ingest import ingest

        docs = Path(tempfile.mkdtemp(prefix="bench-docs-"))
        for path, label in bbc_files(per_label):
            (docs / label).mkdir(exist_ok=True)
            shutil.copy(path, docs / label / path.name)
        t = time.perf_counter()
        report = ingest(ws, [docs])
        print(f"ingest: {report.documents} docs in {time.perf_counter() - t:.1f} s")
        shutil.rmtree(docs, ignore_errors=True)
    return ws


def throughput(ws: Workspace, n: int) -> None:
    t = time.perf_counter()
    version = build_qa(ws, n=n, seed=int(time.time()))  # a fresh seed: no idempotent short cut
    total = time.perf_counter() - t
    view = GraphView.load(ws)
    items = [c.payload for qa_type in QA_TYPES for c in candidates(view, qa_type)][: version.count]
    lib, rng = TemplateLibrary(ws), random.Random(0)
    t = time.perf_counter()
    for item in items:
        lib.render(f"qa.{item.qa_type}", item.lang, rng=rng, **item.vars)
    render = time.perf_counter() - t
    rate, floor = version.count / total, len(items) / render if render else float("inf")
    print(f"throughput: {version.count} QA pairs in {total:.2f} s = {rate:.0f}/s end to end")
    print(f"  baseline render-only: {floor:.0f}/s; end-to-end / render-only = {rate / floor:.3f}")
    print(f"  tasks: {dict(version.stats['tasks'])}; rejected: {version.stats['rejected_total']}")


def sampling(ws: Workspace, seeds: int = 5) -> None:
    view = GraphView.load(ws)
    hubs_all = _top10(view.typed + view.cooccurrence)
    hubs_typed = _top10(view.typed)
    pools = {"typed relations (facts)": [_fact(view, r) for r in view.typed]}
    pools["all QA candidates"] = [c for t in QA_TYPES for c in candidates(view, t)]
    for name, pool in pools.items():
        n = max(1, len(pool) // 3)
        b_all, u_all = Counter(), Counter()
        for seed in range(seeds):
            balanced = balanced_sample(pool, n, per_entity_cap=3, seed=seed)
            uniform = uniform_sample(pool, n, seed=seed)
            for sink, sample in ((b_all, balanced), (u_all, uniform)):
                sink.update(coverage(sample, hubs_all))
                sink["hub_share_typed"] += coverage(sample, hubs_typed)["hub_share"]
        b = {k: v / seeds for k, v in b_all.items()}
        u = {k: v / seeds for k, v in u_all.items()}
        print(f"sampling, {name}: pool {len(pool)}, n={n}, mean of {seeds} seeds")
        for key, label in (
            ("distinct_per_example", "distinct entities/example (higher is better)"),
            ("hub_share", "share touching top-10 hubs, all edges (lower is better)"),
            ("hub_share_typed", "share touching top-10 hubs, typed relations (lower is better)"),
            ("predicates", "distinct predicates (higher is better)"),
            ("top_predicate_share", "share of the most common predicate (lower is better)"),
        ):
            print(
                f"  {label}: balanced {b[key]:.3f} vs uniform {u[key]:.3f}"
                f" -> ratio {_ratio(b[key], u[key])}"
            )


def _top10(relations) -> set[str]:
    degree = Counter()
    for r in relations:
        degree.update([r.source_id, r.target_id])
    return {e for e, _ in degree.most_common(10)}


def _fact(view: GraphView, r) -> Candidate:
    """One candidate per typed relation: what a fact-based QA set samples from."""
    s = view.entity(r.source_id)
    return Candidate(
        key=r.id,
        entity_ids=(r.source_id, r.target_id),
        strata={"predicate": r.predicate, "type": s.type, "community": view.community(s.id)},
        hubness=max(view.hub_degree(r.source_id), view.hub_degree(r.target_id)),
    )


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--articles", type=int, default=20, help="BBC articles per label (5 labels)")
    ap.add_argument("--n", type=int, default=300, help="QA pairs to build")
    ap.add_argument("--workspace", type=Path, default=None, help="reuse/keep this workspace")
    args = ap.parse_args()
    ws_dir = args.workspace or Path(tempfile.mkdtemp(prefix="bench-synth-")) / "ws"
    with prepare(ws_dir, args.articles) as ws:
        stats = ws.store.stats()
        print(
            f"graph: {stats.entities} entities, {stats.relations} typed, {stats.cooccurrences} co-occ"
        )
        throughput(ws, args.n)
        sampling(ws)


if __name__ == "__main__":
    main()
