"""Classification sets from a label schema, a few seeds and the unlabeled corpus (issue 7 part 5).

1. Every label is linked to the corpus: its description and seeds are embedded, its keywords listed,
   and graph entities get the labels of the units that mention them (see :mod:`synth.labeling`).
2. Real units (documents or chunks) are labeled weakly by the labeling functions, weighed by their
   accuracy on held-out seeds, with class priors from the pool and self-training rounds
   (:mod:`synth.weak_labels`); each example keeps every vote in ``meta["votes"]``, the combined best
   label and its confidence. A unit that fits no label, or whose label is too uncertain, abstains:
   it is left out and counted (``stats["abstained"]``).
3. Optionally, a generator writes new examples conditioned on a label and sentences from its most
   confident units (``generated_per_label``; off by default).

The seeds are examples too (``label_source="seed"``, confidence 1.0).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kgsynth.config import Options
from kgsynth.errors import InputError
from kgsynth.text import normalize_text
from kgsynth.types import DatasetVersion, Example, Provenance, example_id
from synth.labeling import LABELING_FUNCTIONS, LabelingContext, LFOutput, votes_for
from synth.schema import LabelSchema, coerce_schema
from synth.units import Units, load_units, text_vectors
from synth.versions import save, unique
from synth.weak_labels import label_units

Progress = Callable[[int, int], None] | None


class ClassifyOptions(Options):
    """How a classification set is built: the one home of the defaults the CLI and the app start
    from (their flags and fields override these)."""

    what = "classification set"
    per_label: int = 200  # examples per label
    unit: str = "document"  # a name in UNITS
    selection: str = "spread"  # a name in SELECTIONS
    drop_uncertain: float = 0.1  # with spread: each label's least confident share never used
    generator: str | None = None  # a generator for extra examples (none: only corpus units)
    generated_per_label: int = 0
    seed: int = 0
    min_confidence: float = 0.0
    labeling_functions: list[str] | None = None  # names in LABELING_FUNCTIONS (None: all)
    max_rounds: int = 4  # self-training rounds at most
    min_precision: float = 0.8  # per-label precision below which a unit abstains


def build_classification(
    ws,
    schema: LabelSchema | str | Path,
    options: ClassifyOptions | None = None,
    *,
    name: str | None = None,
    progress: Progress = None,
    exclude_docs: set[str] | None = None,
    labeled: CorpusLabels | None = None,
    **overrides,
) -> DatasetVersion:
    """Build a weakly labeled classification set from the corpus; returns the stored version.

    ``selection="spread"`` (default) drops each label's least confident ``drop_uncertain`` fraction
    of units, then keeps ``per_label`` units evenly spaced over the rest's confidence ranking, so the
    set covers the hard cases near the label boundaries as well as the typical ones.
    ``selection="top"`` keeps the most confident units: higher label accuracy, easier examples.
    Units that abstain (see :mod:`synth.weak_labels`; ``min_precision`` per label) are never used;
    a rare label keeps all its confident units rather than being filled up with doubtful ones.
    ``labeled`` reuses a :func:`label_corpus` result of the same schema, unit and options.
    The settings are `options` (else :class:`ClassifyOptions`' defaults) with `overrides` applied.
    """
    o = ClassifyOptions.build(options, **overrides)
    selection, drop_uncertain, seed = o.selection, o.drop_uncertain, o.seed
    if selection not in SELECTIONS:
        raise InputError(f"selection must be one of {', '.join(SELECTIONS)}, not {selection!r}")
    if not 0.0 <= drop_uncertain < 1.0:
        raise InputError(f"drop_uncertain must be in [0, 1), not {drop_uncertain}")
    schema = coerce_schema(schema)
    step = _Steps(progress, total=3)
    labeled = labeled or label_corpus(
        ws,
        schema,
        unit=o.unit,
        seed=seed,
        exclude_docs=exclude_docs,
        labeling_functions=o.labeling_functions,
        max_rounds=o.max_rounds,
        min_precision=o.min_precision,
    )
    step()
    units, outputs, best, conf = labeled.units, labeled.outputs, labeled.best, labeled.conf
    examples = _seed_examples(schema, labeled.seed_unit, units)
    usable = conf.copy()
    usable[~labeled.keep] = -1.0  # abstained units never pass min_confidence
    candidates = _candidates(best, usable, labeled.seed_unit, len(schema.labels), o.min_confidence)
    chosen = [i for idx in candidates for i in _pick(idx, o.per_label, selection, drop_uncertain)]
    weights = labeled.report.get("lf_weights", {})
    voters = [
        out for out in outputs if weights.get(out.name, 1.0) > 0
    ]  # chance-level LFs stay mute
    examples += [_weak_example(units, voters, schema.names, i, best[i], conf[i]) for i in chosen]
    step()
    if o.generator and o.generated_per_label > 0:
        from synth.classify_generate import generate_examples

        examples += generate_examples(ws, schema, labeled, o.generator, o.generated_per_label, seed)
    version = _save(ws, schema, examples, labeled, _params(o, exclude_docs), name)
    step()
    return version


@dataclass
class CorpusLabels:
    """Every unit of the corpus with its LF outputs and combined label (what build_classification uses)."""

    units: Units
    outputs: list[LFOutput]
    best: np.ndarray  # label index per unit
    conf: np.ndarray  # combined confidence per unit
    seed_unit: dict[int, int]  # unit index -> label index, for seeds found in the corpus
    ctx: LabelingContext
    names: list[str]
    keep: np.ndarray  # False where the unit abstains (fits no label, or too uncertain)
    report: dict  # LF weights, priors, self-training rounds, thresholds, abstentions

    @property
    def labels(self) -> list[str]:
        return [self.names[int(b)] for b in self.best]


def label_corpus(
    ws,
    schema: LabelSchema | str | Path,
    *,
    unit: str = "document",
    seed: int = 0,
    exclude_docs: set[str] | None = None,
    labeling_functions: list[str] | None = None,
    max_rounds: int = 4,
    min_precision: float = 0.8,
) -> CorpusLabels:
    """Weakly label every unit of the workspace's corpus (no dataset is written)."""
    schema = coerce_schema(schema)
    if unit not in UNITS:
        raise InputError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    units = load_units(ws, unit, exclude_docs=exclude_docs or set())
    if not units.ids:
        raise InputError("the workspace has no documents to label; run `kgsynth ingest` first")
    unknown = set(labeling_functions or ()) - set(LABELING_FUNCTIONS.names())
    if unknown:
        valid = ", ".join(LABELING_FUNCTIONS.names())
        raise InputError(f"unknown labeling functions {sorted(unknown)}; valid: {valid}")
    ctx, seed_unit, seed_index = _context(ws, schema, units, seed)
    result = label_units(
        ctx,
        labeling_functions,
        seed_units=seed_index,
        max_rounds=max_rounds,
        min_precision=min_precision,
    )
    best, conf, keep = result.best, result.conf, result.keep.copy()
    for i, j in seed_unit.items():  # a seed's own label is known
        best[i], conf[i], keep[i] = j, 1.0, True
    return CorpusLabels(
        units, result.outputs, best, conf, seed_unit, ctx, schema.names, keep, result.report
    )


def _params(o: ClassifyOptions, exclude_docs: set[str] | None) -> dict:
    """What the version records of how it was built (part of its id)."""
    params = o.model_dump()
    params["labeling_functions"] = o.labeling_functions or LABELING_FUNCTIONS.names()
    params["excluded_docs"] = len(exclude_docs or ())
    return params


class _Steps:
    def __init__(self, progress: Progress, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def __call__(self) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)


def _context(
    ws, schema: LabelSchema, units: Units, seed: int
) -> tuple[LabelingContext, dict[int, int], dict[int, int]]:
    """Embed seeds and label descriptions; map seeds that are corpus units to those units.

    Returns the context, unit index -> label index, and seed index -> unit index.
    """
    seed_texts, seed_labels = [], []
    for j, spec in enumerate(schema.labels):
        for text in spec.seeds:
            seed_texts.append(text)
            seed_labels.append(j)
    by_text = {normalize_text(t): i for i, t in enumerate(units.texts)}
    found = [by_text.get(normalize_text(t)) for t in seed_texts]
    dim = units.vectors.shape[1]
    seed_vectors = np.zeros((len(seed_texts), dim), dtype=np.float32)
    missing = [k for k, i in enumerate(found) if i is None]
    if missing:  # seeds that are not corpus units: embed them like documents
        chunk_chars = ws.config.ingest.chunk_chars
        seed_vectors[missing] = text_vectors(ws, [seed_texts[k] for k in missing], chunk_chars)
        for k in missing:  # a near-identical corpus unit is the same text
            sims = units.vectors @ seed_vectors[k]
            if sims.max() > 0.995:
                found[k] = int(sims.argmax())
    seed_unit: dict[int, int] = {}  # unit index -> label index, for seeds found in the corpus
    seed_index: dict[int, int] = {}  # seed index -> unit index
    for k, i in enumerate(found):
        if i is not None:
            seed_unit[i] = seed_labels[k]
            seed_index[k] = i
            seed_vectors[k] = units.vectors[i]
    descriptions = [
        f"{spec.name}: {spec.description}" if spec.description else spec.name
        for spec in schema.labels
    ]
    label_vectors = text_vectors(ws, descriptions)
    keywords = [
        sorted({k.lower() for k in spec.keywords} | {spec.name.lower().replace("_", " ")})
        for spec in schema.labels
    ]
    ctx = LabelingContext(
        labels=schema.names,
        texts=units.texts,
        vectors=units.vectors,
        seed_vectors=seed_vectors,
        seed_labels=seed_labels,
        label_vectors=label_vectors,
        keywords=keywords,
        unit_entities=units.entities,
        lang=units.lang,
        seed=seed,
        seed_texts=seed_texts,
        label_texts=descriptions,
    )
    return ctx, seed_unit, seed_index


SELECTIONS = ("spread", "top")
UNITS = ("document", "chunk")


def _candidates(
    best: np.ndarray,
    conf: np.ndarray,
    seed_unit: dict[int, int],
    n_labels: int,
    min_confidence: float,
) -> list[list[int]]:
    """Per label, its units (seeds excluded) at `min_confidence` or more, most confident first."""
    out = []
    for j in range(n_labels):
        idx = [int(i) for i in np.flatnonzero(best == j) if i not in seed_unit]
        idx = [i for i in idx if conf[i] >= min_confidence]
        idx.sort(key=lambda i: (-conf[i], i))
        out.append(idx)
    return out


def _pick(ranked: list[int], n: int, selection: str, drop_uncertain: float) -> list[int]:
    """`n` of one label's ranked units: the first n ("top") or n spread over the kept ranks."""
    if selection == "top":
        return ranked[:n]
    kept = ranked[: max(1, math.ceil(len(ranked) * (1.0 - drop_uncertain)))]
    if len(kept) <= n:
        return kept
    return [kept[(m * len(kept)) // n] for m in range(n)]


def _seed_examples(schema: LabelSchema, seed_unit: dict[int, int], units: Units) -> list[Example]:
    by_text = {normalize_text(units.texts[i]): i for i in seed_unit}
    out = []
    for spec in schema.labels:
        for text in spec.seeds:
            i = by_text.get(normalize_text(text))
            prov = Provenance()
            if i is not None:
                prov = Provenance(chunk_ids=units.chunk_ids[i], doc_ids=[units.doc_ids[i]])
            out.append(
                Example(
                    id=example_id("classify", text, None, spec.name),
                    task="classify",
                    input=text,
                    label=spec.name,
                    lang=units.lang,
                    confidence=1.0,
                    label_source="seed",
                    provenance=prov,
                    meta={"votes": [{"source": "seed", "label": spec.name, "confidence": 1.0}]},
                )
            )
    return out


def unit_examples(labeled: CorpusLabels, indices: list[int]) -> list[Example]:
    """Weakly labeled examples of some units of a labeled corpus, made as the builder makes them
    (used by targeted synthesis, synth/targeted.py)."""
    weights = labeled.report.get("lf_weights", {})
    voters = [out for out in labeled.outputs if weights.get(out.name, 1.0) > 0]
    return [
        _weak_example(labeled.units, voters, labeled.names, i, labeled.best[i], labeled.conf[i])
        for i in indices
    ]


def _weak_example(units: Units, outputs, labels: list[str], i: int, best, conf) -> Example:
    label = labels[int(best)]
    text = units.texts[i]
    return Example(
        id=example_id("classify", text, None, label),
        task="classify",
        input=text,
        label=label,
        lang=units.lang,
        confidence=round(float(conf), 4),
        label_source="weak",
        provenance=Provenance(
            chunk_ids=units.chunk_ids[i],
            doc_ids=[units.doc_ids[i]],
            entity_ids=sorted(set(units.entities[i]))[:20] if units.entities else [],
        ),
        meta={
            "votes": [
                *votes_for(outputs, i, labels),
                {"source": "combined", "label": label, "confidence": round(float(conf), 4)},
            ],
            "unit_id": units.ids[i],
        },
    )


def estimated_precision(examples: list[Example]) -> dict[str, float]:
    """Per label, the mean calibrated confidence of its weak examples: the share expected right."""
    by_label: dict[str, list[float]] = {}
    for e in examples:
        if e.label_source == "weak" and e.label:
            by_label.setdefault(e.label, []).append(e.confidence)
    return {label: round(sum(c) / len(c), 3) for label, c in sorted(by_label.items())}


def _save(ws, schema, examples, labeled: CorpusLabels, params, name) -> DatasetVersion:
    kept = unique(examples)
    units = labeled.units
    stats = {
        "units": len(units.ids),
        "lf_coverage": {out.name: round(float(out.active.mean()), 4) for out in labeled.outputs},
        "sources": {s: sum(e.label_source == s for e in kept) for s in ("seed", "weak", "model")},
        "entities_linked": bool(units.entities and any(units.entities)),
        "abstained": labeled.report.get("abstained", {}),
        "labeling": {k: v for k, v in labeled.report.items() if k != "abstained"},
        "estimated_precision": estimated_precision(kept),
    }
    return save(
        ws,
        kept,
        name=name or f"classify-{(schema.task or 'labels').replace(' ', '-')}",
        stage="synth",
        params={**params, "schema": schema.model_dump()},
        stats=stats,
    )
