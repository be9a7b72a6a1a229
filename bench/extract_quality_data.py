"""Data and name matching for bench/extract_quality.py: WebNLG gold triples, BBC articles, literals.

WebNLG (English, 1,001 test items of DBpedia triples with human-written texts) is the GEM task inside
the bigbench 1.0.0 sdist on PyPI. The bench reads ``task.json`` out of the tarball with ``tarfile``
and caches it in ~/.cache/kgsynth-bench (``pip download`` fetches the tarball when it is missing).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import unicodedata
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

CACHE = Path.home() / ".cache" / "kgsynth-bench"
SDIST = "bigbench-1.0.0.tar.gz"
MEMBER = "bigbench-1.0.0/bigbench/benchmark_tasks/gem/webnlg_en/task.json"
TASK = "gem_webnlg_en_task.json"
MONTHS = {
    m: i + 1
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
_DATE = re.compile(r"^(\d{4})(?:-(\d\d)-(\d\d))?$")
_NUMBER = re.compile(r"^-?\d[\d,]*(?:\.\d+)?(?:\s*\(.*\))?$")
_NUMBERS = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_ARTICLES = ("the ", "a ", "an ")
SAME = {
    "united states of america": "united states",
    "usa": "united states",
    "us": "united states",
    "u s": "united states",
    "u s a": "united states",
    "america": "united states",
    "uk": "united kingdom",
    "great britain": "united kingdom",
}
CLASS_WORDS = frozenset(
    {"league", "city", "town", "airport", "album", "film", "song", "band", "club", "team"}
    | {"university", "river", "county", "state"}
)


# ---------------------------------------------------------------- WebNLG


@dataclass
class Gold:
    subject: str
    predicate: str
    object: str


@dataclass
class Item:
    id: str
    text: str
    triples: list[Gold] = field(default_factory=list)


def task_file() -> Path:
    """The WebNLG task file, extracted from the bigbench sdist once (fetched with pip if missing)."""
    path = CACHE / TASK
    if path.exists():
        return path
    sdist = CACHE / SDIST
    if not sdist.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        subprocess.run([*cmd, "-d", str(CACHE), "bigbench==1.0.0"], check=True)
    with tarfile.open(sdist) as tar:
        data = tar.extractfile(MEMBER).read()
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def parse_triples(text: str) -> list[Gold]:
    """``(S | p | O), (S | p | O)`` → Gold triples (values may hold commas and brackets)."""
    body = text.strip()
    if body.startswith("("):
        body = body[1:]
    if body.endswith(")"):
        body = body[:-1]
    out = []
    for part in body.split("), ("):
        bits = part.split(" | ")
        if len(bits) == 3:
            out.append(Gold(*(b.strip() for b in bits)))
    return out


def webnlg_items(n: int | None = None) -> list[Item]:
    """The first `n` WebNLG test items (all 1,001 when None); the text is the first reference."""
    examples = json.loads(task_file().read_text(encoding="utf-8"))["examples"]
    items = [
        Item(id=e["comment"], text=e["target"][0], triples=parse_triples(e["input"]))
        for e in examples
    ]
    return items[:n] if n else items


def bbc_paths(n: int) -> list[Path]:
    """`n` BBC News articles taken round-robin over the topic folders (a fixed, mixed sample)."""
    from kgsynth.app.demo import bbc_dir

    per_label = [sorted(d.glob("*.txt")) for d in sorted(bbc_dir().iterdir()) if d.is_dir()]
    files = [f for group in zip_longest(*per_label) for f in group if f is not None]
    return files[:n]


# ---------------------------------------------------------------- names and literals


def norm(name: str) -> str:
    """A matching key: accents, case, punctuation and a leading article dropped."""
    s = unicodedata.normalize("NFKD", name.replace("_", " "))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = re.sub(r"['’]s\b", "", s)
    s = " ".join(re.sub(r"[^\w\s]", " ", s).split())
    for a in _ARTICLES:
        if s.startswith(a):
            s = s[len(a) :]
    return s


def gold_keys(value: str) -> set[str]:
    """Keys a gold name may appear under: whole, without a DBpedia qualifier "(...)", either part
    of "Abilene, Texas", and the one spelling of the United States / Kingdom (see SAME)."""
    v = value.strip().strip('"').strip("'").strip()
    keys = {norm(v)}
    bare = re.sub(r"\s*\(.*?\)\s*$", "", v.replace("_", " "))
    keys.add(norm(bare))
    if "," in bare:
        keys |= {norm(part) for part in bare.split(",")}
    return {SAME.get(k, k) for k in keys if k}


def name_keys(name: str) -> set[str]:
    """Keys an extracted name may match under: itself, and without a trailing class noun
    ("Campeonato Brasileiro Serie C league", "Ciudad Ayala city")."""
    k = norm(name)
    keys = {SAME.get(k, k)}
    words = k.split()
    if len(words) > 1 and words[-1] in CLASS_WORDS:
        keys.add(" ".join(words[:-1]))
    return keys


def literal(value: str) -> str | None:
    """'date' or 'number' for a gold literal object (quoted or not), None for a name."""
    v = value.strip().strip('"').strip()
    if _DATE.match(v):
        return "date"
    if _NUMBER.match(v):
        return "number"
    return None


def date_parts(text: str) -> tuple[int | None, int | None, int | None]:
    """(year, month, day) read from "13 October 1964", "October 13th, 1964", "1964-10-13", "1964"."""
    m = re.search(r"(\d{4})-(\d\d)-(\d\d)", text)
    if m:
        return int(m.group(1)), int(m.group(2)), int(m.group(3))
    m = re.search(r"\b(\d\d?)[/.-](\d\d?)[/.-](\d{4})\b", text)  # 15/04/1986, 07-28-1944
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        day, month = (a, b) if a > 12 else (b, a) if b > 12 else (a, b)
        return int(m.group(3)), month, day
    low = text.lower()
    year = re.search(r"\b(\d{4})\b", low)
    month = next((v for k, v in MONTHS.items() if k in low), None)
    rest = re.sub(r"\b\d{4}\b", " ", low)
    day = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\b", rest) if month else None
    return (
        int(year.group(1)) if year else None,
        month,
        int(day.group(1)) if day else None,
    )


def numbers(text: str) -> list[float]:
    out = []
    for m in _NUMBERS.finditer(text):
        try:
            out.append(float(m.group(0).replace(",", "")))
        except ValueError:
            continue
    return out


def literal_match(gold: str, kind: str, names: list[str]) -> bool:
    """Does any of the extracted names state the gold literal (same date, same number)?"""
    if kind == "date":
        g = date_parts(gold)
        for n in names:
            y, mo, d = date_parts(n)
            same_month = mo is None or g[1] is None or mo == g[1]
            if y == g[0] and same_month and (d is None or g[2] is None or d == g[2]):
                return True
        return False
    want = numbers(gold)
    if not want:
        return False
    target = want[0]
    for n in names:
        for x in numbers(n):
            if abs(x - target) <= max(0.005 * abs(target), 0.01) or round(x) == round(target):
                return True
    return False


def matches(gold: str, names: list[str]) -> bool:
    """Does an entity with these names (name and aliases) stand for the gold value?"""
    kind = literal(gold)
    if kind is not None:
        return literal_match(gold, kind, names)
    keys = gold_keys(gold)
    return any(name_keys(n) & keys for n in names)


def camel_words(predicate: str) -> str:
    """DBpedia ``birthPlace`` → "birth place"; kgsynth ``based_in`` → "based in"."""
    s = re.sub(r"([a-z])([A-Z])", r"\1 \2", predicate).replace("_", " ")
    return s.lower().strip()
