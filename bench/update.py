"""Benchmark `synth update` against a full rebuild on BBC News, in one run.

A QA version (template generator, all QA types) and its cleaned version are built on the ingested
corpus; then 1% of the documents change (a third edited: a paragraph replaced by one from another
article; a third removed; a third added) and are ingested with ``sync``. Measured:

- the share of the cleaned version's examples that `synth update` drops, and the share of the
  updated version that is regenerated or new (goal: under 5%);
- `synth update` wall time against a full rebuild (the same build and cleaning from scratch on the
  changed graph; goal: under 10%);
- how much of the old version a full rebuild keeps (the baseline: every id that changes is an
  example a user has to look at again).

    .venv/bin/python bench/update.py                 # 2,200 articles, 1,000 pairs
    .venv/bin/python bench/update.py --quick         # 200 articles, 200 pairs

The ingested corpus is cached in ~/.cache/kgsynth-bench/update/ (copied per run); results go to
bench/results/update[-quick]/ with the new examples for reading.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from kg.ingest import ingest  # noqa: E402
from kgsynth.app.demo import bbc_dir  # noqa: E402
from kgsynth.workspace import Workspace  # noqa: E402
from synth.clean import clean  # noqa: E402
from synth.qa import build_qa  # noqa: E402
from synth.update import update  # noqa: E402
from synth.versions import load  # noqa: E402

CACHE = Path.home() / ".cache" / "kgsynth-bench" / "update"
FILTERS = ["normalize", "length", "exact_dedup", "near_dedup", "grounding"]


def articles() -> list[Path]:
    return sorted(bbc_dir().glob("*/*.txt"))


def split(files: list[Path], total: int, change: float, seed: int):
    """(base files, files to edit, to remove, to add, paragraphs to edit in) — deterministic."""
    rng = random.Random(seed)
    pool = files[:]
    rng.shuffle(pool)
    k = max(3, round(total * change))
    per = k // 3
    added = pool[:per]
    donors = pool[per : per * 2]  # their paragraphs replace one in each edited article
    base = sorted(pool[per * 2 :][:total])
    picked = rng.sample(base, per * 2)
    return base, picked[:per], picked[per:], added, donors


def prepare(total: int, change: float, seed: int) -> tuple[Path, Path, tuple]:
    """The pristine ingested base (cached), restored into a run folder."""
    files = articles()
    parts = split(files, total, change, seed)
    base_dir = CACHE / f"base-{total}-{change}-{seed}"
    docs, ws_dir = base_dir / "docs", base_dir / "ws"
    if not (base_dir / "ready").exists():
        shutil.rmtree(base_dir, ignore_errors=True)
        docs.mkdir(parents=True)
        for f in parts[0]:
            shutil.copy(f, docs / f"{f.parent.name}-{f.name}")
        t = time.perf_counter()
        with Workspace(ws_dir) as ws:
            report = ingest(ws, [docs])
        print(f"base ingest: {report.documents} documents in {time.perf_counter() - t:.0f} s")
        (base_dir / "ready").write_text("ok")
    run_ws = CACHE / "run" / "ws"
    shutil.rmtree(CACHE / "run", ignore_errors=True)
    shutil.copytree(ws_dir, run_ws)
    # sources are absolute paths: the run's documents must sit where the base's were ingested from
    return docs, run_ws, parts


def change_corpus(docs: Path, parts) -> dict[str, int]:
    _, edit, remove, add, donors = parts
    for f, donor in zip(edit, donors, strict=True):
        target = docs / f"{f.parent.name}-{f.name}"
        paras = target.read_text(encoding="utf-8", errors="replace").split("\n\n")
        other = [p for p in donor.read_text(encoding="utf-8", errors="replace").split("\n\n")]
        paras[len(paras) // 2] = max(other[1:] or other, key=len)
        target.write_text("\n\n".join(paras), encoding="utf-8")
    for f in remove:
        (docs / f"{f.parent.name}-{f.name}").unlink()
    for f in add:
        shutil.copy(f, docs / f"new-{f.parent.name}-{f.name}")
    return {"edited": len(edit), "removed": len(remove), "added": len(add)}


def restore(docs: Path, parts) -> None:
    """Put the base documents back (the base folder is reused by the next run)."""
    base, edit, remove, add, _ = parts
    for f in edit + remove:
        shutil.copy(f, docs / f"{f.parent.name}-{f.name}")
    for f in add:
        (docs / f"new-{f.parent.name}-{f.name}").unlink(missing_ok=True)


def build(ws, n: int, seed: int, name: str):
    t = time.perf_counter()
    built = build_qa(ws, n=n, seed=seed, name=name)
    cleaned = clean(ws, built.id, filters=FILTERS).version
    return built, cleaned, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=2200, help="base corpus size")
    ap.add_argument("--change", type=float, default=0.01, help="share of documents changed")
    ap.add_argument("--n", type=int, default=1000, help="QA pairs asked for")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="200 articles, 200 pairs")
    args = ap.parse_args()
    if args.quick:
        args.articles, args.n, args.change = 200, 200, 0.03
    out_dir = Path(__file__).parent / "results" / ("update-quick" if args.quick else "update")
    out_dir.mkdir(parents=True, exist_ok=True)

    docs, ws_dir, parts = prepare(args.articles, args.change, args.seed)
    with Workspace(ws_dir) as ws:
        _, old, t_first = build(ws, args.n, args.seed, "qa")
        print(f"built: {old.count} examples after cleaning in {t_first:.0f} s")
        changed = change_corpus(docs, parts)
        try:
            t = time.perf_counter()
            report = ingest(ws, [docs], sync=True)
            t_ingest = time.perf_counter() - t
        finally:
            restore(docs, parts)
        print(report.summary().splitlines()[0])

        t = time.perf_counter()
        result = update(ws, old.id)
        t_update = time.perf_counter() - t
        print("\n".join(result.lines()))
        _, full, t_full = build(ws, args.n, args.seed, "qa-rebuilt")
        print(f"full rebuild: {full.count} examples in {t_full:.0f} s")

        _, old_ex = load(ws, old)
        updated, new_ex = load(ws, result.version_id)
        _, full_ex = load(ws, full)
        old_ids = {e.id for e in old_ex}
        made = [e for e in new_ex if e.id not in old_ids]
        results = {
            "documents": args.articles,
            "changed": changed,
            "ingest_s": round(t_ingest, 1),
            "old_examples": old.count,
            "update": result.model_dump(),
            "dropped_share": round(result.dropped / max(old.count, 1), 4),
            "made_share": round(len(made) / max(updated.count, 1), 4),
            "update_s": round(t_update, 1),
            "full_rebuild_s": round(t_full, 1),
            "time_ratio": round(t_update / t_full, 4),
            "full_rebuild_examples": full.count,
            "full_rebuild_kept_share": round(
                len(old_ids & {e.id for e in full_ex}) / max(len(old_ids), 1), 4
            ),
        }
    rows = [
        ("examples dropped by update (share of old)", f"{results['dropped_share']:.2%}"),
        ("examples made by update (share of new)", f"{results['made_share']:.2%}"),
        ("old examples a full rebuild keeps", f"{results['full_rebuild_kept_share']:.2%}"),
        (
            "update / full rebuild time",
            f"{t_update:.1f} s / {t_full:.1f} s = {t_update / t_full:.3f}",
        ),
    ]
    md = ["| measure | value |", "|---|---:|"] + [f"| {a} | {b} |" for a, b in rows]
    print("\n".join(md))
    (out_dir / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    (out_dir / "results.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    with (out_dir / "new_examples.jsonl").open("w", encoding="utf-8") as f:
        for e in made:
            row = {"id": e.id, "task": e.task, "input": e.input[-300:], "output": e.output}
            row["evidence"] = e.provenance.evidence[:2]
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
