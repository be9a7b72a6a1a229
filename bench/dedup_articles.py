"""Near-duplicate articles, one run on the same data (issue 19, item 7):

The BBC News corpus holds stories twice: a report and its later, longer update, the same story under
a new headline. The near-dedup filter before (word 3-gram Jaccard >= 0.7, MinHash LSH) is the
baseline; the filter now adds containment (>= 0.85 of the shorter article's 3-grams in the longer,
both at least 100 3-grams). Ground truth: every pair of articles compared exactly (a sparse 3-gram
incidence matrix), a pair is a near duplicate when either rule holds. Exact copies (Jaccard 1.0) are
left out: exact_dedup removes them first. Prints pairs found, recall, time and the ratios, and every
pair only the new filter catches, for reading.

    .venv/bin/python bench/dedup_articles.py            # all 2,225 articles
    .venv/bin/python bench/dedup_articles.py --quick    # politics and sports only
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synth.clean.dedup import near_duplicate_pairs, shingles  # noqa: E402
from tests.fixtures.corpus import bbc_root  # noqa: E402

THRESHOLD, CONTAINMENT, MIN_SHINGLES = 0.7, 0.85, 100


def articles(quick: bool) -> list[Path]:
    labels = ["politics", "sport", "sports"] if quick else None
    dirs = [d for d in sorted(bbc_root().iterdir()) if d.is_dir()]
    return [f for d in dirs if labels is None or d.name in labels for f in sorted(d.glob("*.txt"))]


def truth(texts: list[str]) -> dict[tuple[int, int], tuple[float, float]]:
    """Every pair with any shared 3-gram: (jaccard, containment), computed exactly."""
    from scipy import sparse

    sets = shingles(texts)
    rows = np.concatenate([np.full(len(s), i) for i, s in enumerate(sets)])
    vocab, cols = np.unique(np.concatenate(sets), return_inverse=True)
    m = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), len(vocab)))
    common = (m @ m.T).tocoo()
    sizes = np.array([len(s) for s in sets])
    out = {}
    for i, j, c in zip(common.row, common.col, common.data, strict=True):
        if i < j:
            small = min(sizes[i], sizes[j])
            out[(int(i), int(j))] = (c / (sizes[i] + sizes[j] - c), c / small)
    return out, sizes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="politics and sports only")
    args = ap.parse_args()
    files = articles(args.quick)
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    pairs, sizes = truth(texts)
    long = sizes >= MIN_SHINGLES

    def near(i, j, jac, share):
        return jac >= THRESHOLD or (long[i] and long[j] and share >= CONTAINMENT)

    gold = {p for p, (jac, share) in pairs.items() if near(*p, jac, share) and jac < 1.0}
    near_duplicate_pairs(texts[:50], THRESHOLD)  # warm imports

    t0 = time.perf_counter()
    base = {(i, j) for i, j, _ in near_duplicate_pairs(texts, THRESHOLD)}
    t_base = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = {
        (i, j)
        for i, j, _ in near_duplicate_pairs(
            texts, THRESHOLD, containment=CONTAINMENT, min_shingles=MIN_SHINGLES
        )
    }
    t_ours = time.perf_counter() - t0
    base, ours = base - _exact(pairs), ours - _exact(pairs)

    print(
        f"{len(texts)} articles; near-duplicate pairs (not exact copies) by exact comparison: "
        f"{len(gold)}"
    )
    print(f"{'filter':<28}{'pairs':>7}{'recall':>9}{'false':>7}{'seconds':>9}")
    for name, found, secs in (
        ("before: Jaccard >= 0.7", base, t_base),
        ("now: + containment >= 0.85", ours, t_ours),
    ):
        recall = len(found & gold) / len(gold) if gold else 1.0
        print(f"{name:<28}{len(found):>7}{recall:>9.3f}{len(found - gold):>7}{secs:>9.2f}")
    r_base = len(base & gold) / max(1, len(gold))
    r_ours = len(ours & gold) / max(1, len(gold))
    print(
        f"recall ratio now/before: {r_ours / max(r_base, 1e-9):.2f}x; "
        f"time ratio now/before: {t_ours / max(t_base, 1e-9):.2f}x"
    )
    print("\npairs only the new filter catches (jaccard, containment, words):")
    for i, j in sorted(ours - base):
        jac, share = pairs[(i, j)]
        a, b = files[i], files[j]
        print(
            f"  {jac:.2f} {share:.2f}  {a.parent.name}/{a.name} ({len(texts[i].split())})"
            f"  {b.parent.name}/{b.name} ({len(texts[j].split())})  "
            f"{texts[i].splitlines()[0][:40]!r} / {texts[j].splitlines()[0][:40]!r}"
        )


def _exact(pairs) -> set[tuple[int, int]]:
    return {p for p, (jac, _) in pairs.items() if jac >= 1.0}


if __name__ == "__main__":
    main()
