"""Duplicates: exact (normalized text), near (MinHash LSH over word n-grams), semantic (MiniLM cosine).

Near duplicates are pairs with a word n-gram Jaccard similarity over a threshold, and (for long texts:
articles) pairs where nearly all n-grams of the shorter text are in the longer one: a news story and
its later, longer version share most of the short one's words but few of the long one's, so their
Jaccard similarity is low although a reader sees the same article. Those pairs are found through an
index of the n-grams few texts share, then measured exactly.

The near-duplicate search shingles each text once, hashes every shingle of every text in one numpy
pass (no per-shingle Python calls), bands the signatures with numpy, and verifies candidate pairs
with the exact Jaccard similarity, so it reports no false positives. A text's shingles and
signature depend on that text alone (words hash to stable ids), so they are computed on the
workspace's engine, in batches; banding and verification run in the driver.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from functools import lru_cache

import numpy as np

from kgsynth.engine import Engine, LocalEngine, Work
from kgsynth.text import words
from kgsynth.types import Example
from synth.clean.base import FILTERS, CleanContext, Filter, Removed

_MASK32 = np.uint64(0xFFFFFFFF)
_SPACE = re.compile(r"\s+")


def example_text(e: Example) -> str:
    """What makes an example itself: for a pair asked about a passage, its question and answer
    (the passage is shared by every question about it), else its input (and output)."""
    if e.output and e.meta.get("question"):
        return f"{e.meta['question']}\n{e.output}"
    return e.input if not e.output else f"{e.input}\n{e.output}"


# ------------------------------------------------------------------ near duplicates (MinHash)


@lru_cache(maxsize=1 << 18)
def _word_id(word: str) -> int:
    """A 64-bit id of a word, the same in every process (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


def shingles(texts: list[str], ngram: int = 3, lang: str = "en") -> list[np.ndarray]:
    """Per text, the 32-bit hashes of its distinct word n-grams (a text shorter than n is one)."""
    out = []
    for text in texts:
        ids = np.fromiter((_word_id(w) for w in words(text, lang)), dtype=np.uint64)
        if len(ids) == 0:
            out.append(np.zeros(0, dtype=np.uint64))
            continue
        n = min(ngram, len(ids))
        h = np.zeros(len(ids) - n + 1, dtype=np.uint64)
        for k in range(n):
            h = (h * np.uint64(1000003)) ^ ids[k : len(ids) - n + 1 + k]
        out.append(np.unique(h & _MASK32))
    return out


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer: spreads shingle hashes over all 64 bits."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def signatures(sets: list[np.ndarray], num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """MinHash signatures (len(sets), num_perm): per permutation, the min over a text's shingles
    of the multiply-shift hash (a*x + b mod 2^64) >> 32 of the mixed shingle hash x."""
    rng = np.random.RandomState(seed)
    a = rng.randint(0, 1 << 63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.randint(0, 1 << 63, size=num_perm, dtype=np.uint64)
    sig = np.full((len(sets), num_perm), np.iinfo(np.uint64).max, dtype=np.uint64)
    start = 0
    with np.errstate(over="ignore"):
        while start < len(sets):
            stop, size = start, 0
            while stop < len(sets) and (size < 16384 or stop == start):
                size += len(sets[stop])
                stop += 1
            part = sets[start:stop]
            lens = np.array([len(s) for s in part])
            if lens.sum():
                flat = _mix(np.concatenate(part))
                hv = (flat[:, None] * a[None, :] + b[None, :]) >> np.uint64(32)
                rows = np.flatnonzero(lens)
                offsets = np.concatenate([[0], np.cumsum(lens)[:-1]])[rows]
                sig[start + rows] = np.minimum.reduceat(hv, offsets, axis=0)
            start = stop
    return sig


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) tuned for a threshold 0.1 lower, weighted towards recall: candidates are
    verified with the exact Jaccard afterwards, so extra candidates cost time, not precision."""
    from datasketch.lsh import _optimal_param

    return _optimal_param(max(0.05, threshold - 0.1), num_perm, 0.1, 0.9)


class Sketch(Work):
    """Each text's shingle hashes and MinHash signature, as engine work."""

    local_below = 10_000  # a fraction of a millisecond per text

    def __init__(self, ngram: int, num_perm: int, lang: str):
        self.ngram, self.num_perm, self.lang = ngram, num_perm, lang

    def run(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        sets = shingles(texts, self.ngram, self.lang)
        return list(zip(sets, signatures(sets, self.num_perm), strict=True))


def near_duplicate_pairs(
    texts: list[str],
    threshold: float = 0.7,
    ngram: int = 3,
    num_perm: int = 128,
    lang: str = "en",
    engine: Engine | None = None,
    containment: float | None = None,
    min_shingles: int = 100,
) -> list[tuple[int, int, float]]:
    """Pairs (i, j, score) with i < j whose word n-gram Jaccard similarity is >= threshold (the
    score); with `containment`, also pairs of texts of at least `min_shingles` n-grams each where
    that share of the shorter one's n-grams is in the other (the score is the share). The texts
    are sketched on `engine` (this process when None)."""
    if not texts:
        return []
    engine = engine or LocalEngine(None)
    size = engine.task_size(len(texts))
    sketches = engine.map(Sketch(ngram, num_perm, lang), texts, batch_size=size)
    sets = [s for s, _ in sketches]
    sig = np.stack([g for _, g in sketches])
    candidates = _candidates(sig, threshold, num_perm)
    is_long = {i for i, s in enumerate(sets) if len(s) >= min_shingles}
    if containment:
        candidates |= _shared_rare(sets, sorted(is_long))
    pairs = []
    pysets = {}
    for i, j in sorted(candidates):
        si = pysets.setdefault(i, set(sets[i].tolist()))
        sj = pysets.setdefault(j, set(sets[j].tolist()))
        common, union = len(si & sj), len(si | sj)
        jac = common / union if union else 0.0
        if jac >= threshold:
            pairs.append((i, j, jac))
        elif containment and i in is_long and j in is_long:
            share = common / min(len(si), len(sj))
            if share >= containment:
                pairs.append((i, j, share))
    return pairs


def _shared_rare(
    sets: list[np.ndarray], idx: list[int], max_df: int = 50, min_shared: int = 10
) -> set[tuple[int, int]]:
    """Pairs of texts (among `idx`) sharing at least `min_shared` n-grams that few texts have
    (at most `max_df`): the candidates for containment. A story and its longer version share
    hundreds of such n-grams; unrelated articles share a handful (an inverted index, no LSH, as
    the Jaccard similarity of such a pair can be as low as 0.3)."""
    if len(idx) < 2:
        return set()
    owner = np.concatenate([np.full(len(sets[i]), i, dtype=np.int64) for i in idx])
    grams = np.concatenate([sets[i] for i in idx])
    order = np.argsort(grams, kind="stable")
    grams, owner = grams[order], owner[order]
    starts = np.flatnonzero(np.r_[True, grams[1:] != grams[:-1]])
    sizes = np.diff(np.r_[starts, len(grams)])
    keys = []
    n = max(idx) + 1
    rare = (sizes >= 2) & (sizes <= max_df)
    for size in np.unique(sizes[rare]):  # all n-grams of one document frequency at once
        docs = owner[starts[rare & (sizes == size)][:, None] + np.arange(size)]
        a, b = np.triu_indices(size, k=1)
        keys.append((docs[:, a] * n + docs[:, b]).ravel())
    if not keys:
        return set()
    pair_keys, counts = np.unique(np.concatenate(keys), return_counts=True)
    return {(int(k // n), int(k % n)) for k in pair_keys[counts >= min_shared]}


def _candidates(sig: np.ndarray, threshold: float, num_perm: int) -> set[tuple[int, int]]:
    """Index pairs (i < j) that share a band of their MinHash signatures (LSH)."""
    bands, rows = lsh_params(threshold, num_perm)
    candidates: set[tuple[int, int]] = set()
    for band in range(bands):
        block = np.ascontiguousarray(sig[:, band * rows : (band + 1) * rows])
        keys = block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel()
        _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        if counts.max(initial=0) < 2:
            continue
        order = np.argsort(inverse, kind="stable")
        ends = np.cumsum(counts)
        for bucket in np.flatnonzero(counts > 1):
            members = order[ends[bucket] - counts[bucket] : ends[bucket]]
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    candidates.add((int(members[x]), int(members[y])))
    return candidates


def groups(n: int, pairs) -> list[int]:
    """Union-find over pairs: the smallest index of each item's group."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, *_ in pairs:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return [find(i) for i in range(n)]


def _drop_grouped(examples: list[Example], pairs, label: str):
    """Keep the first example of each group; the rest are removed, naming what they duplicate."""
    best: dict[int, tuple[int, float]] = {}
    for i, j, score in pairs:
        best.setdefault(j, (i, score))
    root = groups(len(examples), pairs)
    kept, removed = [], []
    for k, e in enumerate(examples):
        if root[k] == k:
            kept.append(e)
        else:
            i, score = best.get(k, (root[k], 1.0))
            removed.append(Removed(e, f"{label}: of {examples[i].id} ({score:.2f})"))
    return kept, removed


@FILTERS.register("exact_dedup")
class ExactDedup(Filter):
    """Drop exact duplicates (same task and text after case and whitespace folding)."""

    name = "exact_dedup"

    def apply(self, examples: list[Example], ctx: CleanContext):
        seen: dict[tuple, str] = {}
        kept, removed = [], []
        for e in examples:
            key = (e.task, _fold(e.input), _fold(e.output or ""), e.label)
            if key in seen:
                removed.append(Removed(e, f"exact duplicate: of {seen[key]}"))
            else:
                seen[key] = e.id
                kept.append(e)
        return kept, removed


def _fold(s: str) -> str:
    return _SPACE.sub(" ", s).strip().casefold()


@FILTERS.register("near_dedup")
class NearDedup(Filter):
    """Drop near duplicates: word n-gram Jaccard >= threshold, or for long texts (articles) the
    shorter one's n-grams >= `containment` inside the other (found by MinHash LSH and an index of
    rare n-grams, verified exactly)."""

    name = "near_dedup"

    def __init__(
        self,
        threshold: float = 0.7,
        ngram: int = 3,
        num_perm: int = 128,
        containment: float | None = 0.85,
        min_shingles: int = 100,
    ):
        self.threshold, self.ngram, self.num_perm = threshold, ngram, num_perm
        self.containment, self.min_shingles = containment, min_shingles

    def apply(self, examples: list[Example], ctx: CleanContext):
        by_lang: dict[str, list[int]] = defaultdict(list)
        for k, e in enumerate(examples):
            by_lang[e.lang].append(k)
        pairs = []
        for lang, idx in by_lang.items():
            texts = [example_text(examples[k]) for k in idx]
            found = near_duplicate_pairs(
                texts,
                self.threshold,
                self.ngram,
                self.num_perm,
                lang,
                getattr(ctx.ws, "engine", None),
                self.containment,
                self.min_shingles,
            )
            pairs += [(idx[i], idx[j], s) for i, j, s in found]
        return _drop_grouped(examples, sorted(pairs), "near duplicate")


def semantic_pairs(vectors: np.ndarray, threshold: float, block: int = 1024):
    """Pairs (i, j, cosine) with i < j and cosine >= threshold, for unit vectors."""
    pairs = []
    for start in range(0, len(vectors), block):
        sims = vectors[start : start + block] @ vectors.T
        for r, c in zip(*np.nonzero(sims >= threshold), strict=True):
            i = start + int(r)
            if int(c) > i:
                pairs.append((i, int(c), float(sims[r, c])))
    return pairs


@FILTERS.register("semantic_dedup")
class SemanticDedup(Filter):
    """Drop semantic duplicates: MiniLM sentence embeddings with cosine >= threshold."""

    name = "semantic_dedup"

    def __init__(self, threshold: float = 0.95):
        self.threshold = threshold

    def apply(self, examples: list[Example], ctx: CleanContext):
        from kgsynth.embeddings import encode_on

        if not examples:
            return [], []
        texts = [example_text(e) for e in examples]
        vectors = encode_on(getattr(ctx.ws, "engine", None), texts, ctx.progress)
        pairs = sorted(semantic_pairs(vectors, self.threshold))
        return _drop_grouped(examples, pairs, "semantic duplicate")
