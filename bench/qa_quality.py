"""Issue 15: does kgsynth's QA data teach a reader? Train the same reader on four training sets.

Any SQuAD v1.1 file (default: SQuAD v1.1 dev from the bigbench 1.0.0 sdist) is split by article into
a target half and an other half (by paragraph when it has fewer than 10 articles). Each arm gives the
same number of training pairs to the same extractive reader (all-MiniLM-L6-v2, the product's own
``finetune.reader``, same hyper-parameters, fixed epochs), scored on the target half's human
questions (official SQuAD EM/F1, 0–100):

  cloze          answers are the target paragraphs' entities and noun chunks, the question is the
                 answer's sentence with the answer replaced by a wh-word (Lewis et al. 2019)
  kgsynth        the product's path: ingest the target paragraphs into a fresh workspace, synth qa
                 (extractive), clean, export --format squad
  kgsynth-model  the same with a model generator rewriting the questions (optional; small n)
  gold           the same number of human questions about the other half's articles

It also reports, per arm, how the questions read: the answerable-and-correct rate (a reader trained
on the gold arm recovers the answer: round-trip), question-context overlap, distinct-2, mean length,
wh-words and, with --fluency, median perplexity under SmolLM2-135M.

    python bench/qa_quality.py                     # SQuAD v1.1 dev, 3,000 pairs per arm, 3 draws
    python bench/qa_quality.py --quick             # 40 paragraphs, 150 pairs, 1 draw (the tests)
    python bench/qa_quality.py --data new_wiki     # SQuADShifts new_wiki (development data)
    python bench/qa_quality.py --data my.json --out results/

Writes results.json, results.md and qa_quality.png to --out (default bench/results/qa_quality).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench.qa_cloze import cloze_pairs  # noqa: E402
from bench.qa_data import (  # noqa: E402
    DEV_FILES,
    Halves,
    SetStore,
    articles,
    fetch,
    gold_sample,
    halves,
    target_documents,
    write_jsonl,
)
from bench.qa_results import roundtrip_rate, text_quality, write_results  # noqa: E402
from kgsynth.squad import QAExample, load_squad  # noqa: E402

ARMS = ("cloze", "kgsynth", "kgsynth-model", "gold")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", default="squad", help="squad | new_wiki | a SQuAD v1.1 JSON file")
    p.add_argument("--arms", nargs="+", choices=ARMS, default=["cloze", "kgsynth", "gold"])
    p.add_argument("--n-train", type=int, default=3000, help="training pairs per arm")
    p.add_argument("--model-n", type=int, default=200, help="pairs of the kgsynth-model arm")
    p.add_argument("--max-test", type=int, default=2000, help="human test questions (0: all)")
    p.add_argument("--max-paragraphs", type=int, default=0, help="target paragraphs (0: all)")
    p.add_argument("--draws", type=int, default=3, help="reader training seeds per arm")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--max-length", type=int, default=256)
    p.add_argument("--per-entity-cap", type=int, default=3, help="kgsynth: pairs per answer")
    p.add_argument("--filters", default="normalize,quality,exact_dedup,near_dedup,grounding")
    p.add_argument("--fluency", action="store_true", help="question perplexity (SmolLM2-135M)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--device", default=None, help="cuda | cpu (default: cuda when available)")
    p.add_argument("--split-seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="small run for the tests")
    p.add_argument("--workdir", type=Path, help="workspaces (default: <out>/work, rebuilt)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "qa_quality")
    p.add_argument(
        "--stage",
        choices=("all", "build", "train"),
        default="all",
        help="build: the training sets only (CPU); train: the readers on saved --sets (a GPU)",
    )
    p.add_argument("--sets", type=Path, help="where the sets are saved (default: <out>/sets)")
    p.add_argument("--model", help="reader encoder directory (default: the packaged MiniLM)")
    args = p.parse_args(argv)
    if args.quick:
        args.max_paragraphs = args.max_paragraphs or 40
        args.n_train = min(args.n_train, 150)
        args.max_test = min(args.max_test or 150, 150)
        args.model_n = min(args.model_n, 20)
        args.draws, args.epochs = 1, 1
    return args


# ---------------------------------------------------------------- data


def load_halves(args) -> tuple[Halves, list[QAExample], Path]:
    path = fetch(args.data) if args.data in DEV_FILES else Path(args.data)
    h = halves(articles(path), seed=args.split_seed)
    if args.max_paragraphs:
        keep = _first_paragraphs(h, args.max_paragraphs)
        for a in h.target:
            a.paragraphs = [p for p in a.paragraphs if p in keep]
            a.questions = [q for q in a.questions if q.context in keep]
        h.target = [a for a in h.target if a.paragraphs]
    test = list(h.test)
    random.Random(args.split_seed).shuffle(test)
    return h, test[: args.max_test] if args.max_test else test, path


def _first_paragraphs(h: Halves, n: int) -> set[str]:
    every = [p for a in h.target for p in a.paragraphs]
    random.Random(0).shuffle(every)
    return set(every[:n])


# ---------------------------------------------------------------- arms


def kgsynth_pairs(args, h: Halves, workdir: Path, generator: str, n: int) -> tuple[list, dict]:
    """The product's path: ingest → synth qa (extractive) → clean → export squad."""
    from kg.ingest import ingest
    from kgsynth.workspace import open_workspace
    from synth.clean import clean
    from synth.export import export
    from synth.qa import build_qa

    ws_dir = workdir / f"ws-{generator}"
    shutil.rmtree(ws_dir, ignore_errors=True)
    ws_dir.mkdir(parents=True)
    (ws_dir / "kgsynth.toml").write_text(WORKSPACE_TOML, encoding="utf-8")
    docs = write_jsonl(target_documents(h), workdir / "target.jsonl")
    ws = open_workspace(ws_dir)
    timings, started = {}, time.perf_counter()
    report = ingest(ws, [docs])
    timings["ingest_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    version = build_qa(
        ws,
        types=("extractive",),
        n=int(n * 1.25),
        generator=generator,
        per_entity_cap=args.per_entity_cap,
        seed=0,
    )
    cleaned = clean(ws, version.id, filters=args.filters.split(","))
    exported = export(ws, cleaned.version.id, format="squad", split=(1.0, 0.0, 0.0))
    timings["synth_s"] = round(time.perf_counter() - started, 1)
    pairs = load_squad(exported.path, "train")
    info = {
        "ingest": report.summary(),
        "built": version.count,
        "after_clean": cleaned.version.count,
        "exported": len(pairs),
        "candidates": version.stats.get("candidates"),
        "export_dir": str(exported.path),
        **timings,
    }
    return pairs, info


