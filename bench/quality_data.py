"""Labeled corpora for the quality benchmark: BBC News out of the box, or any labeled CSV/JSONL.

Rows are normalised and exact duplicates dropped (so no article sits in both the pool and the test
set), then split, stratified, into an unlabeled pool and a held-out test set. Seeds are drawn from
the pool.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

from kgsynth.app.demo import bbc_dir
from kgsynth.errors import InputError
from kgsynth.text import normalize_text


@dataclass
class Row:
    text: str
    label: str


@dataclass
class Split:
    pool: list[Row]
    test: list[Row]

    @property
    def labels(self) -> list[str]:
        return sorted({r.label for r in self.pool + self.test})


def load_label_dirs(root: Path) -> list[Row]:
    """<root>/<label>/*.txt, one document per file."""
    rows = []
    for label_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in sorted(label_dir.glob("*.txt")):
            rows.append(Row(f.read_text(encoding="utf-8", errors="replace"), label_dir.name))
    if not rows:
        raise InputError(f"{root}: no <label>/*.txt files found")
    return rows


def load_table(path: Path, text_col: str = "text", label_col: str = "label") -> list[Row]:
    """Rows of a CSV or JSONL file; a row without text or label is an error naming the line."""
    rows = []
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as f:
            records = [(i, r) for i, r in enumerate(csv.DictReader(f), start=2)]
    else:
        records = []
        with path.open(encoding="utf-8") as f:
            for i, line in enumerate(f, start=1):
                if line.strip():
                    try:
                        records.append((i, json.loads(line)))
                    except json.JSONDecodeError as e:
                        raise InputError(f"{path}:{i}: invalid JSON ({e.msg})") from e
    for i, rec in records:
        text, label = rec.get(text_col), rec.get(label_col)
        if text is None or label is None or not str(text).strip():
            raise InputError(f"{path}:{i}: needs non-empty {text_col!r} and {label_col!r} fields")
        rows.append(Row(str(text), str(label)))
    return rows


def load_rows(data: Path | None, text_col: str = "text", label_col: str = "label") -> list[Row]:
    """BBC News when `data` is None; a folder of <label>/*.txt; or a CSV/JSONL file."""
    path = Path(data) if data else bbc_dir()
    if not path.exists():
        raise InputError(f"{path} does not exist; pass --data FILE (CSV/JSONL) or a label folder")
    rows = load_label_dirs(path) if path.is_dir() else load_table(path, text_col, label_col)
    return dedup(rows)


def dedup(rows: list[Row]) -> list[Row]:
    """Normalise texts and keep the first of exact duplicates (across labels too)."""
    seen: set[str] = set()
    out = []
    for r in rows:
        text = normalize_text(r.text)
        if text and text not in seen:
            seen.add(text)
            out.append(Row(text, r.label))
    return out


def split(
    rows: list[Row], test_fraction: float, seed: int, max_pool: int = 0, max_test: int = 0
) -> Split:
    """Stratified pool/test split; optional per-split caps keep label proportions."""
    rng = random.Random(seed)
    by_label: dict[str, list[Row]] = {}
    for r in rows:
        by_label.setdefault(r.label, []).append(r)
    pool, test = [], []
    for label in sorted(by_label):
        items = by_label[label][:]
        rng.shuffle(items)
        n_test = max(1, round(len(items) * test_fraction))
        test += items[:n_test]
        pool += items[n_test:]
    if max_pool and len(pool) > max_pool:
        pool = _stratified_cap(pool, max_pool, rng)
    if max_test and len(test) > max_test:
        test = _stratified_cap(test, max_test, rng)
    return Split(pool, test)


def _stratified_cap(rows: list[Row], cap: int, rng: random.Random) -> list[Row]:
    by_label: dict[str, list[Row]] = {}
    for r in rows:
        by_label.setdefault(r.label, []).append(r)
    share = cap / len(rows)
    out = []
    for label in sorted(by_label):
        items = by_label[label]
        out += rng.sample(items, max(1, round(len(items) * share)))
    return out


def draw_seeds(pool: list[Row], k: int, draw: int) -> dict[str, list[int]]:
    """k random pool indices per label (fewer when a label has fewer rows)."""
    rng = random.Random(1000 + 97 * k + draw)
    by_label: dict[str, list[int]] = {}
    for i, r in enumerate(pool):
        by_label.setdefault(r.label, []).append(i)
    return {lab: sorted(rng.sample(idx, min(k, len(idx)))) for lab, idx in sorted(by_label.items())}
