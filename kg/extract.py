"""The extractor extension point: chunks in, typed mentions and triples (with evidence) out.

Built-ins: ``spacy`` (English NER + dependency patterns, :mod:`kg.extract_spacy`), ``zh`` (jieba,
:mod:`kg.extract_zh`) and ``model`` (an LLM, :mod:`kg.extract_model`). Others register with
``@EXTRACTORS.register("name")`` or the ``kgsynth.extractors`` entry-point group.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from itertools import combinations
from typing import TYPE_CHECKING

from kgsynth.ids import content_id
from kgsynth.registry import Registry
from kgsynth.types import Chunk, Extraction, Mention, Triple

if TYPE_CHECKING:
    from kgsynth.workspace import Workspace

Progress = Callable[[int, int], None]

COOCCURS = "co_occurs_with"
MAX_COOCCURRING = 12  # entities per sentence considered for co-occurrence pairs


class Extractor(ABC):
    """Turns chunks into mentions and triples; ``langs`` says which chunk languages it handles."""

    name: str = ""
    langs: tuple[str, ...] = ("*",)

    def __init__(self, ws: Workspace | None = None):
        self.ws = ws

    @abstractmethod
    def extract(self, chunks: list[Chunk], progress: Progress | None = None) -> list[Extraction]:
        """One Extraction per chunk, in the order given."""

    def handles(self, lang: str) -> bool:
        return "*" in self.langs or lang in self.langs


EXTRACTORS: Registry[type[Extractor]] = Registry("extractors")


def make_extractor(name: str, ws: Workspace | None = None) -> Extractor:
    """An extractor instance by registry name."""
    return EXTRACTORS.get(name)(ws)


# ---------------------------------------------------------------- record helpers


def mention(
    chunk: Chunk, start: int, end: int, type: str, sent_start: int, sent_end: int
) -> Mention:
    """A Mention with a stable id; offsets are chunk-relative (the sentence is whitespace-trimmed)."""
    text = chunk.text
    while sent_start < start and text[sent_start].isspace():
        sent_start += 1
    while sent_end > end and text[sent_end - 1].isspace():
        sent_end -= 1
    return Mention(
        id=content_id(chunk.id, start, end, type, prefix="men_"),
        chunk_id=chunk.id,
        doc_id=chunk.doc_id,
        text=chunk.text[start:end],
        type=type,
        start=start,
        end=end,
        sentence=chunk.text[sent_start:sent_end],
        sentence_start=sent_start,
        lang=chunk.lang,
    )


def triple(
    chunk: Chunk,
    subj: Mention,
    predicate: str,
    obj: Mention,
    *,
    kind: str = "relation",
    extractor: str = "spacy",
    confidence: float = 1.0,
) -> Triple:
    """A Triple between two mentions of the same sentence, with a stable id."""
    return Triple(
        id=content_id(
            chunk.id, subj.start, subj.end, predicate, obj.start, obj.end, kind, prefix="tri_"
        ),
        subject=subj.text,
        subject_type=subj.type,
        predicate=predicate,
        object=obj.text,
        object_type=obj.type,
        kind=kind,
        chunk_id=chunk.id,
        doc_id=chunk.doc_id,
        sentence=subj.sentence,
        sentence_start=subj.sentence_start,
        subject_span=(subj.start, subj.end),
        object_span=(obj.start, obj.end),
        extractor=extractor,
        confidence=confidence,
    )


def cooccurrences(chunk: Chunk, mentions: list[Mention], extractor: str) -> list[Triple]:
    """One untyped edge per pair of distinct entities mentioned in the same sentence."""
    by_sentence: dict[int, dict[str, Mention]] = {}
    for m in mentions:
        by_sentence.setdefault(m.sentence_start, {}).setdefault(m.text.lower(), m)
    out = []
    for group in by_sentence.values():
        ms = sorted(group.values(), key=lambda m: m.start)[:MAX_COOCCURRING]
        for a, b in combinations(ms, 2):
            out.append(triple(chunk, a, COOCCURS, b, kind="cooccurrence", extractor=extractor))
    return out
