"""One weak label per unit from the labeling functions, weighed by what the seeds say about them.

The k seeds per label are the only labeled data, so they are the dev set: fold f holds out the f-th
seed of every label (each seed is held out once), every labeling function is refitted without it and
predicts it. An LF's weight is its held-out accuracy as log-odds over chance, so an LF that cannot
tell the labels apart (topic entities on a sentiment task, polarity on a topic task) gets no say.

Then, over the pool:

1. the weighted LFs are combined, and a temperature fitted on the held-out seeds calibrates the result;
2. class priors are estimated from the pool (EM, Saerens et al. 2002): the seeds are balanced, the pool
   need not be;
3. self-training: the confident part of the pool (per label, in proportion to its prior) is added to
   the seed classifier's training data, for up to ``max_rounds`` rounds, stopping when the seeds'
   held-out accuracy gets worse; every round is reported;
4. abstain: a unit is left out when it fits no label (further from every seed than seeds are from each
   other) or when its label is too uncertain (per label, the least confident units are dropped until
   the kept ones' expected precision reaches ``min_precision``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from synth.labeling import (
    LABELING_FUNCTIONS,
    LabelingContext,
    LFOutput,
    combine_probs,
    selftrain_rows,
)

HELD_OUT_LFS = ("description", "keyword", "knn", "selftrain", "lexical")
ROUND_SHARES = (0.3, 0.5, 0.7, 0.85)


@dataclass
class LabelResult:
    """Final label distribution per unit, who abstains, and what the labeling learned on the way."""

    probs: np.ndarray  # (n, L), calibrated, prior-adjusted
    outputs: list[LFOutput]
    keep: np.ndarray  # (n,) False where the unit abstains
    abstain: dict[str, int] = field(default_factory=dict)  # reason -> units
    report: dict = field(default_factory=dict)

    @property
    def best(self) -> np.ndarray:
        return self.probs.argmax(1)

    @property
    def conf(self) -> np.ndarray:
        return self.probs.max(1)


def label_units(
    ctx: LabelingContext,
    names: list[str] | None = None,
    *,
    seed_units: dict[int, int] | None = None,
    max_rounds: int = 4,
    min_precision: float = 0.8,
) -> LabelResult:
    """Label every unit of `ctx`; `seed_units` maps a seed's index to its unit index in the pool."""
    names = [n for n in (names or list(LABELING_FUNCTIONS.names())) if n in _known()]
    seed_units = seed_units or {}
    outputs = {n: LABELING_FUNCTIONS.get(n)(ctx) for n in names}
    folds = _folds(ctx.seed_labels)
    held = {n: _held_out(ctx, n, folds) for n in names if n in HELD_OUT_LFS}
    if "entity" in outputs:
        held["entity"] = _at_seed_units(outputs["entity"], seed_units, len(ctx.seed_labels), ctx.L)
    y = np.asarray(ctx.seed_labels, dtype=int)
    accuracy = {n: _accuracy(h, y) for n, h in held.items()}
    weights = {n: _weight(*accuracy[n], ctx.L) for n in accuracy}
    probs, held_probs, temperature, priors = _calibrated(outputs, held, weights, ctx.L, y)
    rounds = [_round(0, held_probs, y, 0, accuracy.get("selftrain"))]
    best = probs, held_probs, dict(outputs), dict(weights), dict(accuracy), temperature, priors
    excluded = np.zeros(ctx.n, dtype=bool)
    excluded[list(seed_units.values())] = True
    for r in range(1, max_rounds + 1):
        pseudo = _pseudo_labels(probs, priors, excluded, ROUND_SHARES[min(r, 4) - 1])
        if not len(pseudo[0]):
            break
        ctx.pseudo = (selftrain_rows(ctx)[pseudo[0]], pseudo[1], pseudo[2])
        ctx.cache.pop("selftrain", None)
        outputs["selftrain"] = LABELING_FUNCTIONS.get("selftrain")(ctx)
        held["selftrain"] = _held_out(ctx, "selftrain", folds)
        accuracy["selftrain"] = _accuracy(held["selftrain"], y)
        weights["selftrain"] = _weight(*accuracy["selftrain"], ctx.L)
        probs, held_probs, temperature, priors = _calibrated(outputs, held, weights, ctx.L, y)
        rounds.append(_round(r, held_probs, y, len(pseudo[0]), accuracy["selftrain"]))
        if rounds[-1]["heldout_accuracy"] < max(x["heldout_accuracy"] for x in rounds[:-1]):
            rounds[-1]["kept"] = False
            break  # worse on the held-out seeds: keep the previous round
        best = probs, held_probs, dict(outputs), dict(weights), dict(accuracy), temperature, priors
    ctx.pseudo = None
    probs, held_probs, outs, weights, accuracy, temperature, priors = best
    # confidence means precision only once calibrated on held-out seeds
    keep, abstain, thresholds = _abstain(ctx, probs, min_precision if len(y) else 0.0)
    report = {
        "lf_heldout_accuracy": {n: round(a, 4) for n, (a, _) in accuracy.items()},
        "lf_weights": {n: round(w, 3) for n, w in weights.items()},
        "temperature": round(temperature, 3),
        "priors": [round(float(p), 4) for p in priors],
        "rounds": rounds,
        "heldout_accuracy": round(float((held_probs.argmax(1) == y).mean()), 4) if len(y) else None,
        "thresholds": [round(float(t), 4) for t in thresholds],
        "abstained": abstain,
    }
    ordered = [outs[n] for n in names]
    return LabelResult(probs, ordered, keep, abstain, report)


