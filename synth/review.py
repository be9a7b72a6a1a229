"""Human review: a queue ordered by uncertainty, decisions stored with who and when, and a new
version where reviewed labels take precedence and the rest are re-scored (active learning).

Decisions never overwrite anything: each is a new row in the catalog, the reviewed example stays as it
was in its version, and ``apply_reviews`` writes a new version with the latest decision per example.
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Callable
from typing import Any

from kgsynth.errors import InputError
from kgsynth.ids import content_id
from kgsynth.types import DatasetVersion, Example, ReviewDecision, utcnow
from synth.versions import changed, derive, lineage, load

ACTIONS = ("accept", "reject", "relabel", "edit")
Progress = Callable[[int, int], None] | None


def labels_of(ws, version: str | DatasetVersion) -> list[str]:
    """The labels a reviewer may give: the label schema's (from the version's lineage), else those
    the version's examples carry; empty for a set without labels (QA)."""
    v = version if isinstance(version, DatasetVersion) else ws.catalog.dataset(version)
    for ancestor in lineage(ws, v):
        schema = ancestor.params.get("schema")
        if isinstance(schema, dict) and schema.get("labels"):
            return [spec["name"] for spec in schema["labels"] if spec.get("name")]
    return sorted({e.label for e in load(ws, v)[1] if e.label})


