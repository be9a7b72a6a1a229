"""Extractive QA candidates: questions read off the parse of the graph's chunks, answered by a span.

The graph supplies the passages (its chunks), the entities found in them and their voted types (a
type from the graph overrides the parser's, so "Darwin" the city is asked with "where"), and the
typed facts stated in each sentence (cited as provenance). :mod:`synth.questions` turns a sentence
and one of its answer spans (entities, dates, numbers, noun phrases) into a question. The context of
the pair is the whole chunk, so a reader must find the sentence as well as the span.

Only English chunks are parsed here; other languages keep the relation-based extractive questions in
:mod:`synth.qa_candidates`.
"""

from __future__ import annotations

import random
from collections import defaultdict

from kgsynth.nlp import load_nlp
from kgsynth.types import Chunk, Entity, Relation, Span
from synth.graph_view import GraphView
from synth.qa_check import Expectation
from synth.qa_item import QAItem
from synth.qa_sampling import Candidate
from synth.questions import Question, answer_spans, ask

PARSE_BATCH = 32
OVERSAMPLE = 4  # candidates gathered per wanted pair before sampling stops parsing chunks
KIND_GROUPS = {
    "PERSON": "person",
    "ORG": "organization",
    "NORP": "organization",
    "GPE": "place",
    "LOC": "place",
    "FAC": "facility",
    "EVENT": "event",
    "WORK_OF_ART": "work",
    "PRODUCT": "product",
    "LAW": "law",
}
KIND_TEXT = {
    "person": "a person",
    "organization": "an organization, company or group",
    "place": "a place, city or country",
    "facility": "a building or facility",
    "event": "an event",
    "work": "a book, film or work of art",
    "product": "a product",
    "law": "a law",
}
VAGUE_NOUNS = frozenset(
    [
        "man",
        "woman",
        "friend",
        "son",
        "daughter",
        "father",
        "mother",
        "wife",
        "husband",
        "brother",
        "sister",
        "member",
        "part",
        "one",
        "thing",
        "kind",
        "type",
        "example",
        "home",
        "place",
        "people",
        "person",
        "other",
        "figure",
        "name",
    ]
)
ANSWER_CLASSES = {
    "PERSON": "person",
    "NORP": "group",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "DATE": "time",
    "TIME": "time",
    "CARDINAL": "number",
    "QUANTITY": "number",
    "MONEY": "number",
    "PERCENT": "number",
    "NP": "phrase",
}


def extractive_candidates(view: GraphView, rng: random.Random, want: int) -> list[Candidate]:
    """Up to about ``OVERSAMPLE × want`` extractive candidates from English chunks (seeded order)."""
    chunks = [c for c in view.focused_chunks(view.chunks()) if c.lang == "en" and c.text.strip()]
    rng.shuffle(chunks)
    by_chunk = _entities_by_chunk(view)
    facts = _facts_by_sentence(view)
    asked = {e.id for c in chunks for e in by_chunk.get(c.id, ())} if view.focus else None
    classes = class_nouns(view, asked)
    nlp = load_nlp()
    out: list[Candidate] = []
    for i in range(0, len(chunks), PARSE_BATCH):
        batch = chunks[i : i + PARSE_BATCH]
        for chunk, doc in zip(batch, nlp.pipe(c.text for c in batch), strict=True):
            out += _chunk_candidates(view, chunk, doc, by_chunk.get(chunk.id, []), facts, classes)
        if want and len(out) >= OVERSAMPLE * want:
            break
    return out


def _chunk_candidates(
    view, chunk: Chunk, doc, entities: list[Entity], facts, classes: dict[str, str]
) -> list[Candidate]:
    asked: dict[str, list[Candidate]] = defaultdict(list)
    for sent in doc.sents:
        found = _graph_spans(doc, sent, entities)
        types = {span: view.entity(eid).type for span, eid in found.items()}
        kinds = {span: classes[eid] for span, eid in found.items() if eid in classes}
        sentence = sent.text.strip()
        for span in answer_spans(sent, types, kinds):
            q = ask(sent, span)
            if q is None or _leaks(q):
                continue
            answer_id = found.get((span.start, span.end))
            relations = facts.get((chunk.id, sentence), [])
            asked[q.text].append(_candidate(view, chunk, sent, sentence, q, answer_id, relations))
    return [c[0] for c in asked.values() if len(c) == 1]  # one question, two answers: ambiguous


