"""Classification tasks distantly supervised by the graph: entity typing and relation classification.

Entity typing: a sentence with one mention marked ``<e>…</e>`` → the entity's type (the resolved
entity's type when the mention matches an entity name or alias, else the extractor's label).
Relation classification: a sentence with the subject marked ``<e1>…</e1>`` and the object
``<e2>…</e2>`` → the relation's predicate, from the evidence of typed relations; optionally
co-occurrences as ``no_relation``. Both are balanced per label with a per-label cap.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

from kgsynth.errors import InputError
from kgsynth.types import DatasetVersion, Example, Mention, Provenance, Span, example_id
from synth.graph_view import GraphView
from synth.qa_sampling import Candidate, balanced_sample
from synth.templates import TemplateLibrary
from synth.versions import save

Progress = Callable[[int, int], None] | None
NO_RELATION = "no_relation"


def build_entity_typing(
    ws,
    *,
    n: int = 200,
    per_label: int | None = None,
    per_entity_cap: int = 5,
    min_per_label: int = 2,
    seed: int = 0,
    name: str | None = None,
    progress: Progress = None,
) -> DatasetVersion:
    """Marked mentions → entity type, balanced over types (at most `per_label` each)."""
    by_name = _entities_by_name(ws)
    skipped: Counter = Counter()
    pool = []
    for m in ws.catalog.iter_mentions():
        cand = _mention_candidate(m, by_name, skipped)
        if cand is not None:
            pool.append(cand)
    if not pool:
        raise InputError(
            "no entity mentions in the catalog; ingest documents first (kgsynth ingest)"
        )
    chosen, dropped = _balanced(pool, n, per_label, per_entity_cap, min_per_label, seed)
    library = TemplateLibrary(ws)
    examples = []
    for i, c in enumerate(chosen):
        examples.append(_typing_example(library, c))
        if progress and (i + 1 == len(chosen) or (i + 1) % 100 == 0):
            progress(i + 1, len(chosen))
    stats = {"candidates": len(pool), "skipped": dict(skipped), "labels_dropped": dropped}
    params = {"task": "entity_typing", "n": n, "per_label": per_label, "seed": seed}
    return save(
        ws, examples, stage="synth", name=name or "entity-typing", params=params, stats=stats
    )


def build_relation_classification(
    ws,
    *,
    n: int = 200,
    per_label: int | None = None,
    include_negative: bool = True,
    per_entity_cap: int = 5,
    min_per_label: int = 2,
    seed: int = 0,
    name: str | None = None,
    progress: Progress = None,
) -> DatasetVersion:
    """Sentences with two marked entities → predicate (or ``no_relation``), balanced per label."""
    view = GraphView.load(ws, seed=seed)
    relations = view.typed + (view.cooccurrence if include_negative else [])
    skipped: Counter = Counter()
    pool = [c for r in relations for c in _relation_candidates(view, r, skipped)]
    if not pool:
        raise InputError("no relations with evidence in the graph; ingest documents first")
    chosen, dropped = _balanced(pool, n, per_label, per_entity_cap, min_per_label, seed)
    library = TemplateLibrary(ws)
    examples = []
    for i, c in enumerate(chosen):
        examples.append(_relation_example(library, c))
        if progress and (i + 1 == len(chosen) or (i + 1) % 100 == 0):
            progress(i + 1, len(chosen))
    stats = {"candidates": len(pool), "skipped": dict(skipped), "labels_dropped": dropped}
    params = {
        "task": "relation_cls",
        "n": n,
        "per_label": per_label,
        "include_negative": include_negative,
        "seed": seed,
    }
    return save(ws, examples, stage="synth", name=name or "relations", params=params, stats=stats)


# ---------------------------------------------------------------- shared


def _balanced(pool, n, per_label, per_entity_cap, min_per_label, seed):
    counts = Counter(c.strata["label"] for c in pool)
    dropped = sorted(label for label, k in counts.items() if k < min_per_label)
    pool = [c for c in pool if c.strata["label"] not in dropped]
    labels = len(counts) - len(dropped)
    cap = per_label or (math.ceil(n / labels) if labels else None)
    chosen = balanced_sample(
        pool, n, per_entity_cap=per_entity_cap, seed=seed, primary="label", per_group_cap=cap
    )
    return chosen, dropped


def _entities_by_name(ws) -> dict[str, tuple[str, str]]:
    """Lower-cased names and aliases → (entity id, type)."""
    out: dict[str, tuple[str, str]] = {}
    for e in ws.store.iter_entities():
        for form in [e.name, *e.aliases]:
            out.setdefault(form.lower(), (e.id, e.type))
    return out


# ---------------------------------------------------------------- entity typing


def _mention_candidate(m: Mention, by_name, skipped: Counter) -> Candidate | None:
    rel = m.start - m.sentence_start
    if rel < 0 or m.sentence[rel : rel + len(m.text)] != m.text:
        skipped["mention outside its sentence"] += 1
        return None
    entity_id, label = by_name.get(m.text.lower(), ("", m.type))
    return Candidate(
        key=f"{m.chunk_id}:{m.start}:{m.end}",
        entity_ids=(entity_id or f"text:{m.text.lower()}",),
        strata={"label": label, "lang": m.lang},
        payload={"mention": m, "entity_id": entity_id, "label": label, "rel": rel},
    )


def _typing_example(library: TemplateLibrary, c: Candidate) -> Example:
    m: Mention = c.payload["mention"]
    rel = c.payload["rel"]
    label = c.payload["label"]
    text = library.render(
        "entity_typing",
        m.lang,
        left=m.sentence[:rel],
        mention=m.text,
        right=m.sentence[rel + len(m.text) :],
        type=label,
    )
    sentence_span = Span(
        chunk_id=m.chunk_id, start=m.sentence_start, end=m.sentence_start + len(m.sentence)
    )
    prov = Provenance(
        entity_ids=[c.payload["entity_id"]] if c.payload["entity_id"] else [],
        chunk_ids=[m.chunk_id],
        doc_ids=[m.doc_id],
        spans=[Span(chunk_id=m.chunk_id, start=m.start, end=m.end), sentence_span],
        evidence=[m.sentence],
    )
    return Example(
        id=example_id("entity_typing", text, None, label),
        task="entity_typing",
        input=text,
        label=label,
        lang=m.lang,
        confidence=1.0 if label == m.type else 0.6,
        label_source="weak",
        provenance=prov,
        template_id="entity_typing",
        meta={"mention": m.text, "extractor_type": m.type},
    )


# ---------------------------------------------------------------- relation classification


def _relation_candidates(view: GraphView, r, skipped: Counter) -> list[Candidate]:
    label = r.predicate if r.kind == "relation" else NO_RELATION
    out = []
    for ev in r.evidence[:3]:
        spans = _pair_spans(view, r, ev)
        if spans is None:
            skipped["entities not found in sentence"] += 1
            continue
        s_span, o_span = spans
        if not (s_span[1] <= o_span[0] or o_span[1] <= s_span[0]):
            skipped["overlapping entities"] += 1
            continue
        out.append(
            Candidate(
                key=f"{ev.chunk_id}:{ev.start}:{s_span}:{o_span}",
                entity_ids=(r.source_id, r.target_id),
                strata={"label": label, "type": view.entity(r.source_id).type},
                payload={
                    "relation": r,
                    "evidence": ev,
                    "spans": spans,
                    "label": label,
                    "lang": view.entity(r.source_id).lang or "en",
                },
            )
        )
    return out


def _pair_spans(view: GraphView, r, ev) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """Subject and object spans relative to the evidence sentence (triple first, then names)."""
    t = view.triple(ev.triple_id)
    if t is not None and t.sentence == ev.sentence:
        base = t.sentence_start
        s = (t.subject_span[0] - base, t.subject_span[1] - base)
        o = (t.object_span[0] - base, t.object_span[1] - base)
        if min(s[0], o[0]) >= 0 and max(s[1], o[1]) <= len(ev.sentence):
            return s, o
    s = _find(ev.sentence, view.forms(r.source_id))
    o = _find(ev.sentence, view.forms(r.target_id))
    return (s, o) if s and o else None


def _find(sentence: str, forms: list[str]) -> tuple[int, int] | None:
    for form in sorted(forms, key=len, reverse=True):
        i = sentence.find(form) if form else -1
        if i >= 0:
            return i, i + len(form)
    return None


def _relation_example(library: TemplateLibrary, c: Candidate) -> Example:
    r, ev, label = c.payload["relation"], c.payload["evidence"], c.payload["label"]
    (s0, s1), (o0, o1) = c.payload["spans"]
    sentence = ev.sentence
    marks = sorted([(s0, s1, "e1"), (o0, o1, "e2")])
    parts, cursor = [], 0
    for a, b, tag in marks:
        parts += [{"text": sentence[cursor:a], "tag": ""}, {"text": sentence[a:b], "tag": tag}]
        cursor = b
    parts.append({"text": sentence[cursor:], "tag": ""})
    lang = c.payload["lang"]
    text = library.render("relation_cls", lang, parts=parts)
    prov = Provenance(
        relation_ids=[r.id],
        triple_ids=[ev.triple_id] if ev.triple_id else [],
        entity_ids=[r.source_id, r.target_id],
        chunk_ids=[ev.chunk_id],
        doc_ids=[ev.doc_id],
        spans=[
            Span(chunk_id=ev.chunk_id, start=ev.start, end=ev.end),
            Span(chunk_id=ev.chunk_id, start=ev.start + s0, end=ev.start + s1),
            Span(chunk_id=ev.chunk_id, start=ev.start + o0, end=ev.start + o1),
        ],
        evidence=[sentence],
    )
    return Example(
        id=example_id("relation_cls", text, None, label),
        task="relation_cls",
        input=text,
        label=label,
        lang=lang,
        label_source="weak",
        provenance=prov,
        template_id="relation_cls",
        meta={"relation_kind": r.kind},
    )