WORKSPACE_TOML = """\
[ingest]
chunk_chars = 4000   # a SQuAD paragraph is one passage
processes = 1

[generators.model]
kind = "transformers"  # SmolLM2-135M-Instruct, packaged
max_new_tokens = 48
temperature = 0.3
"""


def arm_pairs(arm: str, args, h: Halves, workdir: Path, draw: int, cache: dict) -> list:
    """The training pairs of one arm for one draw (the kgsynth sets are built once)."""
    if arm == "gold":
        return gold_sample(h, args.n_train, seed=draw)
    if arm == "cloze":
        paragraphs = [p for a in h.target for p in a.paragraphs]
        return cloze_pairs(paragraphs, args.n_train, seed=draw)
    generator, n = ("template", args.n_train) if arm == "kgsynth" else ("model", args.model_n)
    if arm not in cache:
        cache[arm] = kgsynth_pairs(args, h, workdir, generator, n)
    pairs = list(cache[arm][0])
    random.Random(draw).shuffle(pairs)
    return pairs[:n]


def train_and_score(pairs, test, args, draw: int, out: Path) -> dict:
    from finetune.reader import ReaderConfig, train_reader

    cfg = ReaderConfig(
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        max_length=args.max_length,
        seed=draw,
        threads=args.threads,
        device=args.device,
        model=args.model,
    )
    started = time.perf_counter()
    result = train_reader(pairs, out, cfg, eval_data=test, resume=False)
    return {
        "f1": result.eval["all"]["f1"],
        "em": result.eval["all"]["em"],
        "per_type": {k: v["f1"] for k, v in result.eval.items() if k != "all"},
        "seconds": round(time.perf_counter() - started, 1),
        "model_dir": str(out),
    }