def check_label(label: str | None, labels: list[str]) -> str:
    """`label` if it is one of `labels`; else a one-line error that lists them."""
    if not labels:
        raise InputError("the examples of this version have no labels; use edit to change them")
    if not label:
        raise InputError(f"relabel needs a label: one of {', '.join(labels)}")
    if label not in labels:
        close = difflib.get_close_matches(label, labels, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise InputError(f"unknown label {label!r}; {hint}choose one of {', '.join(labels)}")
    return label


def uncertainty(e: Example) -> tuple[float, float]:
    """Sort key, most uncertain first: confidence, then the margin between the two top labels."""
    dist = sorted(e.meta.get("annotation", {}).get("distribution", {}).values(), reverse=True)
    margin = dist[0] - dist[1] if len(dist) > 1 else (dist[0] if dist else 1.0)
    return (e.confidence, margin)


def queue(ws, version: str | DatasetVersion, limit: int = 50) -> list[Example]:
    """Unreviewed examples of a version, most uncertain first."""
    _, examples = load(ws, version)
    return sorted(_unreviewed(ws, examples), key=uncertainty)[:limit]


def progress_of(ws, version: str | DatasetVersion) -> tuple[int, int]:
    """(examples already reviewed, by anyone, in any session; all examples) of a version."""
    _, examples = load(ws, version)
    return len(examples) - len(_unreviewed(ws, examples)), len(examples)


def _unreviewed(ws, examples: list[Example]) -> list[Example]:
    done = {d.example_id for d in ws.catalog.reviews([e.id for e in examples])}
    return [e for e in examples if e.id not in done and e.label_source != "review"]


def decide(
    ws,
    version: str | DatasetVersion,
    example_id: str,
    action: str,
    *,
    label: str | None = None,
    input: str | None = None,
    output: str | None = None,
    reviewer: str = "anonymous",
) -> ReviewDecision:
    """Record one decision (accept / reject / relabel / edit) on an example of a version."""
    v = version if isinstance(version, DatasetVersion) else ws.catalog.dataset(version)
    if action not in ACTIONS:
        raise InputError(f"unknown review action {action!r}; use one of {', '.join(ACTIONS)}")
    if action == "relabel" or label is not None:
        check_label(label, labels_of(ws, v))
    if action == "edit" and input is None and output is None and label is None:
        raise InputError("edit needs a new input, output or label")
    ids = {e.id for e in ws.catalog.examples(v.id)}
    if example_id not in ids:
        raise InputError(f"example {example_id} is not in dataset version {v.id}")
    now = utcnow()
    decision = ReviewDecision(
        id=content_id(example_id, v.id, action, reviewer, now, uuid.uuid4().hex, prefix="rv_"),
        example_id=example_id,
        version_id=v.id,
        action=action,
        label=label,
        input=input,
        output=output,
        reviewer=reviewer,
        created_at=now,
    )
    ws.catalog.save_review(decision)
    return decision


def _reviewed(e: Example, d: ReviewDecision) -> Example:
    meta = {
        **e.meta,
        "review": {
            "id": d.id,
            "action": d.action,
            "reviewer": d.reviewer,
            "at": d.created_at,
            "original_label": e.label,
        },
    }
    update: dict[str, Any] = {"label_source": "review", "confidence": 1.0, "meta": meta}
    if d.label is not None:
        update["label"] = d.label
    if d.action == "edit":
        if d.input is not None:
            update["input"] = d.input
        if d.output is not None:
            update["output"] = d.output
        update["parent_id"] = e.id
    return changed(e, **update)


def apply_reviews(
    ws,
    version: str | DatasetVersion,
    *,
    rescore: bool = True,
    name: str | None = None,
    progress: Progress = None,
) -> DatasetVersion:
    """A new "review" version: the latest decision per example applied, rejects dropped, and
    (rescore=True) the unreviewed examples re-scored by a model trained on the reviewed ones;
    `progress` follows the re-scoring (embedding every labeled example takes a while). A decision
    whose label is not one of the version's labels (made before labels were checked) is ignored."""
    parent, examples = load(ws, version)
    labels = set(labels_of(ws, parent))
    latest = {d.example_id: d for d in ws.catalog.reviews([e.id for e in examples])}
    ignored = {i for i, d in latest.items() if d.label is not None and d.label not in labels}
    latest = {i: d for i, d in latest.items() if i not in ignored}
    out = []
    for e in examples:
        d = latest.get(e.id)
        if d is None:
            out.append(e)
        elif d.action != "reject":
            out.append(_reviewed(e, d))
    counts = {a: sum(d.action == a for d in latest.values()) for a in ACTIONS}
    rescored = 0
    if rescore:
        out, rescored = rescore_examples(out, progress=progress)
    return derive(
        ws,
        parent,
        out,
        stage="review",
        params={"rescore": rescore},
        stats={"reviews": counts, "rescored": rescored, "ignored_decisions": len(ignored)},
        name=name,
    )


def rescore_examples(
    examples: list[Example], min_confidence: float = 0.9, progress: Progress = None
) -> tuple[list[Example], int]:
    """Train a logistic regression on MiniLM embeddings of reviewed and confident examples; blend
    its probability of each other example's label into that example's confidence."""
    from sklearn.linear_model import LogisticRegression

    from kgsynth.embeddings import shared_embedder

    labeled = [i for i, e in enumerate(examples) if e.label is not None]
    train = [
        i
        for i in labeled
        if examples[i].label_source == "review" or examples[i].confidence >= min_confidence
    ]
    rest = [i for i in labeled if i not in set(train)]
    classes = sorted({examples[i].label for i in train})
    if len(classes) < 2 or not rest:
        return examples, 0
    vectors = shared_embedder().encode([examples[i].input for i in train + rest], progress)
    y = [classes.index(examples[i].label) for i in train]
    model = LogisticRegression(max_iter=1000, C=50.0).fit(vectors[: len(train)], y)
    proba = model.predict_proba(vectors[len(train) :])
    out = list(examples)
    for row, i in enumerate(rest):
        e = examples[i]
        p = dict(zip([classes[c] for c in model.classes_], proba[row], strict=True))
        p_label = float(p.get(e.label, 0.0))
        best = max(p, key=p.get)
        meta = {
            **e.meta,
            "rescore": {
                "model_label": best,
                "p_model": round(float(p[best]), 4),
                "p_label": round(p_label, 4),
                "trained_on": len(train),
            },
        }
        conf = round(0.5 * e.confidence + 0.5 * p_label, 4)
        out[i] = changed(e, confidence=conf, meta=meta)
    return out, len(rest)
