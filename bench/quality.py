"""Issue 6: is kgsynth's classification data good? Train the same classifier on four training sets.

For a labeled corpus split into an unlabeled pool and a held-out test set, and k seed examples per
label drawn from the pool (several random draws), the same classifier is trained on

  (a) seeds      the k seeds per label only
  (b) eda        the seeds + EDA augmentation (synth.augment.eda, 4 variants per seed)
  (c) kgsynth    the set kgsynth builds from the seeds and the unlabeled pool through the graph:
                 ingest -> weak labels (synth.classify) -> annotate -> clean (dedup + label noise)
  (d) gold       the whole pool with its true labels (the upper bound)

and scored on the test set (macro-F1, mean ± std over draws). It also reports the accuracy of
kgsynth's weak labels against the pool's true labels, and the seconds each arm took. All arms share
hyper-parameters; no early stopping (no gold dev set exists with k seeds): a fixed number of epochs,
raised for tiny sets so every arm gets at least ``--min-steps`` optimizer steps, and the last epoch's
model is the one scored.

    python bench/quality.py                   # BBC News, k = 4 8 16, 3 draws, fine-tuned MiniLM
    python bench/quality.py --quick           # small pool/test, k = 8, 1 draw
    python bench/quality.py --corpus reviews --names-only --k 8 --draws 3   # see bench/quality_corpora
    python bench/quality.py --data x.csv --text-col body --label-col topic --schema s.yaml
    python bench/quality_table.py             # every corpus and setting (README table)

Writes results.json, results.md and quality.png to --out (default bench/results/quality).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench.quality_corpora import CORPORA, load_corpus  # noqa: E402
from bench.quality_data import Split, draw_seeds, load_rows, split  # noqa: E402
from bench.quality_report import write_reports  # noqa: E402
from bench.quality_train import CLASS_WEIGHT, TrainConfig, train_and_score  # noqa: E402
from finetune.classifier import CLASS_WEIGHTS  # noqa: E402
from kgsynth.errors import KgsynthError  # noqa: E402
from kgsynth.workspace import Workspace  # noqa: E402
from synth.classify import SELECTIONS  # noqa: E402
from synth.schema import LabelSchema, LabelSpec, load_schema  # noqa: E402

ARMS = ("seeds", "eda", "kgsynth", "gold")
BBC_SCHEMA = ROOT / "examples" / "bbc_schema.yaml"
WORKDIR = Path.home() / ".cache" / "kgsynth-bench" / "quality"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--corpus", choices=list(CORPORA), help="a named corpus (default: bbc)")
    p.add_argument("--data", type=Path, help="CSV/JSONL file or <label>/*.txt folder (default BBC)")
    p.add_argument(
        "--names-only", action="store_true", help="give kgsynth the label names, no descriptions"
    )
    p.add_argument("--text-col", default="text")
    p.add_argument("--label-col", default="label")
    p.add_argument("--schema", type=Path, help="label schema YAML (default: names only; BBC: ours)")
    p.add_argument("--k", type=int, nargs="+", help="seeds per label (default 4 8 16)")
    p.add_argument("--draws", type=int, help="random seed draws per k (default 3)")
    p.add_argument("--arms", nargs="+", choices=ARMS, default=list(ARMS))
    p.add_argument("--classifier", choices=("finetune", "logreg"), default="finetune")
    p.add_argument("--device", default="cpu", help="where the classifier trains: cpu | cuda")
    p.add_argument(
        "--class-weight",
        choices=CLASS_WEIGHTS,
        default=CLASS_WEIGHT,
        help="label weights in every arm's classifier (the product trainer's default: balanced)",
    )
    p.add_argument("--workers", type=int, default=2, help="spaCy processes for the pool ingest")
    p.add_argument("--per-label", type=int, default=200, help="kgsynth examples per label")
    p.add_argument("--selection", choices=SELECTIONS, default="spread")
    p.add_argument("--drop-uncertain", type=float, default=0.1)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--min-steps", type=int, default=40, help="optimizer steps at least, per run")
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--max-gold", type=int, default=0, help="cap the gold arm's size (0: all)")
    p.add_argument("--gold-runs", type=int, default=1, help="gold arm runs (training seeds)")
    p.add_argument("--test-fraction", type=float, default=0.2)
    p.add_argument("--max-pool", type=int, default=0)
    p.add_argument("--max-test", type=int, default=0)
    p.add_argument("--no-annotate", action="store_true", help="skip synth.annotate in arm (c)")
    p.add_argument("--no-clean", action="store_true", help="skip synth.clean in arm (c)")
    p.add_argument("--quick", action="store_true", help="small pool and test set, k=8, 1 draw")
    p.add_argument("--split-seed", type=int, default=0)
    p.add_argument(
        "--workdir",
        type=Path,
        help="cache for the ingested pools (default ~/.cache/kgsynth-bench/quality)",
    )
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "quality")
    args = p.parse_args(argv)
    if args.quick:
        args.max_pool = args.max_pool or 300
        args.max_test = args.max_test or 150
        args.per_label = min(args.per_label, 40)
    args.k = args.k or ([8] if args.quick else [4, 8, 16])
    args.draws = args.draws or (1 if args.quick else 3)
    return args


def bench_schema(args: argparse.Namespace, labels: list[str]) -> LabelSchema:
    """The user's schema; the named corpus's (BBC by default); else, or with --names-only, names."""
    path = args.schema
    if path is None and args.data is None:
        path = CORPORA[args.corpus].schema if args.corpus else BBC_SCHEMA
    if path is not None and not args.names_only:
        schema = load_schema(path)
        if sorted(schema.names) != sorted(labels):
            raise KgsynthError(f"{path}: labels {schema.names} do not match the data's {labels}")
        return schema
    return LabelSchema(labels=[LabelSpec(name=label) for label in labels])


# ---------------------------------------------------------------- the pool workspace


def prepare_pool(
    data: Split, workdir: Path, workers: int = 2
) -> tuple[Workspace, dict[str, str], dict]:
    """Ingest the pool (one file per row, names carry no label); map doc id -> true label."""
    from kgsynth.ids import content_id

    key = content_id([r.text for r in data.pool], prefix="pool_")
    root = workdir / key
    files = root / "files"
    root.mkdir(parents=True, exist_ok=True)  # a workspace's parent folder must exist
    ws = Workspace(root / "ws")
    ws.config.ingest.processes = max(1, workers)
    started = time.perf_counter()
    if not files.exists():
        tmp = root / "files.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for i, r in enumerate(data.pool):
            (tmp / f"doc{i:05d}.txt").write_text(r.text, encoding="utf-8")
        tmp.replace(files)
    info = {"ingest": _ingest(ws, files)}
    gold = {}
    for doc in ws.catalog.iter_documents():
        i = int(Path(doc.source.split("#")[0]).stem[3:])
        gold[doc.id] = data.pool[i].label
    info.update(documents=len(gold), seconds=round(time.perf_counter() - started, 1))
    return ws, gold, info


def _ingest(ws: Workspace, files: Path) -> str:
    from kg.ingest import ingest

    return ingest(ws, [files]).summary()


# ---------------------------------------------------------------- the four arms


def arm_rows(arm: str, data: Split, seeds: dict[str, list[int]], ctx: dict) -> tuple[list, dict]:
    """Training rows (text, label) of one arm, and what the arm measured on the way."""
    seed_rows = [(data.pool[i].text, lab) for lab, idx in seeds.items() for i in idx]
    if arm == "seeds":
        return seed_rows, {}
    if arm == "eda":
        from synth.augment import eda

        rows = list(seed_rows)
        for n, (text, lab) in enumerate(seed_rows):
            rows += [(t, lab) for t in eda(text, n=4, seed=n) if t.strip()]
        return rows, {}
    if arm == "gold":
        rows = [(r.text, r.label) for r in data.pool]
        return _cap(rows, ctx["args"].max_gold), {}
    return kgsynth_rows(data, seeds, ctx)


def _cap(rows: list, cap: int) -> list:
    if not cap or len(rows) <= cap:
        return rows
    step = len(rows) / cap
    return [rows[int(i * step)] for i in range(cap)]


def kgsynth_rows(data: Split, seeds: dict[str, list[int]], ctx: dict) -> tuple[list, dict]:
    """Arm (c): build -> annotate -> clean in the pool workspace; rows and weak-label accuracy."""
    from synth.classify import build_classification, label_corpus

    ws, gold, args = ctx["ws"], ctx["gold"], ctx["args"]
    schema = ctx["schema"].with_seeds(
        {lab: [data.pool[i].text for i in idx] for lab, idx in seeds.items()}
    )
    draw = ctx["draw"]
    labeled = label_corpus(ws, schema, seed=draw)
    version = build_classification(
        ws,
        schema,
        labeled=labeled,
        per_label=args.per_label,
        selection=args.selection,
        drop_uncertain=args.drop_uncertain,
        seed=draw,
        name=f"bench-k{ctx['k']}-d{draw}",
    )
    built, built_stats = ws.catalog.examples(version.id), version.stats
    steps = ["build"]
    if not args.no_annotate:
        version = _annotate(ws, version, steps)
    if not args.no_clean:
        version = _clean(ws, version, steps)
    examples = ws.catalog.examples(version.id)
    seeds_in_pool = set(labeled.seed_unit)
    pool_pairs = [
        (doc, labeled.labels[i])
        for i, doc in enumerate(labeled.units.doc_ids)
        if i not in seeds_in_pool
    ]
    info = {
        "steps": steps,
        "built": len(built),
        "kept": len(examples),
        "built_label_accuracy": _example_accuracy(built, gold),
        "final_label_accuracy": _example_accuracy(examples, gold),
        "pool_label_accuracy": _accuracy(pool_pairs, gold),
        "seedclf_pool_accuracy": _seed_classifier_accuracy(labeled, gold),
        "label_precision": _per_label_precision(built, gold),
        "estimated_precision": built_stats.get("estimated_precision"),
        "labeling": built_stats.get("labeling"),
        "abstained": built_stats.get("abstained"),
    }
    return [(e.input, e.label) for e in examples if e.label], info


def _seed_classifier_accuracy(labeled, gold: dict[str, str]) -> float | None:
    """The baseline for weak labels: a logistic regression on the seeds' embeddings, on the pool."""
    from sklearn.linear_model import LogisticRegression

    ctx = labeled.ctx
    clf = LogisticRegression(C=10.0, max_iter=1000).fit(ctx.seed_vectors, ctx.seed_labels)
    pred = clf.predict(ctx.vectors)
    pairs = [
        (doc, labeled.names[int(pred[i])])
        for i, doc in enumerate(labeled.units.doc_ids)
        if i not in labeled.seed_unit
    ]
    return _accuracy(pairs, gold)


