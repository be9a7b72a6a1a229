"""Cleaning benchmark, one run on the same data:

1. Near-duplicate detection on real BBC sentences with planted near copies: examples/s and recall
   (and precision) against exact-Jaccard ground truth, kgsynth's near-dup search vs a plain
   datasketch MinHashLSH loop (MinHash per text, update per shingle, query then insert).
2. PII detection precision and recall on a planted set, English and Chinese, with look-alikes
   (bad checksums, amounts, dates) as negatives.

    .venv/bin/python bench/clean.py [--articles 400] [--threshold 0.7]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kgsynth.text import split_sentences, words  # noqa: E402
from synth.clean.dedup import near_duplicate_pairs, shingles  # noqa: E402
from synth.clean.pii import find_pii  # noqa: E402
from tests.fixtures.corpus import BBC_LABELS, bbc_root  # noqa: E402

# ------------------------------------------------------------------ data


def bbc_sentences(articles: int) -> list[str]:
    out = []
    labels = [d.name for d in sorted(bbc_root().iterdir()) if d.is_dir()] or BBC_LABELS
    per = max(1, articles // len(labels))
    for label in labels:
        for path in sorted((bbc_root() / label).glob("*.txt"))[:per]:
            text = path.read_text(encoding="utf-8", errors="replace")
            out += [text[a:b] for a, b in split_sentences(text) if len(text[a:b].split()) >= 6]
    return out


def perturb(text: str, rng: random.Random, rate: float) -> str:
    toks = text.split()
    for _ in range(max(1, int(rate * len(toks)))):
        op = rng.random()
        i = rng.randrange(len(toks))
        if op < 0.4:
            toks[i] = rng.choice(["new", "major", "said", "also", "many", "however"])
        elif op < 0.7 and len(toks) > 3:
            del toks[i]
        else:
            toks.insert(i, rng.choice(["really", "now", "still", "again"]))
    return " ".join(toks)


def with_near_copies(sents: list[str], share: float = 0.15, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    copies = [
        perturb(s, rng, rng.choice([0.03, 0.06, 0.1, 0.15])) for s in sents if rng.random() < share
    ]
    data = sents + copies
    rng.shuffle(data)
    return data


# ------------------------------------------------------------------ near duplicates


def ground_truth(texts: list[str], threshold: float, ngram: int = 3) -> set[tuple[int, int]]:
    """Exact Jaccard over the same word n-gram sets, via a sparse co-occurrence product."""
    from scipy import sparse

    sets = shingles(texts, ngram)
    rows = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    _, cols = np.unique(np.concatenate(sets), return_inverse=True)
    x = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(len(sets), int(cols.max()) + 1)
    )
    inter = sparse.triu(x @ x.T, k=1).tocoo()
    sizes = np.array([len(s) for s in sets])
    jac = inter.data / (sizes[inter.row] + sizes[inter.col] - inter.data)
    keep = jac >= threshold
    return set(zip(inter.row[keep].tolist(), inter.col[keep].tolist(), strict=True))


def datasketch_loop(texts: list[str], threshold: float, ngram: int = 3, num_perm: int = 128):
    """The plain way: one MinHash per text, one update per shingle, query then insert."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    pairs = set()
    for i, text in enumerate(texts):
        toks = words(text)
        n = min(ngram, len(toks))
        m = MinHash(num_perm=num_perm)
        for k in range(len(toks) - n + 1):
            m.update(" ".join(toks[k : k + n]).encode("utf-8"))
        for j in lsh.query(m):
            pairs.add((j, i))
        lsh.insert(i, m)
    return pairs


def score(found: set, truth: set) -> tuple[float, float]:
    hit = len(found & truth)
    return hit / len(truth) if truth else 1.0, hit / len(found) if found else 1.0


def bench_near_dup(articles: int, threshold: float) -> None:
    texts = with_near_copies(bbc_sentences(articles))
    t0 = time.perf_counter()
    truth = ground_truth(texts, threshold)
    t_truth = time.perf_counter() - t0
    near_duplicate_pairs(texts[:200], threshold)  # warm imports
    datasketch_loop(texts[:50], threshold)
    t0 = time.perf_counter()
    ours = {(i, j) for i, j, _ in near_duplicate_pairs(texts, threshold)}
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    base = datasketch_loop(texts, threshold)
    t_base = time.perf_counter() - t0
    r_ours, p_ours = score(ours, truth)
    r_base, p_base = score(base, truth)
    n = len(texts)
    print(
        f"near-dup: {n} BBC sentences (with planted near copies), word 3-gram Jaccard >= "
        f"{threshold}; ground truth {len(truth)} pairs (exact, {t_truth:.2f}s)"
    )
    print(f"  {'method':<28} {'ex/s':>9} {'seconds':>8} {'recall':>7} {'precision':>9}")
    print(
        f"  {'kgsynth near_dedup':<28} {n / t_ours:>9.0f} {t_ours:>8.2f} {r_ours:>7.3f} "
        f"{p_ours:>9.3f}"
    )
    print(
        f"  {'datasketch MinHashLSH loop':<28} {n / t_base:>9.0f} {t_base:>8.2f} {r_base:>7.3f} "
        f"{p_base:>9.3f}"
    )
    print(
        f"  speed ratio kgsynth/datasketch: {t_base / t_ours:.1f}x   "
        f"(targets: recall >= 0.95, ratio >= 1)"
    )


