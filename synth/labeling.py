"""Weak labeling of unlabeled corpus units (documents or chunks) from a label schema and seeds.

Each labeling function (LF) looks at every unit and returns a probability row over the labels, or
abstains. The LFs use only what the expert gave (label names, descriptions, keywords, seed examples)
and what kgsynth built (embeddings, graph entities):

- ``description``  cosine similarity of the unit to each label's "name: description" (zero-shot)
- ``knn``          similarity-weighted vote of the unit's nearest seed examples
- ``keyword``      the label's keywords (and its name) occurring in the text
- ``selftrain``    a logistic regression on embeddings, trained on the seeds (and, in the self-training
                   rounds of :mod:`synth.weak_labels`, on the pool's confident pseudo-labels)
- ``lexical``      a logistic regression on evaluative-language features (:mod:`synth.polarity`:
                   polarity with negation, intensifiers, contrast), trained on the seeds; it carries
                   sentiment, stance and style labels, which embeddings of the topic miss
- ``entity``       graph entities carry the labels of the other units that mention them (leave-one-out),
                   and vote for the units that mention them

:func:`synth.weak_labels.label_units` weighs them by their accuracy on held-out seeds; :func:`combine`
merges them into one label and a confidence per unit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kgsynth.registry import Registry
from kgsynth.text import words

LFFunction = Callable[["LabelingContext"], "LFOutput"]
LABELING_FUNCTIONS: Registry[LFFunction] = Registry("labeling_functions")

# Relative trust of each LF when combining (self-training sees the most evidence).
DEFAULT_WEIGHTS = {
    "selftrain": 3.0,
    "entity": 1.0,
    "knn": 1.0,
    "lexical": 0.5,
    "description": 0.5,
    "keyword": 0.5,
}


@dataclass
class LabelingContext:
    """Everything the labeling functions may look at; vectors are L2-normalised rows."""

    labels: list[str]
    texts: list[str]
    vectors: np.ndarray  # (n, d) units
    seed_vectors: np.ndarray  # (m, d)
    seed_labels: list[int]  # index into labels, one per seed
    label_vectors: np.ndarray  # (L, d) embeddings of "name: description"
    keywords: list[list[str]]  # per label, lower-cased
    unit_entities: list[list[str]] = field(default_factory=list)  # entity ids per unit
    lang: str = "en"
    seed: int = 0
    seed_texts: list[str] = field(default_factory=list)  # for LFs that read the words
    label_texts: list[str] = field(default_factory=list)  # "name: description" per label
    pseudo: tuple | None = None  # (selftrain_rows, label indices, weights) from self-training
    cache: dict = field(default_factory=dict)  # LFs may reuse each other's output

    @property
    def n(self) -> int:
        return len(self.texts)

    @property
    def L(self) -> int:
        return len(self.labels)


@dataclass
class LFOutput:
    name: str
    probs: np.ndarray  # (n, L), rows sum to 1 where active
    active: np.ndarray  # (n,) bool; False means the LF abstains on that unit


def _softmax(x: np.ndarray, temperature: float) -> np.ndarray:
    z = x / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@LABELING_FUNCTIONS.register("description")
def lf_description(ctx: LabelingContext) -> LFOutput:
    """Zero-shot: the label whose description embedding is closest."""
    sims = ctx.vectors @ ctx.label_vectors.T
    return LFOutput("description", _softmax(sims, 0.05), np.ones(ctx.n, dtype=bool))


@LABELING_FUNCTIONS.register("knn")
def lf_knn(ctx: LabelingContext, k: int = 5) -> LFOutput:
    """Vote of the k nearest seed examples, weighted by similarity."""
    active = np.full(ctx.n, len(ctx.seed_labels) > 0)
    probs = np.full((ctx.n, ctx.L), 1.0 / ctx.L)
    if not active.any():
        return LFOutput("knn", probs, active)
    sims = ctx.vectors @ ctx.seed_vectors.T
    k = min(k, sims.shape[1])
    top = np.argsort(-sims, axis=1)[:, :k]
    seed_labels = np.asarray(ctx.seed_labels)
    scores = np.zeros((ctx.n, ctx.L))
    for j in range(k):
        idx = top[:, j]
        w = np.exp(sims[np.arange(ctx.n), idx] / 0.05)
        np.add.at(scores, (np.arange(ctx.n), seed_labels[idx]), w)
    probs = scores / scores.sum(axis=1, keepdims=True)
    return LFOutput("knn", probs, active)


@LABELING_FUNCTIONS.register("keyword")
def lf_keyword(ctx: LabelingContext) -> LFOutput:
    """Occurrences of each label's keywords (and name); abstains when none occurs."""
    counts = np.zeros((ctx.n, ctx.L))
    single = [{k for k in kws if " " not in k} for kws in ctx.keywords]
    multi = [[k for k in kws if " " in k] for kws in ctx.keywords]
    for i, text in enumerate(ctx.texts):
        toks = words(text, ctx.lang)
        lower = text.lower()
        for j in range(ctx.L):
            counts[i, j] = sum(t in single[j] for t in toks) + sum(
                len(re.findall(re.escape(m), lower)) for m in multi[j]
            )
    active = counts.sum(axis=1) > 0
    probs = np.full((ctx.n, ctx.L), 1.0 / ctx.L)
    smoothed = counts[active] + 0.5
    probs[active] = smoothed / smoothed.sum(axis=1, keepdims=True)
    return LFOutput("keyword", probs, active)