def _per_label_precision(examples, gold: dict[str, str]) -> dict[str, dict]:
    """Per label: weak examples given it, and the share that truly have it."""
    out: dict[str, dict] = {}
    for e in examples:
        if e.label_source == "seed" or not e.provenance.doc_ids:
            continue
        doc = e.provenance.doc_ids[0]
        if doc in gold:
            row = out.setdefault(e.label, {"n": 0, "right": 0})
            row["n"] += 1
            row["right"] += gold[doc] == e.label
    return {
        lab: {"n": r["n"], "precision": round(r["right"] / r["n"], 4)}
        for lab, r in sorted(out.items())
    }


def _annotate(ws, version, steps: list[str]):
    from synth.annotate import annotate

    steps.append("annotate")
    return annotate(ws, version.id, method="label_model")


def _clean(ws, version, steps: list[str]):
    from synth.clean import clean

    steps.append("clean")
    filters = ["normalize", "exact_dedup", "near_dedup", "label_noise"]
    options = {"label_noise": {"drop": True}}
    return clean(ws, version.id, filters=filters, options=options).version


def _accuracy(pairs: list[tuple[str, str]], gold: dict[str, str]) -> float | None:
    scored = [lab == gold[doc] for doc, lab in pairs if doc in gold]
    return round(sum(scored) / len(scored), 4) if scored else None


