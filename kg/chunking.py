"""Sentence-aware chunking: whole sentences up to ~chunk_chars, with a few sentences of overlap.

A chunk is a slice of the document text (``Chunk.start``/``end`` are offsets into ``Document.text``),
so every span inside a chunk maps back to the document. A sentence longer than ``chunk_chars`` is cut
at whitespace into pieces.
"""

from __future__ import annotations

from kgsynth.ids import content_id
from kgsynth.text import split_sentences
from kgsynth.types import Chunk, Document


def chunk_document(
    doc: Document, chunk_chars: int = 1200, overlap_sentences: int = 1
) -> list[Chunk]:
    """Split a document into overlapping chunks of whole sentences."""
    spans = _bounded(split_sentences(doc.text, doc.lang), doc.text, chunk_chars)
    chunks: list[Chunk] = []
    i = 0
    while i < len(spans):
        j = i + 1
        while j < len(spans) and spans[j][1] - spans[i][0] <= chunk_chars:
            j += 1
        start, end = spans[i][0], spans[j - 1][1]
        text = doc.text[start:end]
        index = len(chunks)
        chunks.append(
            Chunk(
                id=content_id(doc.id, index, text, prefix="chk_"),
                doc_id=doc.id,
                index=index,
                text=text,
                start=start,
                end=end,
                lang=doc.lang,
            )
        )
        if j >= len(spans):
            break
        i = max(i + 1, j - overlap_sentences)
    return chunks


def owned_start(chunk: Chunk, previous: Chunk | None) -> int:
    """Chunk-relative offset where the chunk's own text begins (after the overlap with `previous`)."""
    if previous is None or previous.end <= chunk.start:
        return 0
    return previous.end - chunk.start


def _bounded(spans: list[tuple[int, int]], text: str, limit: int) -> list[tuple[int, int]]:
    """Cut sentences longer than `limit` at whitespace so every span fits a chunk."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        while end - start > limit:
            cut = text.rfind(" ", start + limit // 2, start + limit)
            cut = cut if cut > start else start + limit
            out.append((start, cut))
            start = cut
            while start < end and text[start].isspace():
                start += 1
        if start < end:
            out.append((start, end))
    return out