def _fit_predict(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, xs: np.ndarray, L: int, seed: int, c: float = 10.0
) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=300, random_state=seed)
    clf.fit(x, y, sample_weight=w)
    probs = np.zeros((len(xs), L))
    probs[:, clf.classes_] = clf.predict_proba(xs)
    return probs


LEX_SCALE = 0.5  # weight of the evaluative features beside a unit-length embedding


def unit_features(ctx: LabelingContext) -> np.ndarray:
    """The units' evaluative-language features (computed once per context)."""
    from synth.polarity import feature_matrix

    feats = ctx.cache.get("lexical_features")
    if feats is None or len(feats) != ctx.n:
        feats = ctx.cache["lexical_features"] = feature_matrix(ctx.texts)
    return feats


def selftrain_rows(ctx: LabelingContext) -> np.ndarray:
    """What the self-trained classifier reads of each unit: its embedding and evaluative features."""
    return np.hstack([ctx.vectors, LEX_SCALE * unit_features(ctx)])


@LABELING_FUNCTIONS.register("selftrain")
def lf_selftrain(ctx: LabelingContext) -> LFOutput:
    """Logistic regression on the seeds (+ label descriptions and any pseudo-labeled units), over
    embeddings and evaluative features, so self-training can pick up whichever carries the labels."""
    from synth.polarity import feature_matrix

    if "selftrain" in ctx.cache:
        return ctx.cache["selftrain"]
    seed_feats = feature_matrix(ctx.seed_texts) if ctx.seed_texts else None
    label_feats = feature_matrix(ctx.label_texts) if ctx.label_texts else None
    x = np.vstack([_rows(ctx.seed_vectors, seed_feats), _rows(ctx.label_vectors, label_feats)])
    y = np.concatenate([np.asarray(ctx.seed_labels, dtype=int), np.arange(ctx.L)])
    w = np.concatenate([np.full(len(ctx.seed_labels), 2.0), np.full(ctx.L, 0.5)])
    if ctx.pseudo is not None and len(ctx.pseudo[0]):
        rows, labels, weights = ctx.pseudo
        x = np.vstack([x, rows])
        y = np.concatenate([y, labels])
        w = np.concatenate([w, weights])
    probs = _fit_predict(x, y, w, selftrain_rows(ctx), ctx.L, ctx.seed)
    out = LFOutput("selftrain", probs, np.ones(ctx.n, dtype=bool))
    ctx.cache["selftrain"] = out
    return out


def _rows(vectors: np.ndarray, feats: np.ndarray | None) -> np.ndarray:
    from synth.polarity import FEATURES

    if feats is None:
        feats = np.zeros((len(vectors), len(FEATURES)), dtype=np.float32)
    return np.hstack([vectors, LEX_SCALE * feats])