def _example_accuracy(examples, gold: dict[str, str]) -> float | None:
    pairs = [
        (e.provenance.doc_ids[0], e.label)
        for e in examples
        if e.label_source != "seed" and e.provenance.doc_ids
    ]
    return _accuracy(pairs, gold)


# ---------------------------------------------------------------- main


def run(args: argparse.Namespace) -> dict:
    t0 = time.perf_counter()
    if args.data is None and args.corpus and not (args.max_pool or args.max_test):
        data = load_corpus(args.corpus, args.split_seed, args.test_fraction)
    elif args.data is None and args.corpus:
        full = load_corpus(args.corpus, args.split_seed, args.test_fraction)
        data = split(
            full.pool + full.test, args.test_fraction, args.split_seed, args.max_pool, args.max_test
        )
    else:
        data = split(
            load_rows(args.data, args.text_col, args.label_col),
            args.test_fraction,
            args.split_seed,
            args.max_pool,
            args.max_test,
        )
    schema = bench_schema(args, data.labels)
    args.out.mkdir(parents=True, exist_ok=True)
    cfg = TrainConfig(
        classifier=args.classifier,
        device=args.device,
        epochs=args.epochs,
        min_steps=args.min_steps,
        max_length=args.max_length,
        batch_size=args.batch_size,
        lr=args.lr,
        class_weight=args.class_weight,
    )
    test = [(r.text, r.label) for r in data.test]
    ctx: dict = {"args": args, "schema": schema}
    pool_info = {}
    if "kgsynth" in args.arms:
        ws, gold, pool_info = prepare_pool(data, args.workdir or WORKDIR, args.workers)
        ctx.update(ws=ws, gold=gold)
        _say(f"pool ready: {pool_info}")
    runs: list[dict] = []
    result = {
        "data": str(args.data or args.corpus or "bbc"),
        "names_only": args.names_only,
        "labels": data.labels,
        "pool": len(data.pool),
        "test": len(data.test),
        "schema": schema.model_dump(),
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "train": cfg.__dict__,
        "pool_ingest": pool_info,
        "runs": runs,
    }
    for k in args.k:
        for draw in range(args.draws):
            seeds = draw_seeds(data.pool, k, draw)
            ctx.update(k=k, draw=draw)
            for arm in args.arms:
                if arm == "gold" and (k != args.k[0] or draw >= args.gold_runs):
                    continue  # the gold arm does not depend on k or the seeds
                runs.append(_run_one(arm, k, draw, data, seeds, test, cfg, ctx))
                result["seconds"] = round(time.perf_counter() - t0, 1)
                write_reports(result, args.out)  # partial results survive an interrupted run
    result["seconds"] = round(time.perf_counter() - t0, 1)
    paths = write_reports(result, args.out)
    _say(f"wrote {', '.join(str(p) for p in paths)}")
    return result


