"""A model pass over what the parse extracted: it rejects typed facts the sentence does not state
and types co-occurrence pairs the parse could not.

Runs inside the ``spacy`` extractor when ``ingest.refine_generator`` names a generator (a served
model: ``[generators.<name>]`` in kgsynth.toml). Every answer goes through the generator cache, so
re-ingesting asks nothing twice. Prompt building and answer parsing are plain functions.

- a typed triple is shown with its sentence; "no" drops it (the co-occurrence stays);
- a co-occurrence pair is shown with its sentence; a short snake_case predicate makes it a typed
  triple (extractor ``refine``, confidence ``TYPED_CONFIDENCE``) if both names are in that sentence;
  "none" leaves it untyped.
"""

from __future__ import annotations

import re
from collections import Counter

from kgsynth.generators import Generator, Prompt
from kgsynth.ids import content_id
from kgsynth.types import Extraction, Triple

TYPED_CONFIDENCE = 0.6
MAX_PAIRS = 8  # co-occurrence pairs asked about per chunk (the first ones by position)
_PREDICATE = re.compile(r"^[a-z][a-z_]{1,40}$")
NONE_ANSWERS = frozenset({"none", "no", "no_relation", "unknown", "n_a", "na"})


def verify_prompt(t: Triple) -> Prompt:
    """Ask whether the sentence states the fact (greedy: the same answer every time)."""
    fact = f"{t.subject} | {t.predicate.replace('_', ' ')} | {t.object}"
    text = (
        f"Sentence: {t.sentence}\nFact: {fact}\n"
        "Does the sentence state this fact, with the subject and object in this order? "
        "Answer only yes or no."
    )
    return Prompt.user(text, temperature=0.0, max_new_tokens=3, template_id="refine.verify")


def type_prompt(t: Triple) -> Prompt:
    """Ask for the relation between two names that share a sentence."""
    text = (
        f"Sentence: {t.sentence}\n"
        f"What does the sentence say {t.subject} is or does to {t.object}? Answer only a short "
        "verb phrase in snake_case with the subject first (for example works_for, located_in, "
        "acquired), or none if the sentence does not relate them."
    )
    return Prompt.user(text, temperature=0.0, max_new_tokens=8, template_id="refine.type")


def parse_yes_no(answer: str) -> bool | None:
    """True for yes, False for no, None for anything else (then the fact is kept)."""
    word = re.sub(r"[^a-z]", " ", answer.lower()).split()
    if not word:
        return None
    return {"yes": True, "no": False}.get(word[0])


def parse_predicate(answer: str) -> str | None:
    """A snake_case predicate from an answer, or None ("none", prose, empty)."""
    first = answer.strip().splitlines()[0] if answer.strip() else ""
    pred = re.sub(r"[^a-z_ ]", "", first.lower()).strip().replace(" ", "_")
    pred = re.sub(r"_+", "_", pred).strip("_")
    if not pred or pred in NONE_ANSWERS or not _PREDICATE.match(pred) or pred.count("_") > 3:
        return None
    return pred


class Refiner:
    """Checks typed triples and types co-occurrence pairs with a generator; ``stats`` counts."""

    def __init__(self, generator: Generator):
        self.generator = generator
        self.stats: Counter[str] = Counter()

    def refine(self, extractions: list[Extraction]) -> list[Extraction]:
        typed = [t for x in extractions for t in x.triples if t.kind == "relation"]
        pairs = [p for x in extractions for p in _pairs(x)]
        answers = self.generator.generate(
            [verify_prompt(t) for t in typed] + [type_prompt(p) for p in pairs]
        )
        verdicts = {t.id: parse_yes_no(a.text) for t, a in zip(typed, answers, strict=False)}
        added: dict[str, list[Triple]] = {}
        for p, a in zip(pairs, answers[len(typed) :], strict=True):
            pred = parse_predicate(a.text)
            if pred is None:
                self.stats["left_untyped"] += 1
                continue
            (ss, se), (os_, oe) = p.subject_span, p.object_span
            tid = content_id(p.chunk_id, ss, se, pred, os_, oe, "relation", prefix="tri_")
            t = p.model_copy(
                update={
                    "id": tid,
                    "kind": "relation",
                    "predicate": pred,
                    "extractor": "refine",
                    "confidence": TYPED_CONFIDENCE,
                }
            )
            added.setdefault(p.chunk_id, []).append(t)
            self.stats["typed"] += 1
        out = []
        for x in extractions:
            kept = []
            for t in x.triples:
                if t.kind == "relation" and verdicts.get(t.id) is False:
                    self.stats["rejected"] += 1
                    continue
                kept.append(t)
            out.append(x.model_copy(update={"triples": kept + added.get(x.chunk_id, [])}))
        return out


def _pairs(x: Extraction) -> list[Triple]:
    """Co-occurrence pairs of a chunk that no typed triple joins, both names in the sentence."""
    joined = {frozenset((t.subject_span, t.object_span)) for t in x.triples if t.kind == "relation"}
    out = []
    for t in x.triples:
        if t.kind != "cooccurrence" or frozenset((t.subject_span, t.object_span)) in joined:
            continue
        if t.subject in t.sentence and t.object in t.sentence:
            out.append(t)
    return out[:MAX_PAIRS]
