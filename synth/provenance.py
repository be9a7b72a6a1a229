"""Provenance an export carries with each example: where it came from, in words a trainer can read.

Every exporter gets it from the base class (see :mod:`synth.export`): a ``meta`` field beside the
row, or a sidecar ``<split>.meta.jsonl`` keyed by example id where the format allows no extra field.
"""

from __future__ import annotations

import re
from typing import Any

from kgsynth.types import Example

# A question that cites its source ("Based on the source text, who ...?") reads wrong in a record
# that does not hold the source: closed-book questions lose the lead-in.
_SOURCE_LEAD_IN = re.compile(
    r"^(?:based on|according to|from|in|using) (?:the|this|these) "
    r"(?:source text|source|passage|text|context|article|documents?|sources?)\s*,\s*",
    re.IGNORECASE,
)


def has_passage(e: Example) -> bool:
    """Whether the example's input holds a passage it was drawn from (an evidence sentence)."""
    return any(s.strip() and s.strip() in e.input for s in e.provenance.evidence)


def closed_book(question: str) -> str:
    """`question` without a lead-in that points at a source text the reader does not have."""
    m = _SOURCE_LEAD_IN.match(question)
    if not m:
        return question
    rest = question[m.end() :]
    return rest[:1].upper() + rest[1:]


def prompt_text(e: Example) -> str:
    """The example's input as a training prompt: closed-book questions never cite a passage."""
    if e.output is None or has_passage(e):
        return e.input
    return closed_book(e.input)


class ProvenanceMeta:
    """Builds each example's provenance record, looking documents and facts up in the catalog."""

    def __init__(self, ws):
        self.ws = ws
        self._sources: dict[str, str] = {}
        self._facts: dict[str, str | None] = {}

    def __call__(self, e: Example) -> dict[str, Any]:
        p = e.provenance
        meta: dict[str, Any] = {
            "task": e.task,
            "documents": [self._source(d) for d in p.doc_ids],
            "doc_ids": p.doc_ids,
            "chunk_ids": p.chunk_ids,
            "evidence": p.evidence,
            "facts": list(dict.fromkeys(f for f in map(self._fact, p.triple_ids) if f)),
            "template": e.template_id,
            "generator": e.generator,
            "label_source": e.label_source,
            "confidence": e.confidence,
        }
        if e.parent_id:
            meta["parent_id"] = e.parent_id
        return meta

    def _source(self, doc_id: str) -> str:
        if doc_id not in self._sources:
            doc = self.ws.catalog.document(doc_id)
            self._sources[doc_id] = doc.source if doc else doc_id
        return self._sources[doc_id]

    def _fact(self, triple_id: str) -> str | None:
        if triple_id not in self._facts:
            t = self.ws.catalog.triple(triple_id)
            self._facts[triple_id] = f"{t.subject} | {t.predicate} | {t.object}" if t else None
        return self._facts[triple_id]
