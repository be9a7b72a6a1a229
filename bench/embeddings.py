"""Sentence-embedding throughput: kgsynth's Embedder (length-sorted batches of 16) vs a plain loop.

The baseline is the usual transformers loop over the texts in their own order, batches of 64, padded
to the longest in each batch; both run in this process on the same BBC chunks.

    .venv/bin/python bench/embeddings.py [--n 384]
"""

from __future__ import annotations

import argparse
import random
import time

import torch

from kgsynth.app.demo import bbc_dir
from kgsynth.embeddings import Embedder
from kgsynth.text import split_sentences


def bbc_chunks(n: int, seed: int = 0) -> list[str]:
    """About 1,000-character pieces of BBC articles, the size ingest makes."""

    root = bbc_dir()
    pieces = []
    for path in sorted(root.rglob("*.txt"))[: n * 2]:
        text = path.read_text(encoding="utf-8", errors="replace")
        cur = ""
        for s, e in split_sentences(text):
            cur = f"{cur} {text[s:e]}".strip()
            if len(cur) > 1000:
                pieces.append(cur)
                cur = ""
        if cur:
            pieces.append(cur)
    random.Random(seed).shuffle(pieces)
    return pieces[:n]


def plain_loop(embedder: Embedder, texts: list[str], batch_size: int = 64) -> None:
    for start in range(0, len(texts), batch_size):
        enc = embedder.tokenizer(
            texts[start : start + batch_size],
            padding=True,
            truncation=True,
            max_length=embedder.max_length,
            return_tensors="pt",
        )
        with torch.inference_mode():
            embedder.model(**enc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=384, help="number of chunks")
    args = parser.parse_args()
    texts = bbc_chunks(args.n)
    embedder = Embedder()
    embedder.encode(texts[:8])  # warm up
    start = time.perf_counter()
    plain_loop(embedder, texts)
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    embedder.encode(texts)
    ours = time.perf_counter() - start
    print(f"{len(texts)} chunks, {torch.get_num_threads()} threads")
    print(f"plain loop (batches of 64, input order): {len(texts) / baseline:7.1f} chunks/s")
    print(
        f"kgsynth Embedder (sorted, batches of {embedder.batch_size}): {len(texts) / ours:7.1f} chunks/s"
    )
    print(f"ratio: {baseline / ours:.2f}x")


if __name__ == "__main__":
    main()