def _candidate(view, chunk, sent, sentence, q: Question, answer_id, relations) -> Candidate:
    entity_ids = [answer_id] if answer_id else []
    entity_ids += [e for r in relations for e in (r.source_id, r.target_id) if e not in entity_ids]
    item = QAItem(
        qa_type="extractive",
        lang="en",
        vars={
            "question": q.text,
            "answer": q.answer,
            "answer_type": q.answer_type,
            "rule": q.rule,
            "context": chunk.text,
            "sentence": sentence,
        },
        expectation=Expectation(
            entities=[[q.answer, *(view.forms(answer_id) if answer_id else [])]]
        ),
        relations=relations,
        entity_ids=entity_ids,
        answer_spans=[Span(chunk_id=chunk.id, start=q.start, end=q.end)],
        context=chunk.text,
        facts=[],
        meta={
            "answer_entity_ids": [answer_id] if answer_id else [],
            "answer_start": q.start,
            "answer_type": q.answer_type,
            "question_rule": q.rule,
            "sentence": sentence,
            "sentence_span": [sent.start_char, sent.end_char],
            "doc_id": chunk.doc_id,
        },
    )
    answer_key = answer_id or f"answer:{q.answer.lower()}"
    cls = ANSWER_CLASSES.get(q.answer_type, "entity")
    return Candidate(
        key=f"ex:{chunk.id}:{q.start}:{q.end}",
        entity_ids=(answer_key,),
        strata={"predicate": cls, "type": q.rule, "community": chunk.doc_id},
        payload=item,
        hubness=view.hub_degree(answer_id) if answer_id else 0,
    )


def _leaks(q: Question) -> bool:
    """The question must not contain its own answer."""
    return q.answer.lower() in q.text.lower()


def class_nouns(view: GraphView, among: set[str] | None = None) -> dict[str, str]:
    """Entity id → the one short class noun the graph states for it ("X is a team" → "team"), when
    its is_a facts agree on one and the noun fits the entity's type (a person is no "school");
    for the entities `among` only, when given."""
    found: dict[str, set[str]] = defaultdict(set)
    for r in view.typed:
        if among is not None and r.source_id not in among:
            continue
        if r.predicate == "is_a" and view.entity(r.source_id).type in KIND_GROUPS:
            noun = view.entity(r.target_id).name.lower()
            if _class_noun(noun):
                found[r.source_id].add(noun)
    chosen = {eid: nouns.pop() for eid, nouns in found.items() if len(nouns) == 1}
    fits = _kind_fits({(view.entity(e).type, n) for e, n in chosen.items()})
    return {e: n for e, n in chosen.items() if fits[(view.entity(e).type, n)]}


def _class_noun(noun: str) -> bool:
    words = noun.split()
    return (
        1 <= len(words) <= 2
        and noun.replace(" ", "").isalpha()
        and not (noun.endswith("s") and not noun.endswith("ss"))  # "actresses": no plural
        and words[-1] not in VAGUE_NOUNS
    )


def _kind_fits(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """Whether each class noun is nearest (MiniLM) to its entity type's description."""
    if not pairs:
        return {}
    from kgsynth.embeddings import shared_embedder

    groups = sorted(set(KIND_GROUPS.values()))
    order = sorted(pairs)
    emb = shared_embedder()
    g = _unit(emb.encode([KIND_TEXT[x] for x in groups]))
    n = _unit(emb.encode([f"a {noun}" for _, noun in order]))
    best = (n @ g.T).argmax(axis=1)
    return {p: groups[int(b)] == KIND_GROUPS[p[0]] for p, b in zip(order, best, strict=True)}


def _unit(x):
    import numpy as np

    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _entities_by_chunk(view: GraphView) -> dict[str, list[Entity]]:
    out: dict[str, list[Entity]] = defaultdict(list)
    for e in view.entities.values():
        for cid in e.chunk_ids:
            out[cid].append(e)
    return out


def _facts_by_sentence(view: GraphView) -> dict[tuple[str, str], list[Relation]]:
    out: dict[tuple[str, str], list[Relation]] = defaultdict(list)
    for r in view.typed:
        for ev in r.evidence:
            out[(ev.chunk_id, ev.sentence.strip())].append(r)
    return out


def _graph_spans(doc, sent, entities: list[Entity]) -> dict[tuple[int, int], str]:
    """Token spans in `sent` where a graph entity's name or alias occurs → the entity id."""
    text, base = sent.text, sent.start_char
    found: dict[tuple[int, int], str] = {}
    for e in sorted(entities, key=lambda e: -e.mentions):  # the best-attested reading first
        for form in {e.name, *e.aliases}:
            start = text.find(form) if len(form) > 1 else -1
            while start >= 0:
                span = doc.char_span(base + start, base + start + len(form))
                if span is not None:
                    found.setdefault((span.start, span.end), e.id)
                start = text.find(form, start + 1)
    return found
