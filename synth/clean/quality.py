"""Length and quality heuristics: too short or long, repetitive, symbol-heavy, wrong language."""

from __future__ import annotations

import re
from collections import Counter

from kgsynth.text import detect_lang, words
from kgsynth.types import Example
from synth.clean.base import FILTERS, CleanContext, Filter, Removed

_SYMBOL = re.compile(r"[^\w\s]", re.UNICODE)


def _text(e: Example) -> str:
    return e.input if not e.output else f"{e.input}\n{e.output}"


@FILTERS.register("length")
class Length(Filter):
    """Drop examples whose input is shorter or longer than the limits (characters and words)."""

    name = "length"
    rowwise = True

    def __init__(self, min_chars: int = 10, max_chars: int = 20000, min_words: int = 3):
        self.min_chars, self.max_chars, self.min_words = min_chars, max_chars, min_words

    def apply(self, examples: list[Example], ctx: CleanContext):
        kept, removed = [], []
        for e in examples:
            n = len(e.input)
            if n < self.min_chars:
                removed.append(Removed(e, f"too short: {n} < {self.min_chars} chars"))
            elif n > self.max_chars:
                removed.append(Removed(e, f"too long: {n} > {self.max_chars} chars"))
            elif e.lang != "zh" and len(words(e.input)) < self.min_words:
                removed.append(Removed(e, f"too short: fewer than {self.min_words} words"))
            else:
                kept.append(e)
        return kept, removed


def repetition(tokens: list[str], n: int = 3) -> float:
    """Share of word n-grams that repeat an earlier one (0 = none, near 1 = a loop)."""
    grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    if not grams:
        return 0.0
    counts = Counter(grams)
    return sum(c - 1 for c in counts.values()) / len(grams)


def symbol_ratio(text: str) -> float:
    """Share of non-space characters that are neither letters nor digits."""
    chars = len(text) - sum(c.isspace() for c in text)
    return len(_SYMBOL.findall(text)) / chars if chars else 0.0


@FILTERS.register("quality")
class Quality(Filter):
    """Drop repetitive or symbol-heavy text and text not in the example's language."""

    name = "quality"
    rowwise = True

    def __init__(
        self, max_repetition: float = 0.3, max_symbol_ratio: float = 0.25, check_lang: bool = True
    ):
        self.max_repetition = max_repetition
        self.max_symbol_ratio = max_symbol_ratio
        self.check_lang = check_lang

    def apply(self, examples: list[Example], ctx: CleanContext):
        kept, removed = [], []
        for e in examples:
            reason = self.reason(e)
            if reason:
                removed.append(Removed(e, reason))
            else:
                kept.append(e)
        return kept, removed

    def reason(self, e: Example) -> str | None:
        text = _text(e)
        rep = repetition(words(text, e.lang))
        if rep > self.max_repetition:
            return f"repetitive: {rep:.2f} of 3-grams repeat"
        sym = symbol_ratio(text)
        if sym > self.max_symbol_ratio:
            return f"symbols: {sym:.2f} of characters are symbols"
        if self.check_lang:
            lang = detect_lang(text)
            if lang != e.lang:
                return f"language mismatch: text is {lang}, example says {e.lang}"
        return None
