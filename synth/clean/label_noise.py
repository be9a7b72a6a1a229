"""Label noise: flag examples whose label disagrees with a cross-validated classifier.

A logistic regression on MiniLM sentence embeddings is trained k-fold; an example whose label gets a
low out-of-fold probability while another label gets a high one is flagged in meta["label_noise"]
(and dropped when drop=True). Classes are weighted by their inverse frequency, so a rare label's
examples are not flagged only for being rare. Labels a person gave (seeds, gold rows, reviews) train
the classifier but are never flagged.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from kgsynth.types import Example
from synth.clean.base import FILTERS, CleanContext, Filter, Removed
from synth.versions import changed


def out_of_fold_proba(vectors: np.ndarray, labels: list[str], folds: int = 5, seed: int = 0):
    """(classes, probabilities) from k-fold logistic regression; folds shrink to the rarest class."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    classes = sorted(set(labels))
    y = np.array([classes.index(label) for label in labels])
    k = max(2, min(folds, min(Counter(labels).values())))
    proba = np.zeros((len(labels), len(classes)))
    for train, test in StratifiedKFold(k, shuffle=True, random_state=seed).split(vectors, y):
        model = LogisticRegression(max_iter=1000, C=50.0, class_weight="balanced")
        model.fit(vectors[train], y[train])
        proba[np.ix_(test, model.classes_)] = model.predict_proba(vectors[test])
    return classes, proba


@FILTERS.register("label_noise")
class LabelNoise(Filter):
    """Flag (or drop) labeled examples the cross-validated classifier confidently disagrees with."""

    name = "label_noise"

    def __init__(
        self,
        folds: int = 5,
        max_label_prob: float = 0.2,
        min_pred_prob: float = 0.4,
        drop: bool = False,
    ):
        self.folds, self.drop = folds, drop
        self.max_label_prob, self.min_pred_prob = max_label_prob, min_pred_prob

    def apply(self, examples: list[Example], ctx: CleanContext):
        from kgsynth.embeddings import encode_on

        labeled = [i for i, e in enumerate(examples) if e.label is not None]
        counts = Counter(examples[i].label for i in labeled)
        if len(counts) < 2 or min(counts.values()) < 2:
            return list(examples), []
        texts = [examples[i].input for i in labeled]
        vectors = encode_on(getattr(ctx.ws, "engine", None), texts, ctx.progress)
        classes, proba = out_of_fold_proba(
            vectors, [examples[i].label for i in labeled], self.folds
        )
        flagged: dict[int, dict] = {}
        for row, i in enumerate(labeled):
            if examples[i].labeled_by_person:
                continue
            p = proba[row]
            pred = int(p.argmax())
            p_label = float(p[classes.index(examples[i].label)])
            if (
                classes[pred] != examples[i].label
                and p_label <= self.max_label_prob
                and p[pred] >= self.min_pred_prob
            ):
                flagged[i] = {
                    "predicted": classes[pred],
                    "p_pred": round(float(p[pred]), 3),
                    "p_label": round(p_label, 3),
                }
        kept, removed = [], []
        for i, e in enumerate(examples):
            if i not in flagged:
                kept.append(e)
            elif self.drop:
                f = flagged[i]
                removed.append(
                    Removed(
                        e,
                        f"label noise: looks like {f['predicted']} "
                        f"(p={f['p_pred']}), labeled {e.label} (p={f['p_label']})",
                    )
                )
            else:
                kept.append(changed(e, meta={**e.meta, "label_noise": flagged[i]}))
        return kept, removed