def _run_one(arm, k, draw, data, seeds, test, cfg, ctx) -> dict:
    started = time.perf_counter()
    rows, info = arm_rows(arm, data, seeds, ctx)
    built = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="kgsynth-quality-") as tmp:
        score = train_and_score(rows, test, Path(tmp), cfg, seed=draw)
    seconds = time.perf_counter() - started
    run = {"arm": arm, "k": k, "draw": draw, "train_size": len(rows), **score, **info}
    run |= {"data_seconds": round(built, 1), "seconds": round(seconds, 1)}
    _say(
        f"{arm:8s} k={k:<3d} draw={draw} n={len(rows):<5d} macro_f1={score['macro_f1']:.4f}"
        f" {_fmt_info(info)} ({seconds:.0f}s)"
    )
    return run


def _fmt_info(info: dict) -> str:
    keys = ("built_label_accuracy", "final_label_accuracy", "pool_label_accuracy")
    keys += ("seedclf_pool_accuracy",)
    return " ".join(f"{k.split('_')[0]}_acc={info[k]}" for k in keys if k in info)


def _say(msg: str) -> None:
    print(msg, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        result = run(args)
    except KgsynthError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0 if not math.isnan(result["seconds"]) else 1


if __name__ == "__main__":
    sys.exit(main())
