"""Targeted synthesis for `kgsynth improve`: examples aimed at where a trained model is weak.

Classification: the corpus units nearest (MiniLM cosine) to the rows the model got wrong, among the
units whose weak label is one of the two labels it confused, kept to the version's own confidence
bar and never a document the version already uses or a held-out text. The budget is split over the
confusion pairs by how often each occurs; without labels, over the labels of the rows the model is
unsure of. QA: pairs about the entities and relations of the questions the model missed (restricted
builds, synth.qa), split over its weakest QA types. Every new example says why it was added
(``meta["improve"]``, and the version's ``stats["improve"]["why"]`` by example id: an example that
another version stored first keeps that version's meta), and the result is a new version derived
from the old one.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from kgsynth.errors import InputError
from kgsynth.text import normalize_text
from kgsynth.types import DatasetVersion, Example, Weakness
from synth.versions import changed, derive, lineage, load

CONFIDENCE_FLOOR = 0.1  # quantile of the version's own weak-label confidences a new unit must reach


def build_targeted(
    ws,
    version: str | DatasetVersion,
    weakness: Weakness,
    budget: int,
    *,
    exclude_texts: list[str] | tuple = (),
    name: str | None = None,
    labeled=None,
) -> DatasetVersion:
    """The version plus up to `budget` examples aimed at `weakness` (see the module doc)."""
    base, examples = load(ws, version)
    if budget <= 0:
        raise InputError(f"budget must be positive, not {budget}")
    if not weakness.misses:
        raise InputError(f"the model of {weakness.run} made no mistake on {weakness.data}")
    build = _build_version(ws, base)
    if "schema" in build.params:
        added = _classification(ws, build, examples, weakness, budget, exclude_texts, labeled)
    elif "types" in build.params:
        added = _qa(ws, build, weakness, budget, name or base.name)
    else:
        raise InputError(f"{base.name} was not built by synth qa or synth classify")
    reasons = Counter(e.meta["improve"]["why"].split(":")[0] for e in added)
    params = {"run": weakness.run, "data": weakness.data, "budget": budget}
    stats = {
        "improve": {
            "added": len(added),
            "reasons": dict(reasons),
            "score_before": weakness.score,
            "weak_groups": weakness.weak_groups[:5],
            "confusions": weakness.confusions[:5],
            # why each was added, here too: an example another version stored first keeps its meta
            "why": {e.id: e.meta["improve"] for e in added},
        }
    }
    return derive(
        ws, base, examples + added, stage="improve", params=params, stats=stats, name=name
    )


def _build_version(ws, version: DatasetVersion) -> DatasetVersion:
    for v in lineage(ws, version):
        if v.stage == "synth":
            return v
        if v.stage == "update":
            return v.model_copy(update={"params": v.params["build"]["params"]})
    raise InputError(f"{version.name} ({version.id}) has no synth step in its lineage")


# ---------------------------------------------------------------- classification


def _classification(ws, build, examples, weakness: Weakness, budget, exclude_texts, labeled):
    from synth.classify import label_corpus, unit_examples
    from synth.schema import LabelSchema
    from synth.units import text_vectors

    p = build.params
    schema = LabelSchema.model_validate(p["schema"])
    if labeled is None:
        held_out = {normalize_text(t) for t in exclude_texts}
        excluded = {d.id for d in ws.catalog.iter_documents() if normalize_text(d.text) in held_out}
        options = ("unit", "seed", "labeling_functions", "max_rounds", "min_precision")
        labeled = label_corpus(
            ws, schema, exclude_docs=excluded, **{k: p[k] for k in options if k in p}
        )
    units = labeled.units
    used = {d for e in examples for d in e.provenance.doc_ids}
    mine = [labeled.conf[i] for i, d in enumerate(units.doc_ids) if d in used]
    floor = float(np.quantile(mine, CONFIDENCE_FLOOR)) if mine else 0.0  # the set's own bar
    names = labeled.names
    open_units = [
        i
        for i in range(len(units.ids))
        if labeled.keep[i]
        and i not in labeled.seed_unit
        and units.doc_ids[i] not in used
        and labeled.conf[i] >= floor
    ]
    if not open_units:
        raise InputError(
            "no unused, confidently labeled units are left in the corpus: the set already uses"
            " every document it could add; ingest more documents"
        )
    by_doc = {d: i for i, d in enumerate(units.doc_ids)}
    vectors = []
    texts = []
    for m in weakness.misses:
        doc = _doc_of(ws, m)
        if doc in by_doc:
            vectors.append(units.vectors[by_doc[doc]])
        else:
            vectors.append(None)
            texts.append(m.text)
    if texts:
        embedded = iter(text_vectors(ws, texts, ws.config.ingest.chunk_chars))
        vectors = [v if v is not None else next(embedded) for v in vectors]
    groups = _groups(weakness)
    shares = _shares({g: len(idx) for g, idx in groups.items()}, budget)
    chosen: dict[int, dict[str, Any]] = {}
    candidates = np.array(open_units)
    for group, want in shares.items():
        labels = {names.index(x) for x in group if x in names}
        pool = [i for i in candidates if labeled.best[i] in labels and i not in chosen]
        if not pool or want <= 0:
            continue
        miss_vecs = np.array([vectors[k] for k in groups[group]])
        sims = units.vectors[pool] @ miss_vecs.T  # unit vectors are normalised
        best = sims.max(axis=1)
        nearest = sims.argmax(axis=1)
        for j in np.argsort(-best)[:want]:
            miss = weakness.misses[groups[group][int(nearest[j])]]
            chosen[int(pool[j])] = {
                "run": weakness.run,
                "why": _why(group, weakness.labeled),
                "miss": miss.example_id or miss.text[:120],
                "similarity": round(float(best[j]), 4),
            }
    added = unit_examples(labeled, list(chosen))
    for e, why in zip(added, chosen.values(), strict=True):
        e.meta["improve"] = why
    return added


def _doc_of(ws, miss) -> str | None:
    if miss.doc_ids:
        return miss.doc_ids[0]
    if miss.example_id:
        e = ws.catalog.example(miss.example_id)
        if e is not None and e.provenance.doc_ids:
            return e.provenance.doc_ids[0]
    return None


def _groups(weakness: Weakness) -> dict[tuple[str, ...], list[int]]:
    """Miss indices per confusion pair (gold, predicted); without labels, per predicted label."""
    out: dict[tuple[str, ...], list[int]] = {}
    for k, m in enumerate(weakness.misses):
        key = (m.gold, m.predicted) if m.gold is not None else (m.predicted,)
        out.setdefault(key, []).append(k)
    return out


def _shares(counts: dict, budget: int) -> dict:
    """`budget` split in proportion to `counts` (largest remainders; every group gets its turn)."""
    total = sum(counts.values())
    raw = {g: budget * n / total for g, n in counts.items()}
    out = {g: int(r) for g, r in raw.items()}
    for g in sorted(raw, key=lambda g: -(raw[g] - out[g]))[: budget - sum(out.values())]:
        out[g] += 1
    return out


def _why(group: tuple[str, ...], labeled: bool) -> str:
    if labeled:
        return (
            f"confused {group[0]} -> {group[1]}: near a {group[0]} row the model called {group[1]}"
        )
    return f"unsure {group[0]}: near a row whose sampled predictions disagree"


# ---------------------------------------------------------------- QA


def _qa(ws, build, weakness: Weakness, budget: int, name: str) -> list[Example]:
    from synth.coverage import focus_on
    from synth.graph_view import Focus
    from synth.qa import build_qa

    relations: set[str] = set()
    entities: set[str] = set()
    chunks: set[str] = set()
    for m in weakness.misses:
        found = ws.catalog.example(m.example_id) if m.example_id else None
        if found is not None:
            relations |= set(found.provenance.relation_ids)
            entities |= set(found.provenance.entity_ids)
            chunks |= set(found.provenance.chunk_ids)
        else:  # a human question: the graph entities its answer or question names
            entities |= _named_entities(ws, m.gold or "") | _named_entities(ws, m.text)
        relations |= set(m.relation_ids)
        entities |= set(m.entity_ids)
        chunks |= set(m.chunk_ids)
    if not (relations or entities or chunks):
        raise InputError("the missed questions name nothing the graph knows")
    around = focus_on(ws, sorted(entities)) if entities else Focus()
    focus = Focus(
        relation_ids=frozenset(relations | around.relation_ids),
        chunk_ids=frozenset(chunks | around.chunk_ids),
    )
    keep = ("types", "generator", "lang", "per_entity_cap", "seed")
    settings = {k: build.params[k] for k in keep if k in build.params}
    version = build_qa(ws, **settings, n=budget, restrict=focus, name=f"{name}+targeted")
    _, made = load(ws, version)
    why = f"missed questions: about {len(entities)} entities and {len(relations)} facts"
    return [
        changed(e, meta={**e.meta, "improve": {"run": weakness.run, "why": why}})
        for e in made[:budget]
    ]


def _named_entities(ws, text: str) -> set[str]:
    """Graph entities named in `text`: the whole text, or one of its capitalised word runs, is
    an entity's name or alias."""
    import re

    spans = [text.strip()] + re.findall(r"[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*)*", text)
    out: set[str] = set()
    for span in dict.fromkeys(s for s in spans if s):
        for e in ws.store.search(span, limit=3):
            if span.lower() in {e.name.lower(), *(a.lower() for a in e.aliases)}:
                out.add(e.id)
    return out