def _known() -> set[str]:
    return set(LABELING_FUNCTIONS.names())


def _folds(seed_labels: list[int]) -> list[np.ndarray]:
    """Fold f holds out the f-th seed of every label."""
    rank: dict[int, int] = {}
    fold_of = []
    for lab in seed_labels:
        fold_of.append(rank.get(lab, 0))
        rank[lab] = rank.get(lab, 0) + 1
    fold_of = np.asarray(fold_of, dtype=int)
    if len(fold_of) == 0 or max(rank.values()) < 2:
        return []  # one seed per label: nothing can be held out
    return [np.flatnonzero(fold_of == f) for f in range(int(fold_of.max()) + 1)]


def _held_out(ctx: LabelingContext, name: str, folds: list[np.ndarray]) -> LFOutput:
    """The LF's predictions for every seed, each made without that seed's fold."""
    m = len(ctx.seed_labels)
    probs = np.full((m, ctx.L), 1.0 / ctx.L)
    active = np.zeros(m, dtype=bool)
    labels = np.asarray(ctx.seed_labels, dtype=int)
    texts = ctx.seed_texts or [""] * m
    for held in folds:
        rest = np.setdiff1d(np.arange(m), held)
        sub = replace(
            ctx,
            texts=[texts[i] for i in held],
            vectors=ctx.seed_vectors[held],
            seed_vectors=ctx.seed_vectors[rest],
            seed_labels=labels[rest].tolist(),
            seed_texts=[texts[i] for i in rest] if ctx.seed_texts else [],
            unit_entities=[],
            cache={},
        )
        out = LABELING_FUNCTIONS.get(name)(sub)
        probs[held], active[held] = out.probs, out.active
    return LFOutput(name, probs, active)


def _at_seed_units(out: LFOutput, seed_units: dict[int, int], m: int, L: int) -> LFOutput:
    """An LF's pool output read at the seeds that are pool units (the entity LF leaves a unit out)."""
    probs = np.full((m, L), 1.0 / L)
    active = np.zeros(m, dtype=bool)
    for k, i in seed_units.items():
        probs[k], active[k] = out.probs[i], out.active[i]
    return LFOutput(out.name, probs, active)


def _accuracy(out: LFOutput, y: np.ndarray) -> tuple[float, int]:
    """(held-out accuracy where the LF votes, how many votes)."""
    n = int(out.active.sum())
    if n == 0:
        return 0.0, 0
    return float((out.probs[out.active].argmax(1) == y[out.active]).mean()), n


def _weight(acc: float, n: int, L: int) -> float:
    """Log-odds of the held-out accuracy over chance, shrunk toward chance when votes are few."""
    if n == 0:
        return 0.0
    shrunk = (acc * n + 2.0 / L) / (n + 2.0)
    shrunk = min(shrunk, 0.97)
    return max(0.0, math.log(shrunk * (L - 1) / (1.0 - shrunk)))


def _calibrated(outputs: dict, held: dict, weights: dict, L: int, y: np.ndarray):
    """Combined pool and held-out probabilities: temperature from the seeds, priors from the pool.
    Without held-out seeds nothing is calibrated: uniform priors (EM over uncalibrated votes drifts
    toward one label)."""
    names = [n for n in outputs if weights.get(n, 0.0) > 0]
    if not names:  # no LF beats chance on the seeds: fall back to all, equally
        names, weights = list(outputs), dict.fromkeys(outputs, 1.0)
    pool = combine_probs([outputs[n] for n in names], weights)
    seeds = combine_probs([held[n] for n in names if n in held], weights) if held else None
    t = 1.0
    if seeds is not None and len(seeds):
        t = _temperature(seeds, y)
        seeds = _sharpen(seeds, t)
    pool = _sharpen(pool, t)
    priors = _priors(pool) if len(y) else np.full(L, 1.0 / L)
    pool = _reweigh(pool, priors)
    held_probs = seeds if seeds is not None else np.zeros((0, L))
    return pool, held_probs, t, priors


