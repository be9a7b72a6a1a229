"""spaCy extraction throughput on BBC News articles, as ratios against plain ``nlp.pipe`` defaults.

    .venv/bin/python bench/extract.py [--docs 200] [--ingest N]

Baseline (same run, same texts): ``list(nlp.pipe(texts))`` with spaCy's default settings, timed
before and after the rows (their mean; the machine is shared). Rows: the
kgsynth SpacyExtractor (NER + dependency patterns + co-occurrence) with n_process 1 and 2 and several
batch sizes. ``--ingest N`` also times a full ingest of N articles (all: 2225) into a fresh workspace.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from itertools import zip_longest
from pathlib import Path

from kg.extract_spacy import SpacyExtractor
from kgsynth.app.demo import bbc_dir
from kgsynth.nlp import load_nlp
from kgsynth.types import Chunk


def bbc_paths(n: int) -> list[Path]:
    """`n` BBC articles, taken round-robin over the label folders (n >= 2225: all of them)."""
    root = bbc_dir()
    per_label = [sorted(d.glob("*.txt")) for d in sorted(root.iterdir()) if d.is_dir()]
    files = [f for group in zip_longest(*per_label) for f in group if f is not None]
    return files[:n]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=200)
    ap.add_argument(
        "--ingest", type=int, default=0, help="also time a full ingest of this many articles"
    )
    args = ap.parse_args()
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in bbc_paths(args.docs)]
    chunks = [
        Chunk(id=f"c{i}", doc_id=f"d{i}", index=0, text=t, start=0, end=len(t))
        for i, t in enumerate(texts)
    ]
    nlp = load_nlp()
    list(nlp.pipe(texts[:10]))  # warm up
    first = timed(lambda: list(nlp.pipe(texts)))
    rows = []
    for processes in (1, 2):
        for batch in (16, 50):
            ex = SpacyExtractor(batch_size=batch, processes=processes)
            used = ex.effective_processes(len(chunks))
            rows.append((used, batch, timed(lambda ex=ex: ex.extract(chunks))))
    last = timed(lambda: list(nlp.pipe(texts)))
    base = (first + last) / 2  # measured before and after the rows: the machine is shared
    print(
        f"{len(texts)} BBC articles; baseline nlp.pipe defaults: {len(texts) / base:.1f} docs/s "
        f"(first {len(texts) / first:.1f}, last {len(texts) / last:.1f}) = 1.00x"
    )
    for processes, batch, secs in rows:
        print(
            f"extractor n_process={processes} batch_size={batch:<3} "
            f"{len(texts) / secs:7.1f} docs/s  {base / secs:.2f}x baseline"
        )
    if args.ingest:
        ingest_bench(args.ingest)


def ingest_bench(n: int) -> None:
    from kg.ingest import ingest
    from kgsynth.workspace import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp) / "ws")
        ws.config.ingest.processes = 2
        files = bbc_paths(n)
        report = ingest(ws, files)
        print(report.summary().splitlines()[0])
        print(
            f"full ingest of {len(files)} articles (processes=2): {report.seconds:.1f} s, {len(files) / report.seconds:.1f} docs/s"
        )
        ws.close()


if __name__ == "__main__":
    main()
