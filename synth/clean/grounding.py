"""Grounding check for QA: the answer must be supported by the evidence sentences it cites.

Supported means: the answer occurs in the evidence, or (almost) every content word of the answer
occurs in the evidence or the question. Yes/no answers need cited evidence only; counts of
aggregation questions are derived, not quoted, so their numbers are not looked up.
"""

from __future__ import annotations

import re

from kgsynth.text import words
from kgsynth.types import Example
from synth.clean.base import FILTERS, CleanContext, Filter, Removed

_YES_NO = {"yes", "no", "true", "false", "是", "否", "不是", "对", "不"}
_STOP = {"the", "a", "an", "of", "and", "or", "in", "on", "to", "is", "was", "are", "were", "by",
         "for", "with", "it", "its", "has", "have", "had", "that", "this", "there", "as", "at"}  # fmt: skip
_NUMBER_WORDS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}
_CJK = re.compile(r"[\u3400-\u9fff]")


def _norm(s: str) -> str:
    return " ".join(words(s))


def supported(
    answer: str,
    evidence: list[str],
    lang: str = "en",
    min_recall: float = 0.8,
    question: str = "",
    task: str = "",
    known: set[str] = frozenset(),
) -> bool:
    """True when the cited evidence supports the answer (see the module docstring). `known` holds
    extra supported words (entity names whose alias the evidence uses, e.g. "Ms Hewitt")."""
    text = " ".join(evidence)
    if not text.strip():
        return False
    if answer.strip().casefold() in text.casefold() or _norm(answer) in _norm(text):
        return True
    tokens = [w for w in words(answer, lang) if w not in _STOP]
    if task == "qa.yes_no" or (tokens and set(tokens) <= _YES_NO):
        return True
    if task == "qa.aggregation":
        tokens = [t for t in tokens if not t.isdigit() and t not in _NUMBER_WORDS]
    if lang == "zh":
        chars = [c for c in answer if _CJK.match(c) and c not in question]
        return not chars or sum(c in text for c in chars) / len(chars) >= min_recall
    if not tokens:
        return True
    have = {_stem(w) for w in words(f"{text} {question}", lang)} | {_stem(w) for w in known}
    return sum(_stem(t) in have for t in tokens) / len(tokens) >= min_recall


def _stem(w: str) -> str:
    return w[:5]  # crude, but enough to match acquire/acquired, company/companies


@FILTERS.register("grounding")
class Grounding(Filter):
    """Drop QA examples whose answer is not supported by provenance.evidence (others pass)."""

    name = "grounding"

    def __init__(self, min_recall: float = 0.8):
        self.min_recall = min_recall

    def apply(self, examples: list[Example], ctx: CleanContext):
        kept, removed = [], []
        store = ctx.ws.store if ctx.ws is not None else None
        for e in examples:
            if not e.task.startswith("qa.") or e.output is None:
                kept.append(e)
            elif not e.provenance.evidence:
                removed.append(Removed(e, "ungrounded: no evidence cited"))
            elif not supported(
                e.output,
                e.provenance.evidence,
                e.lang,
                self.min_recall,
                e.input,
                e.task,
                known=_aliased_names(store, e),
            ):
                removed.append(Removed(e, "ungrounded: answer not found in its evidence"))
            else:
                kept.append(e)
        return kept, removed


def _aliased_names(store, e: Example) -> set[str]:
    """Words of the cited entities' names whose name, alias or surname occurs in the evidence."""
    if store is None or not e.provenance.entity_ids:
        return set()
    text = " ".join(e.provenance.evidence).casefold()
    out: set[str] = set()
    for eid in e.provenance.entity_ids:
        ent = store.entity(eid)
        if ent is None:
            continue
        forms = [ent.name, *ent.aliases]
        if ent.type == "PERSON" and len(ent.name.split()) > 1:
            forms.append(ent.name.split()[-1])
        if any(f and f.casefold() in text for f in forms):
            out |= set(words(ent.name, e.lang))
    return out
