"""Closed-book questions about graph facts, read off the parse of each fact's evidence sentence.

A closed-book question has no passage beside it, so it must name its own context: the question about
a fact is kept only when it mentions the fact's other entity ("Who did the Broncos defeat in Santa
Clara on February 7, 2016?"), never a pronoun. Multi-hop questions nest one fact inside another: the
bridge entity of the second fact's question is replaced by a relative clause read off the first
fact's sentence ("Where is the organization that Microsoft acquired in 2018 based?").
"""

from __future__ import annotations

from kgsynth.nlp import load_nlp
from kgsynth.types import Relation
from synth.graph_view import GraphView
from synth.questions import AnswerSpan, Question, ask, polar, relative_clause

PARSE_BATCH = 64
KIND_NOUNS = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
    "EVENT": "event",
    "PRODUCT": "product",
    "WORK_OF_ART": "work",
    "LAW": "law",
}
MAX_WORDS = 30
MAX_CLAUSE_WORDS = 10
FUNCTION_WORDS = frozenset(
    [
        "did",
        "does",
        "do",
        "was",
        "were",
        "is",
        "are",
        "has",
        "have",
        "had",
        "will",
        "would",
        "can",
        "could",
        "should",
        "may",
        "might",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "by",
        "with",
        "from",
        "about",
        "did",
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "than",
        "as",
        "into",
        "over",
        "after",
        "before",
    ]
)


class SentenceParses:
    """spaCy parses of evidence sentences, made once per sentence."""

    def __init__(self):
        self._docs: dict[str, object] = {}

    def parse(self, sentences: list[str]) -> None:
        todo = list(dict.fromkeys(s for s in sentences if s not in self._docs))
        for i in range(0, len(todo), PARSE_BATCH):
            batch = todo[i : i + PARSE_BATCH]
            self._docs.update(zip(batch, load_nlp().pipe(batch), strict=True))

    def __getitem__(self, sentence: str):
        if sentence not in self._docs:
            self.parse([sentence])
        return self._docs[sentence]


def fact_question(
    view: GraphView, r: Relation, answer_id: str, parses: SentenceParses
) -> tuple[Question, str] | None:
    """(question, evidence sentence) whose answer is `answer_id`, naming the fact's other entity."""
    other_id = r.target_id if answer_id == r.source_id else r.source_id
    for ev in r.evidence[:2]:
        doc = parses[ev.sentence]
        span = _span(doc, view, answer_id)
        if span is None:
            continue
        q = ask(doc[:], span)
        if q and _names(q.text, view, other_id) and len(q.text.split()) <= MAX_WORDS:
            return q, ev.sentence
    return None


def yes_no_question(
    view: GraphView, r: Relation, parses: SentenceParses, decoy: str | None = None
) -> str | None:
    """The fact as a yes/no question read off its sentence; with `decoy`, the object's name is
    swapped for the decoy's (the answer is then no)."""
    for ev in r.evidence[:2]:
        doc = parses[ev.sentence]
        span = _span(doc, view, r.target_id)
        if span is None:
            continue
        question = polar(doc[:], span)
        if not question or not _names(question, view, r.source_id):
            continue
        if decoy is None:
            return question
        named = doc.text[doc[span.start].idx : doc[span.end - 1].idx + len(doc[span.end - 1])]
        if question.count(named) == 1:
            return question.replace(named, view.entity(decoy).name)
    return None


def chain_question(
    view: GraphView, first: Relation, second: Relation, bridge: str, end: str, parses
) -> str | None:
    """A two-hop question: the second fact's question about `end`, its bridge described by the first."""
    asked = fact_question(view, second, end, parses)
    if asked is None:
        return None
    q, sentence = asked
    described = _description(view, first, bridge, parses, avoid=sentence)
    if described is None:
        return None
    for form in sorted(view.forms(bridge), key=len, reverse=True):
        at = q.text.find(form)
        if at < 0:
            continue
        before = q.text[:at]
        if not (before.endswith(" ") or not before) or _modified(before):
            return None  # "veteran star Ossie Davis": the name is part of a longer phrase
        before = before.removesuffix("the ").removesuffix("The ")
        text = before + described + q.text[at + len(form) :]
        text = text[:1].upper() + text[1:]
        return text if len(text.split()) <= MAX_WORDS else None
    return None


def _modified(before: str) -> bool:
    """The word before the name is a modifier of it (a lower-case noun or adjective, or a title
    like "Prime Minister" inside the question; not a function word): replacing the name alone
    would leave it dangling ("What has Prime Minister the person that ...")."""
    words = before.split()
    if not words or words[-1].lower() in FUNCTION_WORDS:
        return False
    return words[-1].islower() or len(words) > 1


def _description(view: GraphView, r: Relation, bridge: str, parses, avoid: str) -> str | None:
    """'the organization that Microsoft acquired in 2018': the bridge as its first fact states it,
    from another sentence than the question's (else the question repeats itself)."""
    kind = KIND_NOUNS.get(view.entity(bridge).type)
    if kind is None:
        return None
    for ev in r.evidence[:2]:
        if ev.sentence == avoid:
            continue
        doc = parses[ev.sentence]
        span = _span(doc, view, bridge)
        if span is None:
            continue
        clause = relative_clause(doc[:], span, who=view.entity(bridge).type == "PERSON")
        other = r.target_id if bridge == r.source_id else r.source_id
        if clause and _names(clause, view, other) and len(clause.split()) <= MAX_CLAUSE_WORDS:
            return f"the {kind} {clause}"
    return None


def _span(doc, view: GraphView, entity_id: str) -> AnswerSpan | None:
    """The entity's mention in the parsed sentence (longest form first), typed by the graph."""
    for form in sorted(view.forms(entity_id), key=len, reverse=True):
        i = doc.text.find(form) if len(form) > 1 else -1
        if i >= 0:
            span = doc.char_span(i, i + len(form))
            if span is not None:
                return AnswerSpan(span.start, span.end, view.entity(entity_id).type)
    return None


def _names(text: str, view: GraphView, entity_id: str) -> bool:
    return any(form in text for form in view.forms(entity_id) if len(form) > 1)