def _sharpen(probs: np.ndarray, t: float) -> np.ndarray:
    z = np.log(np.clip(probs, 1e-9, 1.0)) / t
    z -= z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def _temperature(probs: np.ndarray, y: np.ndarray) -> float:
    """The temperature that best predicts the held-out seeds' labels (log-likelihood, on a grid)."""
    grid = np.exp(np.linspace(math.log(0.05), math.log(3.0), 40))
    ll = [np.log(np.clip(_sharpen(probs, t)[np.arange(len(y)), y], 1e-6, 1)).mean() for t in grid]
    return float(grid[int(np.argmax(ll))])


def _priors(probs: np.ndarray, iterations: int = 30) -> np.ndarray:
    """Class priors of the pool by EM over posteriors that assumed uniform priors (shrunk a little)."""
    L = probs.shape[1]
    priors = np.full(L, 1.0 / L)
    for _ in range(iterations):
        q = _reweigh(probs, priors)
        new = 0.9 * q.mean(0) + 0.1 / L
        if np.abs(new - priors).max() < 1e-5:
            break
        priors = new
    return priors


def _reweigh(probs: np.ndarray, priors: np.ndarray) -> np.ndarray:
    q = probs * (priors * len(priors))
    return q / q.sum(1, keepdims=True)


def _pseudo_labels(probs: np.ndarray, priors: np.ndarray, excluded: np.ndarray, share: float):
    """Per label, its most confident `share` of the units it is expected to hold (by prior)."""
    best, conf = probs.argmax(1), probs.max(1)
    n = len(probs)
    idx_all, lab_all = [], []
    for j in range(probs.shape[1]):
        idx = np.flatnonzero((best == j) & ~excluded)
        quota = int(round(share * priors[j] * n))
        idx = idx[np.argsort(-conf[idx], kind="stable")[:quota]]
        idx_all.append(idx)
        lab_all.append(np.full(len(idx), j))
    idx = np.concatenate(idx_all).astype(int) if idx_all else np.zeros(0, dtype=int)
    labels = np.concatenate(lab_all).astype(int) if lab_all else np.zeros(0, dtype=int)
    return idx, labels, conf[idx]


def _round(r: int, held_probs: np.ndarray, y: np.ndarray, pseudo: int, st) -> dict:
    acc = float((held_probs.argmax(1) == y).mean()) if len(y) else 0.0
    out = {"round": r, "heldout_accuracy": round(acc, 4), "pseudo_labels": pseudo, "kept": True}
    if st is not None:
        out["selftrain_heldout_accuracy"] = round(st[0], 4)
    return out


def _abstain(ctx: LabelingContext, probs: np.ndarray, min_precision: float):
    """(keep mask, abstain counts by reason, per-label confidence threshold)."""
    keep = np.ones(len(probs), dtype=bool)
    no_label = _fits_no_label(ctx)
    keep &= ~no_label
    best, conf = probs.argmax(1), probs.max(1)
    thresholds = np.zeros(probs.shape[1])
    uncertain = np.zeros(len(probs), dtype=bool)
    for j in range(probs.shape[1]):
        idx = np.flatnonzero((best == j) & keep)
        if not len(idx):
            continue
        order = idx[np.argsort(-conf[idx], kind="stable")]
        running = np.cumsum(conf[order]) / np.arange(1, len(order) + 1)
        ok = np.flatnonzero(running >= min_precision)
        cut = int(ok[-1]) + 1 if len(ok) else 0
        thresholds[j] = conf[order[cut - 1]] if cut else 1.0
        uncertain[order[cut:]] = True
    keep &= ~uncertain
    return (
        keep,
        {"fits_no_label": int(no_label.sum()), "uncertain": int(uncertain.sum())},
        thresholds,
    )


def _fits_no_label(ctx: LabelingContext) -> np.ndarray:
    """Units further from every seed than (almost) any seed is from its nearest other seed."""
    m = len(ctx.seed_labels)
    if m < 3:
        return np.zeros(ctx.n, dtype=bool)
    s = ctx.seed_vectors @ ctx.seed_vectors.T
    np.fill_diagonal(s, -1.0)
    floor = float(np.quantile(s.max(1), 0.02)) - 0.05
    return (ctx.vectors @ ctx.seed_vectors.T).max(1) < floor
