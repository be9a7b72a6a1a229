"""Semi-automatic annotation: combine weak labels from several sources into one label per example.

Votes come in ``Example.meta["votes"] = [{"source", "label", "confidence"}, ...]``. Two methods:
``majority`` (confidence-weighted vote) and ``label_model`` (a one-coin Dawid–Skene model: each
source's accuracy is estimated by EM, and votes are weighted by it). Reviewed labels always win.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

from kgsynth.errors import ConfigError
from kgsynth.types import DatasetVersion, Example
from synth.versions import changed, derive, load

METHODS = ("majority", "label_model")


def votes_of(e: Example) -> list[dict[str, Any]]:
    return [v for v in e.meta.get("votes", []) if v.get("label") is not None]


def majority(examples: list[Example]) -> list[dict[str, float]]:
    """Per example, label -> share of the confidence-weighted vote."""
    out = []
    for e in examples:
        scores: dict[str, float] = defaultdict(float)
        for v in votes_of(e):
            scores[v["label"]] += float(v.get("confidence", 1.0))
        total = sum(scores.values())
        out.append({k: s / total for k, s in scores.items()} if total else {})
    return out


def label_model(
    examples: list[Example], iterations: int = 30
) -> tuple[list[dict[str, float]], dict[str, float]]:
    """(posteriors per example, accuracy per source) from a one-coin Dawid–Skene EM."""
    labels = sorted({v["label"] for e in examples for v in votes_of(e)})
    k = max(len(labels), 2)
    sources = sorted({v["source"] for e in examples for v in votes_of(e)})
    acc = dict.fromkeys(sources, 0.7)
    post = majority(examples)
    for _ in range(iterations):
        # M step: a source's accuracy is the expected share of its votes that are right
        hits: dict[str, float] = defaultdict(float)
        seen: dict[str, float] = defaultdict(float)
        for e, p in zip(examples, post, strict=True):
            for v in votes_of(e):
                hits[v["source"]] += p.get(v["label"], 0.0)
                seen[v["source"]] += 1
        acc = {s: min(0.99, max(0.01, (hits[s] + 1) / (seen[s] + 2))) for s in sources}
        # E step: posterior over labels given the votes and the accuracies
        post = []
        for e in examples:
            logp = dict.fromkeys(labels, 0.0)
            for v in votes_of(e):
                a = acc[v["source"]]
                for label in labels:
                    logp[label] += math.log(a if label == v["label"] else (1 - a) / (k - 1))
            if not votes_of(e):
                post.append({})
                continue
            top = max(logp.values())
            z = sum(math.exp(x - top) for x in logp.values())
            post.append({label: math.exp(x - top) / z for label, x in logp.items()})
    return post, acc


def combine(
    examples: list[Example], method: str = "majority"
) -> tuple[list[dict[str, float]], dict[str, float]]:
    """(label distribution per example, accuracy per source; empty for majority)."""
    if method not in METHODS:
        raise ConfigError(f"unknown annotation method {method!r}; valid: {', '.join(METHODS)}")
    if method == "majority":
        return majority(examples), {}
    return label_model(examples)


def annotate(
    ws,
    version: str | DatasetVersion,
    *,
    method: str = "majority",
    name: str | None = None,
    progress=None,
) -> DatasetVersion:
    """Give every voted example its combined label and confidence; write an "annotate" version."""
    parent, examples = load(ws, version)
    dists, accuracy = combine(examples, method)
    reviewed = latest_reviews(ws, [e.id for e in examples])
    out = []
    for n, (e, dist) in enumerate(zip(examples, dists, strict=True)):
        if e.labeled_by_person or e.id in reviewed or not dist:
            out.append(e)  # reviewed labels take precedence; no votes leaves the example as is
        else:
            label = max(sorted(dist), key=lambda x: dist[x])
            meta = {
                **e.meta,
                "annotation": {
                    "method": method,
                    "distribution": {k: round(v, 4) for k, v in dist.items()},
                },
            }
            out.append(
                changed(
                    e, label=label, confidence=round(dist[label], 4), label_source="weak", meta=meta
                )
            )
        if progress:
            progress(n + 1, len(examples))
    stats = {"agreement": agreement_stats(examples, dists, accuracy)}
    return derive(
        ws, parent, out, stage="annotate", params={"method": method}, stats=stats, name=name
    )


def latest_reviews(ws, example_ids: list[str]) -> dict:
    """example id -> its latest review decision."""
    return {d.example_id: d for d in ws.catalog.reviews(example_ids)}


def agreement_stats(
    examples: list[Example], dists: list[dict[str, float]], accuracy: dict[str, float]
) -> dict[str, Any]:
    """Per source: coverage, agreement with the combined label, estimated accuracy; and overall."""
    final = [max(sorted(d), key=lambda x: d[x]) if d else None for d in dists]
    per: dict[str, Counter] = defaultdict(Counter)
    pair: dict[tuple[str, str], Counter] = defaultdict(Counter)
    unanimous = voted = 0
    for e, label in zip(examples, final, strict=True):
        vs = votes_of(e)
        if not vs:
            continue
        voted += 1
        unanimous += len({v["label"] for v in vs}) == 1
        by_source = {v["source"]: v["label"] for v in vs}
        for s, lab in by_source.items():
            per[s]["votes"] += 1
            per[s]["agree"] += lab == label
        names = sorted(by_source)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                pair[(a, b)]["both"] += 1
                pair[(a, b)]["agree"] += by_source[a] == by_source[b]
    n = len(examples) or 1
    sources = {
        s: {
            "coverage": round(c["votes"] / n, 4),
            "agreement": round(c["agree"] / c["votes"], 4) if c["votes"] else 0.0,
            **({"accuracy": round(accuracy[s], 4)} if s in accuracy else {}),
        }
        for s, c in sorted(per.items())
    }
    pairs = {f"{a}|{b}": round(c["agree"] / c["both"], 4) for (a, b), c in sorted(pair.items())}
    return {
        "examples": len(examples),
        "with_votes": voted,
        "unanimous": round(unanimous / voted, 4) if voted else 0.0,
        "sources": sources,
        "pairwise": pairs,
    }


def agreement(ws, version: str | DatasetVersion, method: str = "majority") -> dict[str, Any]:
    """Agreement statistics of a version's votes (per source, pairwise, unanimity)."""
    _, examples = load(ws, version)
    dists, accuracy = combine(examples, method)
    return agreement_stats(examples, dists, accuracy)
