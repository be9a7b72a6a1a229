"""Graph analytics on any store (via ``store.to_networkx()``): centrality, communities, sampling.

Sampling picks a connected, representative slice of a big graph (for previews, for QA generation
over one topic, for tests): BFS around seeds, a random walk, or a whole Louvain community.
"""

from __future__ import annotations

import random
from collections import deque
from typing import Literal

import networkx as nx

from kgsynth.errors import InputError
from kgsynth.store import GraphStore
from kgsynth.types import Entity, Subgraph

CENTRALITY = ("degree", "pagerank")
SAMPLING = ("bfs", "random_walk", "community")


def _undirected(g: nx.MultiDiGraph) -> nx.Graph:
    """Collapse a multigraph into a weighted simple undirected graph (weights summed)."""
    u = nx.Graph()
    u.add_nodes_from(g.nodes)
    for a, b, w in g.edges(data="weight", default=1.0):
        if a == b:
            continue
        if u.has_edge(a, b):
            u[a][b]["weight"] += w
        else:
            u.add_edge(a, b, weight=w)
    return u


def centrality(
    store: GraphStore,
    top: int = 20,
    method: Literal["degree", "pagerank"] = "degree",
    include_cooccurrence: bool = False,
) -> list[tuple[Entity, float]]:
    """The `top` most central entities, best first (degree: weighted degree; pagerank: weighted)."""
    if method not in CENTRALITY:
        raise InputError(f"unknown centrality {method!r}; choose one of: {', '.join(CENTRALITY)}")
    g = store.to_networkx(include_cooccurrence=include_cooccurrence)
    if g.number_of_nodes() == 0:
        return []
    if method == "degree":
        scores = dict(_undirected(g).degree(weight="weight"))
    else:
        scores = nx.pagerank(nx.DiGraph(_undirected(g)), weight="weight")
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [(e, float(s)) for eid, s in ranked if (e := store.entity(eid)) is not None]


def communities(
    store: GraphStore, seed: int = 0, include_cooccurrence: bool = True
) -> dict[str, int]:
    """Louvain communities: entity id -> community number (0 = the largest community)."""
    u = _undirected(store.to_networkx(include_cooccurrence=include_cooccurrence))
    if u.number_of_nodes() == 0:
        return {}
    parts = nx.community.louvain_communities(u, weight="weight", seed=seed)
    parts = sorted(parts, key=lambda c: (-len(c), min(c)))
    return {node: i for i, part in enumerate(parts) for node in part}


def sample_subgraph(
    store: GraphStore,
    method: Literal["bfs", "random_walk", "community"] = "bfs",
    seeds: list[str] | None = None,
    size: int = 50,
    seed: int = 0,
    include_cooccurrence: bool = False,
) -> Subgraph:
    """About `size` connected entities and the relations among them.

    bfs: breadth-first from the seeds (default: the most central entity); random_walk: a walk with
    restarts from the seeds; community: the Louvain community of the first seed (default: the
    largest), trimmed to `size` by BFS from its most central member.
    """
    if method not in SAMPLING:
        raise InputError(f"unknown sampling {method!r}; choose one of: {', '.join(SAMPLING)}")
    g = store.to_networkx(include_cooccurrence=include_cooccurrence)
    u = _undirected(g)
    if u.number_of_nodes() == 0 or size <= 0:
        return Subgraph()
    starts = [s for s in (seeds or []) if s in u] or [_hub(u, u.nodes)]
    if method == "bfs":
        nodes = _bfs(u, starts, size)
    elif method == "random_walk":
        nodes = _random_walk(u, starts, size, random.Random(seed))
    else:
        comms = communities(store, seed=seed, include_cooccurrence=include_cooccurrence)
        target = comms[seeds[0]] if seeds and seeds[0] in comms else 0
        members = {n for n, c in comms.items() if c == target}
        sub = u.subgraph(members)
        start = [s for s in starts if s in members] or [_hub(sub, members)]
        nodes = _bfs(sub, start, size)
    return _subgraph(store, g, nodes)


def _hub(u: nx.Graph, nodes) -> str:
    return max(sorted(nodes), key=lambda n: u.degree(n, weight="weight"))


def _bfs(u: nx.Graph, starts: list[str], size: int) -> list[str]:
    seen = list(dict.fromkeys(starts))[:size]
    queue = deque(seen)
    while queue and len(seen) < size:
        node = queue.popleft()
        for nb in sorted(u[node], key=lambda n: (-u[node][n]["weight"], n)):
            if nb not in seen and len(seen) < size:
                seen.append(nb)
                queue.append(nb)
    return seen


def _random_walk(
    u: nx.Graph, starts: list[str], size: int, rng: random.Random, restart: float = 0.15
) -> list[str]:
    """Walk from a seed, restarting at a seed with probability `restart`, until `size` seen."""
    reachable = set().union(*(nx.node_connected_component(u, s) for s in starts))
    size = min(size, len(reachable))
    seen = list(dict.fromkeys(starts))[:size]
    node = starts[0]
    for _ in range(size * 100):
        if len(seen) >= size:
            break
        nbrs = sorted(u[node])
        node = rng.choice(starts) if not nbrs or rng.random() < restart else rng.choice(nbrs)
        if node not in seen:
            seen.append(node)
    return seen


def _subgraph(store: GraphStore, g: nx.MultiDiGraph, nodes: list[str]) -> Subgraph:
    keep = set(nodes)
    rel_ids = {k for a, b, k in g.subgraph(keep).edges(keys=True)}
    entities = [e for n in nodes if (e := store.entity(n)) is not None]
    relations = [r for r in store.iter_relations() if r.id in rel_ids]
    return Subgraph(entities=entities, relations=relations)