# ------------------------------------------------------------------ PII


def luhn_digit(body: str) -> str:
    for d in "0123456789":
        from synth.clean.pii import luhn_ok

        if luhn_ok(body + d):
            return d
    raise AssertionError


def fake_card(rng) -> str:
    body = rng.choice(["4", "51", "37"]) + "".join(rng.choice("0123456789") for _ in range(14))
    body = body[:15]
    n = body + luhn_digit(body)
    return " ".join(n[i : i + 4] for i in range(0, 16, 4))


def fake_iban(rng) -> str:
    bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + "".join(
        rng.choice("0123456789") for _ in range(14)
    )
    country = rng.choice(["GB", "DE", "FR", "NL"])
    moved = bban + country + "00"
    check = 98 - int("".join(str(int(c, 36)) for c in moved)) % 97
    iban = f"{country}{check:02d}{bban}"
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def fake_cn_id(rng, valid: bool = True) -> str:
    from synth.clean.pii import cn_id_ok

    body = (
        rng.choice(["110105", "310101", "440301"])
        + str(rng.randint(1950, 2005))
        + f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    )
    good = [c for c in "0123456789X" if cn_id_ok(body + c)][0]
    return body + (good if valid else next(c for c in "0123456789" if c != good))


def _d(r, n: int) -> str:
    return "".join(r.choice("0123456789") for _ in range(n))


EN_MAKERS = {
    "EMAIL": lambda r: (
        r.choice(["j.smith", "anna_lee", "press", "first.last+news"])
        + f"{r.randint(1, 99)}@"
        + r.choice(["example.com", "mail.co.uk", "news.bbc-example.org", "uni.ac.uk"])
    ),
    "PHONE": lambda r: r.choice(
        [
            f"+44 20 {r.randint(7000, 7999)} {_d(r, 4)}",
            f"+44 (0)20 {r.randint(7000, 7999)} {_d(r, 4)}",
            f"({r.randint(200, 999)}) {r.randint(200, 999)}-{_d(r, 4)}",
            f"+1-{r.randint(200, 999)}-{r.randint(200, 999)}-{_d(r, 4)}",
            f"{r.randint(200, 999)}.{r.randint(200, 999)}.{_d(r, 4)}",
            f"07{_d(r, 3)} {_d(r, 6)}",
            f"0{r.randint(1000, 1999)} {_d(r, 6)}",
        ]
    ),
    "CREDIT_CARD": lambda r: r.choice(
        [fake_card(r), fake_card(r).replace(" ", "-"), fake_card(r).replace(" ", "")]
    ),
    "IBAN": lambda r: r.choice([fake_iban(r), fake_iban(r).replace(" ", "")]),
    "IP": lambda r: r.choice(
        [
            ".".join(str(r.randint(1, 254)) for _ in range(4)),
            f"2001:db8:{r.randint(1, 9999)}::{r.randint(1, 99)}",
        ]
    ),
}
EN_LOOKALIKES = [
    lambda r: f"${r.randint(1, 9)},{r.randint(100, 999)},{r.randint(100, 999)}.{r.randint(10, 99)}",
    lambda r: f"{r.randint(1990, 2004)}-{r.randint(1, 12):02d}",
    lambda r: f"{r.randint(1, 28)}.{r.randint(1, 12)}.{r.randint(1990, 2005)}",
    lambda r: (lambda c: c[:-1] + str((int(c[-1]) + 1) % 10))(fake_card(r)),
    lambda r: f"978-{r.randint(0, 9)}-{r.randint(10, 99)}-{_d(r, 6)}-{r.randint(0, 9)}",
    lambda r: f"{r.randint(10, 23)}:{r.randint(10, 59)}:{r.randint(10, 59)}",
    lambda r: f"{r.randint(10, 99)}.{r.randint(1, 9)}%",
    lambda r: f"{r.randint(1, 5)}-{r.randint(0, 5)}",
    lambda r: f"v{r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 9)}",
]
ZH_TEMPLATES = [
    "请拨打{}联系我们的客服。",
    "他的联系方式是{}，欢迎来电。",
    "记者在北京获悉，相关信息为{}。",
    "如有疑问请通过{}咨询。",
    "报名者需提供{}以便核实。",
]
ZH_MAKERS = {
    "CN_MOBILE": lambda r: (
        f"1{r.choice('3456789')}{r.randint(0, 9)}{r.randint(10000000, 99999999)}"
    ),
    "CN_ID": fake_cn_id,
    "EMAIL": EN_MAKERS["EMAIL"],
}
ZH_LOOKALIKES = [
    lambda r: fake_cn_id(r, valid=False),
    lambda r: f"{r.randint(1990, 2024)}年",
    lambda r: f"{r.randint(100, 9999)}万元",
    lambda r: f"订单号{_d(r, 13)}",
    lambda r: f"邮编{r.randint(100000, 999999)}",
    lambda r: str(r.randint(10**9, 10**10 - 1)),
]


