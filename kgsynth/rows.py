"""Reading user-given JSONL and CSV files row by row, with errors that name the file and line."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from kgsynth.errors import InputError


def iter_jsonl(
    lines: Iterable[str], source: Path | str, *, objects_only: bool = True
) -> Iterator[tuple[int, Any]]:
    """(line number, value) for each non-blank line; bad JSON is an InputError naming the line."""
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{source}:{n}: invalid JSON ({e.msg})") from e
        if objects_only and not isinstance(row, dict):
            raise InputError(f"{source}:{n}: expected a JSON object per line")
        yield n, row


def iter_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """Rows of a .csv/.tsv (header line 1) or JSONL file as dicts, with 1-based line numbers."""
    suffix = path.suffix.lower()
    with path.open(newline="" if suffix in (".csv", ".tsv") else None, encoding="utf-8") as f:
        if suffix in (".csv", ".tsv"):
            delimiter = "\t" if suffix == ".tsv" else ","
            yield from enumerate(csv.DictReader(f, delimiter=delimiter), start=2)
        else:
            yield from iter_jsonl(f, path)
