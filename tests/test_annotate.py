"""Weak-label combination on real BBC sentences with simulated voters of known accuracy."""

from __future__ import annotations

import random

import pytest

from kgsynth.errors import ConfigError
from kgsynth.types import DatasetVersion, Example, example_id
from kgsynth.workspace import Workspace
from synth.annotate import agreement, annotate
from tests.test_clean import _unique_sentences

LABELS = ["business", "entertainment", "politics", "sports", "tech"]
ACCURACY = {"good": 0.9, "fair": 0.7, "noisy": 0.35}


def voted_examples(n: int = 100, seed: int = 0) -> tuple[list[Example], dict[str, str]]:
    """Examples with votes from three sources; returns the true label per example id."""
    rng = random.Random(seed)
    out, truth = [], {}
    for text, label in _unique_sentences(3, limit=n):
        votes = []
        for source, acc in ACCURACY.items():
            lab = label if rng.random() < acc else rng.choice([x for x in LABELS if x != label])
            votes.append({"source": source, "label": lab, "confidence": 1.0})
        e = Example(
            id=example_id("classify", text, None, None),
            task="classify",
            input=text,
            label=None,
            label_source="weak",
            meta={"votes": votes},
        )
        out.append(e)
        truth[e.id] = label
    return out, truth


@pytest.fixture
def ws(tmp_path):
    with Workspace(tmp_path / "ws") as w:
        yield w


@pytest.fixture
def voted(ws):
    examples, truth = voted_examples()
    ws.catalog.save_dataset(DatasetVersion(id="ds_votes", name="news", stage="synth"), examples)
    return examples, truth


def _accuracy(ws, version, truth) -> float:
    examples = ws.catalog.examples(version.id)
    return sum(truth.get(e.meta.get("prev_id", e.id)) == e.label for e in examples) / len(examples)


def test_majority_and_label_model(ws, voted):
    examples, truth = voted
    maj = annotate(ws, "ds_votes", method="majority")
    lm = annotate(ws, "ds_votes", method="label_model")
    assert maj.stage == lm.stage == "annotate" and maj.parents == ["ds_votes"]
    assert maj.id != lm.id and maj.count == lm.count == len(examples)
    acc_maj, acc_lm = _accuracy(ws, maj, truth), _accuracy(ws, lm, truth)
    assert acc_lm >= 0.8 and acc_lm >= acc_maj - 0.02
    est = lm.stats["agreement"]["sources"]
    assert est["good"]["accuracy"] > est["fair"]["accuracy"] > est["noisy"]["accuracy"]
    annotated = ws.catalog.examples(lm.id)
    assert all(0 < e.confidence <= 1 and e.label_source == "weak" for e in annotated)
    assert all(e.meta["annotation"]["method"] == "label_model" for e in annotated)
    # the input version is untouched
    assert all(e.label is None for e in ws.catalog.examples("ds_votes"))


def test_agreement_statistics(ws, voted):
    stats = agreement(ws, "ds_votes")
    assert stats["with_votes"] == stats["examples"] == 100
    src = stats["sources"]
    assert src["good"]["coverage"] == 1.0
    assert src["good"]["agreement"] > src["noisy"]["agreement"]
    assert set(stats["pairwise"]) == {"fair|good", "fair|noisy", "good|noisy"}
    assert 0 < stats["unanimous"] < 1


def test_unknown_method(ws, voted):
    with pytest.raises(ConfigError, match="label_model"):
        annotate(ws, "ds_votes", method="snorkel")