def planted(sents: list[str], makers, lookalikes, per_type: int, rng, zh: bool):
    items = []  # (text, [(type, value)])
    for kind, make in makers.items():
        for _ in range(per_type):
            value = make(rng)
            if zh:
                text = rng.choice(ZH_TEMPLATES).format(value)
            else:
                s = rng.choice(sents)
                text = f"{s.rstrip('.')} (contact: {value})."
            items.append((text, [(kind, value)]))
    for _ in range(per_type * 2):
        value = rng.choice(lookalikes)(rng)
        text = (
            rng.choice(ZH_TEMPLATES).format(value) if zh else f"{rng.choice(sents)} It was {value}."
        )
        items.append((text, []))
    return items


def pii_scores(items, types, lang) -> tuple[float, float, int]:
    tp = fp = fn = 0
    for text, truth in items:
        found = [(s.type, s.text) for s in find_pii(text, types=types, lang=lang)]
        for t in truth:
            if t in found:
                tp += 1
            else:
                fn += 1
        fp += sum(f not in truth for f in found)
    return tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0, tp + fn


def bench_pii(sents: list[str]) -> None:
    rng = random.Random(7)
    en_types = tuple(EN_MAKERS)
    # negatives must be free of the pattern types (real news has none; verify)
    flagged = [(s, find_pii(s, types=en_types)) for s in sents]
    flagged = [(s, f) for s, f in flagged if f]
    clean = [s for s in sents if not any(s == x for x, _ in flagged)][:400]
    en = planted(clean, EN_MAKERS, EN_LOOKALIKES, 40, rng, zh=False)
    zh = planted([], ZH_MAKERS, ZH_LOOKALIKES, 40, rng, zh=True)
    print("\nPII detection on planted sets (span-level; look-alikes as negatives):")
    p, r, n = pii_scores(en, en_types, "en")
    print(
        f"  English  (email, phone, card, IBAN, IP): precision {p:.3f}  recall {r:.3f}  "
        f"({n} planted, {len(en) - n} look-alike sentences)"
    )
    for kind in en_types:
        sub = [x for x in en if not x[1] or x[1][0][0] == kind]
        p, r, _ = pii_scores(sub, en_types, "en")
        print(f"    {kind:<12} precision {p:.3f}  recall {r:.3f}")
    p, r, n = pii_scores(zh, tuple(ZH_MAKERS), "zh")
    print(
        f"  Chinese  (mobile, ID card, email):     precision {p:.3f}  recall {r:.3f}  "
        f"({n} planted, {len(zh) - n} look-alike sentences)"
    )
    names = ["John Smith", "Mary Johnson", "David Brown", "Sarah Wilson", "Peter Clarke"]
    person = []
    for s in clean[:100]:
        name = rng.choice(names)
        person.append(f"{name} said: {s}")
    hits = sum(
        any(x.type == "PERSON" and x.text == n for x in find_pii(t, types=("PERSON",)))
        for t, n in zip(person, [t.split(" said")[0] for t in person], strict=True)
    )
    print(
        f"  real BBC sentences with a pattern hit (read them: real numbers or false alarms): {len(flagged)}/"
        f"{len(sents)}" + "".join(f"\n    {f[0].type}: {f[0].text!r}" for _, f in flagged[:5])
    )
    print(f"  English PERSON (spaCy NER), planted names: recall {hits / len(person):.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=400)
    ap.add_argument("--threshold", type=float, default=0.7)
    args = ap.parse_args()
    bench_near_dup(args.articles, args.threshold)
    bench_pii(bbc_sentences(args.articles))


if __name__ == "__main__":
    main()
