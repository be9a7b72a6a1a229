"""Reading user-given JSONL and CSV files row by row, with errors that name the file and line.

Hostile rows fail as an :class:`InputError` naming the line, never as a crash: invalid JSON, nesting
too deep for the parser, numbers too long to convert. Lone UTF-16 surrogates (valid JSON escapes that
no UTF-8 text can hold) become U+FFFD.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from kgsynth.errors import InputError

_SURROGATE = re.compile(r"[\ud800-\udfff]")


def scrub(value: Any) -> Any:
    """`value` with every lone surrogate in its strings (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def parse_json_line(line: str, source: Path | str, n: int) -> Any:
    """One JSON value; anything unusable is an InputError naming ``source:n``."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as e:
        raise InputError(f"{source}:{n}: invalid JSON ({e.msg})") from e
    except RecursionError as e:
        raise InputError(f"{source}:{n}: JSON nested too deeply") from e
    except ValueError as e:  # e.g. an integer of more than 4,300 digits
        raise InputError(f"{source}:{n}: unusable JSON value ({str(e).split(':')[0]})") from e
    return scrub(value)


def json_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of JSONL text, split on newlines only (a U+2028 inside a string stays)."""
    for n, line in enumerate(text.split("\n"), start=1):
        yield n, line.removesuffix("\r")


def iter_jsonl(
    lines: Iterable[str], source: Path | str, *, objects_only: bool = True
) -> Iterator[tuple[int, Any]]:
    """(line number, value) for each non-blank line; bad JSON is an InputError naming the line."""
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        row = parse_json_line(line, source, n)
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
