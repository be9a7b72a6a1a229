"""Decontamination: drop examples that share word n-grams with user-given evaluation sets.

Evaluation files: .jsonl (every string field of every row), .csv (every text column), .txt (one
item per line). An example is contaminated when at least `min_ratio` of its n-grams (and at least
one) occur in an evaluation item, or when its whole text equals one.
"""

from __future__ import annotations

import csv
from pathlib import Path

from kgsynth.errors import InputError
from kgsynth.rows import iter_jsonl
from kgsynth.text import words
from kgsynth.types import Example
from synth.clean.base import FILTERS, CleanContext, Filter, Removed


def read_eval_texts(path: Path) -> list[str]:
    """All text items of one evaluation file."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"evaluation set {path} does not exist")
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8", errors="replace")
    if suffix in (".jsonl", ".json"):
        rows = iter_jsonl(text.splitlines(), path, objects_only=False)
        return [s for _, row in rows for s in _strings(row)]
    if suffix in (".csv", ".tsv"):
        delim = "\t" if suffix == ".tsv" else ","
        return [
            v
            for row in csv.DictReader(text.splitlines(), delimiter=delim)
            for v in row.values()
            if isinstance(v, str) and len(v.split()) > 1
        ]
    if suffix == ".txt":
        return [line for line in text.splitlines() if line.strip()]
    raise InputError(
        f"evaluation set {path}: unsupported type {suffix!r}; use .jsonl, .csv or .txt"
    )


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


@FILTERS.register("decontam")
class Decontam(Filter):
    """Drop examples whose n-grams overlap an evaluation set (files from ``eval_sets``)."""

    name = "decontam"

    def __init__(self, n: int = 8, min_ratio: float = 0.1, files: list[str] | None = None):
        self.n, self.min_ratio, self.files = n, min_ratio, [Path(f) for f in files or []]

    def apply(self, examples: list[Example], ctx: CleanContext):
        files = self.files + list(ctx.eval_sets)
        if not files:
            raise InputError("decontam needs evaluation sets: pass --eval-set FILE (jsonl/csv/txt)")
        grams: set[tuple[str, ...]] = set()
        whole: set[str] = set()
        for f in files:
            for item in read_eval_texts(f):
                toks = words(item)
                grams |= ngrams(toks, self.n)
                whole.add(" ".join(toks))
        kept, removed = [], []
        for e in examples:
            reason = None
            for text in (e.input, e.output or ""):
                toks = words(text, e.lang)
                if not toks:
                    continue
                mine = ngrams(toks, self.n)
                hits = len(mine & grams)
                if " ".join(toks) in whole:
                    reason = "contaminated: text equals an evaluation item"
                elif hits and hits / len(mine) >= self.min_ratio:
                    reason = f"contaminated: {hits}/{len(mine)} {self.n}-grams in evaluation sets"
                if reason:
                    break
            if reason:
                removed.append(Removed(e, reason))
            else:
                kept.append(e)
        return kept, removed
