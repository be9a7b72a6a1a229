"""Balanced, seeded sampling of task candidates from the graph.

Naive uniform sampling over relations mostly returns facts about a few hub entities (a country, a
big company). :func:`balanced_sample` instead cycles over the values of one primary stratum (e.g.
the predicate), and inside it prefers candidates whose other strata (entity type, community) and
entities have been used least, with a hard cap on examples per entity.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

HUB_WEIGHT = 0.5  # a degree-60 hub counts like ~3 earlier uses of its strata or entities


@dataclass
class Candidate:
    """Something a task could be built from: its entities, its strata, and a payload for the builder."""

    key: str  # dedupe key
    entity_ids: tuple[str, ...]
    strata: dict[str, str] = field(default_factory=dict)
    payload: Any = None
    hubness: float = 0.0  # e.g. the degree of its busiest entity: ties go to the less hub-bound one


def balanced_sample(
    candidates: list[Candidate],
    n: int,
    *,
    per_entity_cap: int | None = 3,
    seed: int = 0,
    primary: str = "predicate",
    per_group_cap: int | None = None,
    window: int = 32,
    lookahead: int = 8,
) -> list[Candidate]:
    """Pick up to `n` candidates balanced over strata, at most `per_entity_cap` per entity.

    `per_group_cap` bounds how many share one value of the `primary` stratum (e.g. per label).
    Each step looks at up to `lookahead` least-used groups and `window` candidates in each.
    """
    rng = random.Random(seed)
    pool = _dedupe(candidates)
    rng.shuffle(pool)
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for c in pool:
        groups[c.strata.get(primary, "")].append(c)
    order = {k: rng.random() for k in groups}
    usage: Counter = Counter()
    entity_use: Counter = Counter()
    picked: Counter = Counter()
    out: list[Candidate] = []
    while len(out) < n and groups:
        least = min(picked[k] for k in groups)
        options = sorted((k for k in groups if picked[k] == least), key=order.__getitem__)
        best = None  # (score, group value, index)
        for value in options[:lookahead]:
            found = _best(groups[value], usage, entity_use, per_entity_cap, primary, window)
            if found is None:
                del groups[value]
            elif best is None or found[1] < best[0]:
                best = (found[1], value, found[0])
        if best is None:
            continue
        _, value, index = best
        chosen = groups[value].pop(index)
        out.append(chosen)
        picked[value] += 1
        if per_group_cap is not None and picked[value] >= per_group_cap:
            groups[value] = []
        for dim, val in chosen.strata.items():
            usage[(dim, val)] += 1
        for eid in set(chosen.entity_ids):
            entity_use[eid] += 1
        if not groups[value]:
            del groups[value]
    return out


def uniform_sample(candidates: list[Candidate], n: int, *, seed: int = 0) -> list[Candidate]:
    """The baseline: `n` candidates uniformly at random (no balancing, no cap)."""
    pool = _dedupe(candidates)
    return random.Random(seed).sample(pool, min(n, len(pool)))


def coverage(selected: list[Candidate], hubs: set[str]) -> dict[str, float]:
    """Distinct entities per example, share of examples touching one of the `hubs`, predicate spread."""
    if not selected:
        return {"distinct_per_example": 0.0, "hub_share": 0.0, "top_predicate_share": 0.0}
    distinct = {e for c in selected for e in c.entity_ids}
    with_hub = sum(1 for c in selected if hubs & set(c.entity_ids))
    predicates = Counter(c.strata.get("predicate", "") for c in selected)
    return {
        "distinct_per_example": len(distinct) / len(selected),
        "hub_share": with_hub / len(selected),
        "predicates": float(len(predicates)),
        "top_predicate_share": predicates.most_common(1)[0][1] / len(selected),
    }


def _best(group, usage, entity_use, cap, primary, window) -> tuple[int, tuple] | None:
    """Index and score of the best of the first `window` candidates (dropping capped ones)."""
    best_i, best_score = None, None
    i = 0
    while i < len(group) and i < window:
        c = group[i]
        if cap is not None and any(entity_use[e] >= cap for e in set(c.entity_ids)):
            group.pop(i)  # the cap only tightens: this one can never be picked
            continue
        used = sum(usage[(d, v)] for d, v in c.strata.items() if d != primary)
        used += sum(entity_use[e] for e in set(c.entity_ids))
        score = (used + HUB_WEIGHT * math.log2(1 + c.hubness), c.hubness)
        if best_score is None or score < best_score:
            best_i, best_score = i, score
        i += 1
    return (best_i, best_score) if best_i is not None else None


def _dedupe(candidates: list[Candidate]) -> list[Candidate]:
    seen: set[str] = set()
    out = []
    for c in candidates:
        if c.key not in seen:
            seen.add(c.key)
            out.append(c)
    return out
