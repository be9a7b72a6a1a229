"""Suggested one-line label descriptions from the seeds, for the expert to edit.

A label name alone ("acq", "pos", "C2") tells the labeling functions little; a description helps the
zero-shot LF and every reader of the schema. From each label's seeds this suggests the words that set
them apart (frequent in that label's seeds, rare in the other labels' seeds and in the corpus) and
the graph entities its seeds mention that the other labels' seeds do not.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

from kgsynth.errors import KgsynthError
from kgsynth.text import normalize_text, words
from synth.schema import LabelSchema, coerce_schema


def suggest_descriptions(
    ws, schema: LabelSchema | str | Path, *, terms: int = 6, entities: int = 3
) -> dict[str, str]:
    """label name -> suggested description (distinctive seed words; entities the seeds mention)."""
    schema = coerce_schema(schema)
    docs = list(ws.catalog.iter_documents())
    lang = max({d.lang for d in docs}, key=[d.lang for d in docs].count) if docs else "en"
    corpus_df = Counter(w for d in docs for w in set(_terms(d.text, lang)))
    n_docs = max(1, len(docs))
    seed_df = [
        Counter(w for s in spec.seeds for w in set(_terms(s, lang))) for spec in schema.labels
    ]
    seed_entities = _seed_entities(ws, schema, docs)
    out = {}
    for j, spec in enumerate(schema.labels):
        if not spec.seeds:
            out[spec.name] = spec.description
            continue
        mine = len(spec.seeds)

        def score(w: str, j: int = j, mine: int = mine) -> float:
            others = [
                seed_df[o][w] / max(1, len(schema.labels[o].seeds))
                for o in range(len(schema.labels))
                if o != j
            ]
            idf = math.log((n_docs + 1) / (corpus_df.get(w, 0) + 1)) + 1.0
            return (seed_df[j][w] / mine - max(others, default=0.0)) * idf

        need = 2 if mine >= 3 else 1
        ranked = sorted(
            (w for w, c in seed_df[j].items() if c >= need), key=lambda w: (-score(w), w)
        )
        top = [w for w in ranked if score(w) > 0][:terms]
        ents = _distinct(seed_entities, j)[:entities]
        parts = []
        if top:
            parts.append(", ".join(top))
        if ents:
            parts.append("e.g. " + ", ".join(ents))
        out[spec.name] = "; ".join(parts) or spec.description
    return out


def _terms(text: str, lang: str) -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return [
        w for w in words(text, lang) if len(w) > 2 and w.isalpha() and w not in ENGLISH_STOP_WORDS
    ]


def _seed_entities(ws, schema: LabelSchema, docs) -> list[Counter]:
    """Per label, how many of its seeds (found in the corpus) mention each graph entity, by name."""
    doc_of = {normalize_text(d.text): d.id for d in docs}
    label_docs = [
        {doc_of[t] for t in (normalize_text(s) for s in spec.seeds) if t in doc_of}
        for spec in schema.labels
    ]
    if not any(label_docs):
        return [Counter() for _ in schema.labels]
    chunk_doc = {c.id: c.doc_id for c in ws.catalog.iter_chunks()}
    counts = [Counter() for _ in schema.labels]
    try:
        for ent in ws.store.iter_entities():
            mentioned = {chunk_doc.get(cid) for cid in ent.chunk_ids}
            for j, ids in enumerate(label_docs):
                n = len(mentioned & ids)
                if n:
                    counts[j][ent.name] += n
    except KgsynthError:  # no usable graph: the words alone
        return [Counter() for _ in schema.labels]
    return counts


def _distinct(counts: list[Counter], j: int) -> list[str]:
    """Entities of label j's seeds, most mentioned first, that no other label's seeds mention."""
    others = set().union(*(set(c) for o, c in enumerate(counts) if o != j))
    return [name for name, _ in counts[j].most_common() if name not in others]


def with_suggestions(ws, schema: LabelSchema | str | Path) -> LabelSchema:
    """The schema with a suggested description for every label that has none (others kept)."""
    schema = coerce_schema(schema)
    suggested = suggest_descriptions(ws, schema)
    labels = [
        spec
        if spec.description.strip()
        else spec.model_copy(update={"description": suggested.get(spec.name, "")})
        for spec in schema.labels
    ]
    return schema.model_copy(update={"labels": labels})