def build_sets(args, sets: Path) -> dict:
    """Every arm's training pairs per draw, and the test questions, saved under `sets`."""
    workdir = args.workdir or args.out / "work"
    h, test, path = load_halves(args)
    print(
        f"data {path.name}: target {len(h.target)} articles"
        f" ({sum(len(a.paragraphs) for a in h.target)} paragraphs), other {len(h.other)};"
        f" test questions {len(test)}",
        flush=True,
    )
    store = SetStore(sets)
    store.save("test", test)
    cache: dict = {}
    built: dict[str, float] = {}
    for arm in args.arms:
        started = time.perf_counter()
        for draw in range(args.draws):
            store.save(f"{arm}-{draw}", arm_pairs(arm, args, h, workdir, draw, cache))
        built[arm] = round((time.perf_counter() - started) / args.draws, 1)
    quality = {arm: text_quality(store.load(f"{arm}-0"), args.fluency) for arm in args.arms}
    quality["human test questions"] = text_quality(test, args.fluency)
    info = {
        "quality": quality,
        "data": str(path),
        "target_articles": len(h.target),
        "test_questions": len(test),
        "arms": list(args.arms),
        "draws": args.draws,
        "build_s": built,
        "kgsynth": {arm: info for arm, (_, info) in cache.items()},
    }
    (sets / "info.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    return info


def train_sets(args, sets: Path) -> dict:
    """Train and score the reader on every saved set; the report files."""
    info = json.loads((sets / "info.json").read_text(encoding="utf-8"))
    store = SetStore(sets)
    test = store.load("test")
    runs: dict[str, list[dict]] = {}
    first: dict[str, list] = {}
    order = [a for a in ("gold", "cloze", "kgsynth", "kgsynth-model") if a in info["arms"]]
    for arm in order:
        for draw in range(info["draws"]):
            pairs = store.load(f"{arm}-{draw}")
            first.setdefault(arm, pairs)
            readers = args.workdir or args.out / "work"
            run = train_and_score(pairs, test, args, draw, readers / f"reader-{arm}-{draw}")
            run |= {"n_train": len(pairs), "build_s": info["build_s"].get(arm, 0.0)}
            runs.setdefault(arm, []).append(run)
            print(
                f"{arm:>13} draw {draw}: F1 {run['f1']:.1f} EM {run['em']:.1f}"
                f" ({len(pairs)} pairs, {run['seconds']:.0f} s)",
                flush=True,
            )
    quality = info.get("quality") or {arm: text_quality(p, False) for arm, p in first.items()}
    if "gold" in runs:
        gold_reader = runs["gold"][0]["model_dir"]
        for arm, pairs in first.items():
            quality[arm]["answerable_correct"] = round(roundtrip_rate(pairs, gold_reader), 3)
    result = info | {
        "settings": {k: str(v) for k, v in vars(args).items()},
        "arms": {arm: _summary(r) for arm, r in runs.items()},
        "runs": runs,
        "quality": quality,
    }
    for path_ in write_results(result, args.out):
        print(f"wrote {path_}")
    return result


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    sets = args.sets or args.out / "sets"
    if args.stage in ("all", "build"):
        info = build_sets(args, sets)
        if args.stage == "build":
            return info
    return train_sets(args, sets)


def _summary(runs: list[dict]) -> dict:
    f1s, ems = [r["f1"] for r in runs], [r["em"] for r in runs]
    return {
        "f1": round(statistics.fmean(f1s), 2),
        "f1_std": round(statistics.pstdev(f1s), 2),
        "em": round(statistics.fmean(ems), 2),
        "em_std": round(statistics.pstdev(ems), 2),
        "n_train": runs[0]["n_train"],
        "draws": len(runs),
        "seconds": round(statistics.fmean(r["seconds"] + r["build_s"] for r in runs), 1),
    }


if __name__ == "__main__":
    main()