@LABELING_FUNCTIONS.register("lexical")
def lf_lexical(ctx: LabelingContext) -> LFOutput:
    """Evaluative-language features (polarity, negation, emphasis) fitted to the seeds' labels;
    abstains on units without an evaluative word."""
    from synth.polarity import FEATURES, feature_matrix

    active = np.full(ctx.n, bool(ctx.seed_texts))
    probs = np.full((ctx.n, ctx.L), 1.0 / ctx.L)
    if not active.any():
        return LFOutput("lexical", probs, active)
    x = np.vstack([feature_matrix(ctx.seed_texts), feature_matrix(ctx.label_texts)])
    y = np.concatenate([np.asarray(ctx.seed_labels, dtype=int), np.arange(len(ctx.label_texts))])
    w = np.concatenate([np.ones(len(ctx.seed_texts)), np.full(len(ctx.label_texts), 0.5)])
    units = unit_features(ctx)
    scale = np.maximum(x.std(0), 0.05)
    probs = _fit_predict(x / scale, y, w, units / scale, ctx.L, ctx.seed, c=1.0)
    return LFOutput("lexical", probs, units[:, FEATURES.index("evaluative")] > 0)


@LABELING_FUNCTIONS.register("entity")
def lf_entity(ctx: LabelingContext, min_units: int = 2) -> LFOutput:
    """Label-linked graph entities: an entity's label is that of the other units mentioning it."""
    probs = np.full((ctx.n, ctx.L), 1.0 / ctx.L)
    active = np.zeros(ctx.n, dtype=bool)
    if not ctx.unit_entities:
        return LFOutput("entity", probs, active)
    base = lf_selftrain(ctx).probs
    members: dict[str, list[int]] = {}
    for i, ents in enumerate(ctx.unit_entities):
        for e in set(ents):
            members.setdefault(e, []).append(i)
    sums = {e: base[idx].sum(0) for e, idx in members.items() if len(idx) > min_units - 1}
    for i, ents in enumerate(ctx.unit_entities):
        acc = np.zeros(ctx.L)
        for e in set(ents):
            if e not in sums or len(members[e]) - 1 < min_units - 1 or len(members[e]) < 2:
                continue
            others = (sums[e] - base[i]) / (len(members[e]) - 1)  # leave this unit out
            # sharper (more topical) entities count more than ones spread over all labels
            acc += others * (others.max() - 1.0 / ctx.L)
        if acc.sum() > 0:
            active[i] = True
            probs[i] = acc / acc.sum()
    return LFOutput("entity", probs, active)


def run_labeling_functions(ctx: LabelingContext, names: list[str] | None = None) -> list[LFOutput]:
    """Run the named LFs (default: all registered) in a stable order."""
    names = names or list(DEFAULT_WEIGHTS)
    return [LABELING_FUNCTIONS.get(name)(ctx) for name in names]


def combine_probs(outputs: list[LFOutput], weights: dict[str, float] | None = None) -> np.ndarray:
    """Weighted mean of the active LFs' probabilities per unit (uniform where none is active)."""
    weights = weights or DEFAULT_WEIGHTS
    n, L = outputs[0].probs.shape
    total = np.zeros((n, L))
    norm = np.zeros(n)
    for out in outputs:
        w = weights.get(out.name, 1.0) * out.active
        total += w[:, None] * out.probs
        norm += w
    probs = np.full((n, L), 1.0 / L)
    has = norm > 0
    probs[has] = total[has] / norm[has, None]
    return probs


def combine(
    outputs: list[LFOutput], weights: dict[str, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean of the active LFs' probabilities: (best label index, confidence) per unit."""
    probs = combine_probs(outputs, weights)
    return probs.argmax(1), probs.max(1)


def votes_for(outputs: list[LFOutput], i: int, labels: list[str]) -> list[dict]:
    """The votes of the active LFs on unit i, as stored in Example.meta["votes"]."""
    return [
        {
            "source": out.name,
            "label": labels[int(out.probs[i].argmax())],
            "confidence": round(float(out.probs[i].max()), 4),
        }
        for out in outputs
        if out.active[i]
    ]
