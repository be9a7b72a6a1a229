"""Chinese extraction: typed names, dates and numbers (:mod:`kg.zh_ner`), typed relations read off
each sentence (:mod:`kg.zh_relations`), and co-occurrence edges.

Traditional Chinese is tagged through its Simplified form (OpenCC, character for character, so every
offset still points into the original text); mention texts stay as written. Sentences without any
Chinese character (English paragraphs of a mixed document) go through the English spaCy pipeline.
Within one call, the mentions of one name vote on its type: a name tagged GPE twice and ORG once is
a GPE everywhere.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from kg.extract import EXTRACTORS, Extractor, Progress, cooccurrences, mention, triple
from kg.zh_ner import NAME_TYPES, Span, sentence_spans
from kg.zh_relations import relations
from kgsynth.text import has_cjk, split_sentences, to_simplified
from kgsynth.types import Chunk, Extraction, Mention, Triple

EXTRACTOR = "zh"


@EXTRACTORS.register("zh")
class ChineseExtractor(Extractor):
    """jiagu names + relation patterns + co-occurrence for Chinese chunks."""

    name = EXTRACTOR
    langs = ("zh",)

    def extract(self, chunks: list[Chunk], progress: Progress | None = None) -> list[Extraction]:
        found = [_chunk_spans(c) for c in chunks]
        votes = type_votes(
            (chunk.text[s.start : s.end], s.type)
            for chunk, sents in zip(chunks, found, strict=True)
            for _, spans in sents
            for s in spans
        )
        out = []
        for chunk, sents in zip(chunks, found, strict=True):
            out.append(_extraction(chunk, sents, votes))
            if progress is not None:
                progress(len(out), len(chunks))
        return out


def type_votes(named) -> dict[str, str]:
    """Surface → the type most of its name mentions got (ties keep the first seen)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for text, type_ in named:
        if type_ in NAME_TYPES:
            counts[text][type_] += 1
    return {text: c.most_common(1)[0][0] for text, c in counts.items()}


def _chunk_spans(chunk: Chunk) -> list[tuple[tuple[int, int], list[Span]]]:
    """Per sentence of the chunk: its (start, end) and its typed spans with chunk offsets."""
    text = chunk.text
    simple = to_simplified(text)
    out = []
    for start, end in split_sentences(text, "zh"):
        if not has_cjk(text[start:end]):
            out.append(((start, end), []))  # handled by the English pipeline
            continue
        spans = [
            Span(s.start + start, s.end + start, s.type) for s in sentence_spans(simple[start:end])
        ]
        out.append(((start, end), spans))
    return out


def _extraction(chunk: Chunk, sentences, votes: dict[str, str]) -> Extraction:
    mentions: list[Mention] = []
    triples: list[Triple] = []
    simple = to_simplified(chunk.text)
    for (s_start, s_end), spans in sentences:
        spans = [_voted(chunk.text, s, votes) for s in spans]
        by_span = {}
        for s in spans:
            m = mention(chunk, s.start, s.end, s.type, s_start, s_end)
            by_span[(s.start, s.end)] = m
            mentions.append(m)
        # one-character abbreviations (中 of 中美) take part in no typed relation
        local = [
            Span(s.start - s_start, s.end - s_start, s.type) for s in spans if s.end - s.start > 1
        ]
        for subj, pred, obj in relations(simple[s_start:s_end], local):
            a = by_span[(subj.start + s_start, subj.end + s_start)]
            b = by_span[(obj.start + s_start, obj.end + s_start)]
            triples.append(triple(chunk, a, pred, b, extractor=EXTRACTOR))
    english = _english(chunk, sentences)
    mentions += english.mentions
    triples += [t for t in english.triples if t.kind == "relation"]
    named = [m for m in mentions if m.type in NAME_TYPES]
    triples += cooccurrences(chunk, named, EXTRACTOR)
    return Extraction(chunk_id=chunk.id, mentions=mentions, triples=triples)


def _voted(text: str, s: Span, votes: dict[str, str]) -> Span:
    type_ = votes.get(text[s.start : s.end], s.type) if s.type in NAME_TYPES else s.type
    return Span(s.start, s.end, type_)


def _english(chunk: Chunk, sentences) -> Extraction:
    """English sentences of a Chinese chunk (a mixed document), through the spaCy extractor."""
    latin = [(a, b) for (a, b), spans in sentences if not has_cjk(chunk.text[a:b])]
    if not any(any(c.isalpha() for c in chunk.text[a:b]) for a, b in latin):
        return Extraction(chunk_id=chunk.id)
    from kg.extract_spacy import extract_doc
    from kgsynth.nlp import load_nlp

    nlp = load_nlp()
    lemmatizer = nlp.get_pipe("lemmatizer") if "lemmatizer" in nlp.component_names else None
    mentions, triples = [], []
    for a, b in latin:
        part = chunk.model_copy(update={"text": chunk.text[a:b], "lang": "en"})
        x = extract_doc(part, nlp(part.text), lemmatizer)
        for m in x.mentions:
            sent_start = m.sentence_start + a
            end = sent_start + len(m.sentence)
            mentions.append(mention(chunk, m.start + a, m.end + a, m.type, sent_start, end))
        by_span = {(m.start, m.end): m for m in mentions}
        for t in x.triples:
            s = by_span.get((t.subject_span[0] + a, t.subject_span[1] + a))
            o = by_span.get((t.object_span[0] + a, t.object_span[1] + a))
            if s is not None and o is not None:
                triples.append(triple(chunk, s, t.predicate, o, kind=t.kind, extractor="spacy"))
    return Extraction(chunk_id=chunk.id, mentions=mentions, triples=triples)
