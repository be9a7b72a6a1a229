"""Answer-versus-facts verification for QA pairs (model mode must pass it; template mode does too).

An answer is accepted when it contains every expected entity (its name or an alias, compared in a
normalized form), states the expected count, or gives the expected yes/no. Anything else is rejected
with a short reason that the QA builder counts in the dataset version's stats.
"""

from __future__ import annotations

import re
import unicodedata

from pydantic import Field

from kgsynth.types import Record

_NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_YES = ("yes", "true", "correct", "是", "对", "正确")
_NO = ("no", "false", "incorrect", "not", "否", "不", "错")


class Expectation(Record):
    """What a correct answer must state: entities (each a list of acceptable forms), a count, a truth."""

    entities: list[list[str]] = Field(default_factory=list)
    count: int | None = None
    truth: bool | None = None


def normalize(s: str) -> str:
    """Lower-case NFKC text with punctuation removed and spaces collapsed, for containment checks."""
    s = unicodedata.normalize("NFKC", s).lower()
    s = re.sub(r"[^\w\s]", " ", s)
    s = re.sub(r"\b(the|a|an)\b", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def contains(answer: str, forms: list[str]) -> bool:
    """Whether the answer mentions any of the forms (normalized; whole words for Latin text)."""
    norm = f" {normalize(answer)} "
    for form in forms:
        f = normalize(form)
        if not f:
            continue
        if f.isascii() and f" {f} " in norm:
            return True
        if not f.isascii() and f in norm.replace(" ", ""):
            return True
    return False


def check_answer(answer: str, expected: Expectation) -> str | None:
    """None when the answer agrees with the facts; otherwise the reason it is rejected."""
    if not answer or not answer.strip():
        return "empty answer"
    if expected.truth is not None:
        said = _yes_no(answer)
        if said is None:
            return "no yes/no in answer"
        return None if said == expected.truth else "wrong yes/no"
    if expected.count is not None and expected.count not in _numbers(answer):
        return "wrong count"
    for forms in expected.entities:
        if not contains(answer, forms):
            return "missing expected entity"
    return None


def _yes_no(answer: str) -> bool | None:
    head = normalize(answer)
    first = head.split(" ", 1)[0] if head else ""
    if first in _YES or head.startswith(("是", "对")):
        return True
    if first in _NO or head.startswith(("否", "不")):
        return False
    return None


def _numbers(answer: str) -> set[int]:
    found = {int(n) for n in re.findall(r"\d+", answer)}
    low = answer.lower()
    for word, value in _NUMBER_WORDS.items():
        if (word.isascii() and re.search(rf"\b{word}\b", low)) or (
            not word.isascii() and word in low
        ):
            found.add(value)
    return found
