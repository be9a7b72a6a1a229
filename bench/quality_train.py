"""The one classifier every arm of the quality benchmark trains, with the same hyper-parameters.

``finetune``: H6's MiniLM sequence classifier (finetune.classifier.train_classifier), fixed epochs
and no early stopping, at least ``min_steps`` optimizer steps. ``logreg``: a logistic regression on
MiniLM sentence embeddings, a fast proxy for development only. Both weigh labels as the product's
trainer does by default (``class_weight="balanced"``; ``"none"`` for the plain loss).
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from finetune.classifier import TrainConfig as ClassifierConfig

CLASS_WEIGHT = ClassifierConfig().class_weight  # the product trainer's default, in every arm


@dataclass
class TrainConfig:
    classifier: str = "finetune"
    device: str = "cpu"
    epochs: int = 3
    min_steps: int = 40
    max_length: int = 128
    batch_size: int = 16
    lr: float = 5e-5
    class_weight: str = CLASS_WEIGHT

    def epochs_for(self, n: int) -> int:
        """The fixed epochs, raised so that tiny training sets still get `min_steps` steps."""
        steps_per_epoch = max(1, math.ceil(n / self.batch_size))
        return max(self.epochs, math.ceil(self.min_steps / steps_per_epoch))


def train_and_score(
    rows: list[tuple[str, str]], test: list[tuple[str, str]], out: Path, cfg: TrainConfig, seed: int
) -> dict:
    """Train on `rows`, score on `test`: macro-F1, accuracy, epochs and training seconds."""
    started = time.perf_counter()
    if cfg.classifier == "logreg":
        score = _logreg(rows, test, seed, cfg.class_weight)
    else:
        score = _finetune(rows, test, out, cfg, seed)
    return score | {"train_seconds": round(time.perf_counter() - started, 1)}


def _finetune(rows, test, out: Path, cfg: TrainConfig, seed: int) -> dict:
    import torch

    from finetune.classifier import train_classifier
    from finetune.data import ClassificationData

    epochs = cfg.epochs_for(len(rows))
    # No dev set (none exists with k seeds): every arm trains the same fixed schedule and the last
    # epoch is the model that is scored.
    data = ClassificationData(train=list(rows), dev=[], test=list(test), source="bench")
    # Off the CPU, tensors and the model are made on the device (a device context costs a
    # Python-level dispatch per op, so the CPU runs without one).
    on_device = contextlib.nullcontext() if cfg.device == "cpu" else torch.device(cfg.device)
    with on_device:
        result = _train(train_classifier, data, out, cfg, epochs, seed)
    return {
        "macro_f1": result.test["macro_f1"],
        "accuracy": result.test["accuracy"],
        "epochs": epochs,
    }


def _train(train_classifier, data, out: Path, cfg: TrainConfig, epochs: int, seed: int):
    import inspect

    extra = (
        {"device": cfg.device} if "device" in inspect.signature(train_classifier).parameters else {}
    )
    return train_classifier(
        data,
        out,
        max_length=cfg.max_length,
        epochs=epochs,
        lr=cfg.lr,
        batch_size=cfg.batch_size,
        seed=seed,
        patience=epochs + 1,
        resume=False,
        class_weight=cfg.class_weight,
        **extra,
    )


_VECTORS: dict[str, np.ndarray] = {}


def _embed(texts: list[str]) -> np.ndarray:
    from kgsynth.embeddings import shared_embedder

    todo = [t for t in dict.fromkeys(texts) if t not in _VECTORS]
    if todo:
        _VECTORS.update(zip(todo, shared_embedder().encode(todo), strict=True))
    return np.array([_VECTORS[t] for t in texts])


def _logreg(rows, test, seed: int, class_weight: str) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    x, y = _embed([t for t, _ in rows]), [lab for _, lab in rows]
    weighting = "balanced" if class_weight == "balanced" else None
    clf = LogisticRegression(C=10.0, max_iter=1000, random_state=seed, class_weight=weighting)
    clf.fit(x, y)
    pred = clf.predict(_embed([t for t, _ in test]))
    gold = [lab for _, lab in test]
    return {
        "macro_f1": round(float(f1_score(gold, pred, average="macro", zero_division=0)), 5),
        "accuracy": round(float(accuracy_score(gold, pred)), 5),
        "epochs": 0,
    }
