"""Even coverage for QA builds (`synth qa --balance`): a per-entity cap from the budget, turns per
entity type, and what a QA type's pool cannot fill passed on to the others.

The default sampling (:func:`synth.qa_sampling.balanced_sample`) cycles over predicates and caps uses
per entity at a fixed number within each QA type. Balancing sets one cap for the whole build from the
budget (as low as the candidates allow: 1 when there are enough distinct entities) and counts uses
across QA types, cycles over entity types (each type gets its turn, so people do not crowd out places
and works), and moves the share of a QA type with too few candidates to types with spare ones.
:func:`figures` measures a selection the same way before and after, so a build reports the change.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from synth.qa_sampling import Candidate, balanced_sample


def even_split(types: tuple[str, ...], n: int) -> dict[str, int]:
    """`n` split evenly over `types` (the first types get the remainder)."""
    return {t: n // len(types) + (1 if i < n % len(types) else 0) for i, t in enumerate(types)}


def quotas(wants: dict[str, int], pools: dict[str, int]) -> dict[str, int]:
    """Each type's share, with what its pool cannot fill passed on to the types that have spare
    candidates, in proportion to their spare."""
    got = {t: min(w, pools.get(t, 0)) for t, w in wants.items()}
    left = sum(wants.values()) - sum(got.values())
    while left > 0:
        spare = {t: pools.get(t, 0) - got[t] for t in got if pools.get(t, 0) > got[t]}
        if not spare:
            break
        total = sum(spare.values())
        moved = 0
        for t, s in sorted(spare.items(), key=lambda kv: -kv[1]):
            extra = min(s, max(1, left * s // total), left - moved)
            got[t] += extra
            moved += extra
            if moved >= left:
                break
        left -= moved
    return got


def entity_cap(pools: list[list[Candidate]], want: int, cap: int) -> int:
    """The lowest per-entity cap (at most `cap`) that leaves room for `want` candidates."""
    pool = [c for p in pools for c in p]
    if not pool or want <= 0:
        return cap
    distinct = len({e for c in pool for e in c.entity_ids})
    per = sum(len(set(c.entity_ids)) for c in pool) / len(pool)
    return max(1, min(cap, math.ceil(want * per / max(distinct, 1))))


class Balancer:
    """Samples each QA type's pool in turn under one per-entity cap for the whole build (set from
    the budget), cycling over entity types; entities used by earlier types count against it."""

    def __init__(self, pools: dict[str, list[Candidate]], wants: dict[str, int], cap: int, seed):
        self.cap = entity_cap(list(pools.values()), sum(wants.values()), cap)
        self.seed = seed
        self.used: Counter = Counter()

    def sample(self, pool: list[Candidate], want: int) -> list[Candidate]:
        free = [c for c in pool if all(self.used[e] < self.cap for e in _about(c))]
        picked = balanced_sample(
            free, want, per_entity_cap=self.cap, seed=self.seed, primary="type"
        )
        out = []
        for c in picked:
            if all(self.used[e] < self.cap for e in _about(c)):
                out.append(c)
                self.used.update(_about(c))
        return out


def figures(selected: list[Candidate], entity_types: dict[str, str]) -> dict[str, Any]:
    """Headline coverage of a selection: entities used, the busiest one, inequality, spread."""
    uses = Counter(e for c in selected for e in _about(c))
    types = Counter(entity_types.get(e, "") for e in uses)
    predicates = Counter(c.strata.get("predicate", "") for c in selected)
    return {
        "examples": len(selected),
        "entities": len(uses),
        "top_entity_uses": max(uses.values(), default=0),
        "gini": round(gini(list(uses.values())), 3),
        "entity_types": len(types),
        "predicates": len(predicates),
        "top_predicate_share": round(
            max(predicates.values(), default=0) / max(len(selected), 1), 3
        ),
    }


def _about(c: Candidate) -> set[str]:
    """Every entity an example will name in its provenance: the sampling keys, and for an
    extractive question also the entities of the facts in its sentence."""
    return set(c.entity_ids) | set(getattr(c.payload, "entity_ids", ()))


def gini(values: list[int]) -> float:
    """The Gini coefficient of non-negative counts (0: all equal; near 1: one takes all)."""
    xs = sorted(values)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return (2 * weighted) / (n * total) - (n + 1) / n
