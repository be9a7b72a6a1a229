"""Issue 18: does one round of the closed loop (`kgsynth improve`) beat the same budget spent blindly?

BBC News, k seed articles per label, the pool ingested once (bench/quality.py's pool and split). Per
seed draw, with the same labeled corpus:

  baseline  kgsynth's set at `--per-label` (build -> annotate -> clean), N examples; train, score.
  loop      the same pipeline at a smaller per-label budget (N0 examples); a model M0 trained on 85%
            of it is scored on the other 15% (weak labels: no gold label is used anywhere); its
            confusions and misclassified rows pick N - N0 targeted units (synth.targeted); the
            classifier is trained on the N0 + (N - N0) = N examples with the same settings.

Both final models are scored on the held-out test split (macro-F1, mean ± std over draws); the
targeted examples' weak-label accuracy is reported beside the baseline's.

    .venv/bin/python bench/loop.py --k 4 --draws 3                 # fine-tuned MiniLM (slow)
    .venv/bin/python bench/loop.py --classifier logreg --draws 3   # fast proxy for development
    .venv/bin/python bench/loop.py --quick                         # small pool, 1 draw, logreg

Writes results.json and results.md to --out (default bench/results/loop[-logreg]).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
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

from bench.quality import BBC_SCHEMA, WORKDIR, prepare_pool  # noqa: E402
from bench.quality_corpora import load_corpus  # noqa: E402
from bench.quality_data import draw_seeds, load_label_dirs, split  # noqa: E402
from bench.quality_train import TrainConfig, train_and_score  # noqa: E402
from kgsynth.app.demo import bbc_dir  # noqa: E402
from kgsynth.types import Miss  # noqa: E402
from synth.schema import load_schema  # noqa: E402

FILTERS = ["normalize", "exact_dedup", "near_dedup", "label_noise"]
UNSURE = 20  # dev rows the loop aims at when the first model made no mistake there


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--k", type=int, default=4, help="seed articles per label")
    p.add_argument("--draws", type=int, default=3)
    p.add_argument("--per-label", type=int, default=200, help="the baseline's budget per label")
    p.add_argument("--share", type=float, default=0.25, help="share of the budget the loop targets")
    p.add_argument("--classifier", choices=("finetune", "logreg"), default="finetune")
    p.add_argument("--device", default="cpu")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--min-steps", type=int, default=40)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--quick", action="store_true", help="300-article pool, 1 draw, logreg")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    if args.quick:
        args.draws, args.classifier, args.per_label = 1, "logreg", 40
    suffix = "-quick" if args.quick else ("-logreg" if args.classifier == "logreg" else "")
    args.out = args.out or ROOT / "bench" / "results" / f"loop{suffix}"
    return args


def pipeline(ws, schema, labeled, per_label: int, draw: int, name: str):
    """build -> annotate (label model) -> clean, as bench/quality.py's kgsynth arm does."""
    from synth.annotate import annotate
    from synth.classify import build_classification
    from synth.clean import clean

    version = build_classification(
        ws, schema, labeled=labeled, per_label=per_label, seed=draw, name=name
    )
    version = annotate(ws, version.id, method="label_model")
    options = {"label_noise": {"drop": True}}
    return clean(ws, version.id, filters=FILTERS, options=options).version


def rows_of(ws, version) -> list:
    return [e for e in ws.catalog.examples(version.id) if e.label]


def eval_rows(examples) -> list[dict]:
    return [
        {"text": e.input, "label": e.label, "id": e.id, "meta": {"doc_ids": e.provenance.doc_ids}}
        for e in examples
    ]


def weakness_of(train, dev, cfg: TrainConfig, draw: int, tmp: Path):
    """M0 trained on `train`, its weakness on `dev` (weakly labeled rows of the same set)."""
    from finetune.weakness import classifier_weakness, from_predictions

    rows = eval_rows(dev)
    if cfg.classifier == "logreg":
        from sklearn.linear_model import LogisticRegression

        from bench.quality_train import _embed

        x = _embed([e.input for e in train])
        clf = LogisticRegression(C=10.0, max_iter=1000, random_state=draw)
        clf.fit(x, [e.label for e in train])
        proba = clf.predict_proba(_embed([r["text"] for r in rows]))
        pred = [clf.classes_[i] for i in proba.argmax(axis=1)]
        weakness = from_predictions("m0-logreg", "dev", rows, pred)
        if not weakness.misses:  # no mistake on dev: aim at the rows it is least sure of
            unsure = sorted(range(len(rows)), key=lambda i: proba[i].max())[:UNSURE]
            misses = [
                Miss(text=rows[i]["text"], predicted=pred[i], doc_ids=rows[i]["meta"]["doc_ids"],
                     disagreement=round(1 - float(proba[i].max()), 4))
                for i in unsure
            ]  # fmt: skip
            weakness = weakness.model_copy(update={"labeled": False, "misses": misses})
        return weakness, None
    from finetune.classifier import train_classifier
    from finetune.data import ClassificationData

    epochs = cfg.epochs_for(len(train))
    data = ClassificationData(train=[(e.input, e.label) for e in train], source="loop-m0")
    result = train_classifier(
        data,
        tmp / "m0",
        max_length=cfg.max_length,
        epochs=epochs,
        lr=cfg.lr,
        batch_size=cfg.batch_size,
        seed=draw,
        patience=epochs + 1,
        resume=False,
    )
    dev_file = tmp / "dev.jsonl"
    dev_file.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    weakness = classifier_weakness(tmp / "m0", dev_file)
    if (
        not weakness.misses
    ):  # no mistake on dev: aim at the rows its sampled predictions disagree on
        unlabeled = tmp / "dev-unlabeled.jsonl"
        unlabeled.write_text(
            "".join(json.dumps({k: v for k, v in r.items() if k != "label"}) + "\n" for r in rows)
        )
        weakness = classifier_weakness(tmp / "m0", unlabeled)
    return weakness, {"seconds": result.seconds}


def accuracy(examples, gold: dict[str, str]) -> float | None:
    pairs = [
        (e.provenance.doc_ids[0], e.label)
        for e in examples
        if e.label_source != "seed" and e.provenance.doc_ids and e.provenance.doc_ids[0] in gold
    ]
    return round(sum(gold[d] == lab for d, lab in pairs) / len(pairs), 4) if pairs else None


def run_draw(args, data, ws, gold, schema0, cfg, draw: int) -> dict:
    from synth.classify import label_corpus
    from synth.targeted import build_targeted

    seeds = draw_seeds(data.pool, args.k, draw)
    schema = schema0.with_seeds({lab: [data.pool[i].text for i in ix] for lab, ix in seeds.items()})
    test = [(r.text, r.label) for r in data.test]
    t0 = time.perf_counter()
    labeled = label_corpus(ws, schema, seed=draw)
    base = pipeline(ws, schema, labeled, args.per_label, draw, f"loop-base-k{args.k}-d{draw}")
    base_rows = rows_of(ws, base)
    small = round(args.per_label * (1 - args.share))
    v0 = pipeline(ws, schema, labeled, small, draw, f"loop-small-k{args.k}-d{draw}")
    rows0 = rows_of(ws, v0)
    budget = len(base_rows) - len(rows0)
    shuffled = rows0[:]
    random.Random(draw).shuffle(shuffled)
    cut = round(len(shuffled) * 0.15)
    with tempfile.TemporaryDirectory(prefix="kgsynth-loop-") as tmp:
        weakness, m0 = weakness_of(shuffled[cut:], shuffled[:cut], cfg, draw, Path(tmp))
        improved = build_targeted(ws, v0, weakness, budget, labeled=labeled)
        loop_rows = rows_of(ws, improved)
        ids0 = {e.id for e in rows0}  # not meta["improve"]: a unit the baseline also used is
        added = [e for e in loop_rows if e.id not in ids0]  # one example, stored with its meta
        base_score = train_and_score(
            [(e.input, e.label) for e in base_rows], test, Path(tmp) / "base", cfg, seed=draw
        )
        loop_score = train_and_score(
            [(e.input, e.label) for e in loop_rows], test, Path(tmp) / "loop", cfg, seed=draw
        )
    out = {
        "draw": draw,
        "baseline": {
            "n": len(base_rows),
            **base_score,
            "label_accuracy": accuracy(base_rows, gold),
        },
        "loop": {
            "n": len(loop_rows),
            "n0": len(rows0),
            "added": len(added),
            **loop_score,
            "label_accuracy": accuracy(loop_rows, gold),
            "added_label_accuracy": accuracy(added, gold),
            "m0_dev_macro_f1": weakness.score,
            "confusions": weakness.confusions[:5],
            "m0": m0,
        },
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(
        f"draw {draw}: baseline {base_score['macro_f1']:.4f} (n={len(base_rows)}) | loop "
        f"{loop_score['macro_f1']:.4f} (n={len(loop_rows)}, {len(added)} targeted, their label "
        f"accuracy {out['loop']['added_label_accuracy']}) | {out['seconds']:.0f} s",
        flush=True,
    )
    return out


def summary(runs: list[dict]) -> dict:
    def stat(arm: str) -> tuple[float, float]:
        xs = [100 * r[arm]["macro_f1"] for r in runs]
        return round(statistics.mean(xs), 2), round(statistics.stdev(xs) if len(xs) > 1 else 0.0, 2)

    b, lp = stat("baseline"), stat("loop")
    gains = [100 * (r["loop"]["macro_f1"] - r["baseline"]["macro_f1"]) for r in runs]
    return {
        "baseline": b,
        "loop": lp,
        "gain": round(statistics.mean(gains), 2),
        "gain_std": round(statistics.stdev(gains) if len(gains) > 1 else 0.0, 2),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    # full runs use the de-duplicated split of bench/quality_table.py: the same pool, ingested once
    quick = split(load_label_dirs(bbc_dir()), 0.2, 0, 300, 150) if args.quick else None
    data = quick or load_corpus("bbc")
    ws, gold, info = prepare_pool(data, WORKDIR)
    print(f"pool ready: {info['documents']} documents", flush=True)
    cfg = TrainConfig(
        classifier=args.classifier,
        device=args.device,
        epochs=args.epochs,
        min_steps=args.min_steps,
        max_length=args.max_length,
    )
    schema = load_schema(BBC_SCHEMA)
    runs = []
    args.out.mkdir(parents=True, exist_ok=True)
    for draw in range(args.draws):
        runs.append(run_draw(args, data, ws, gold, schema, cfg, draw))
        result = {"config": {k: str(v) for k, v in vars(args).items()}, "runs": runs}
        result["summary"] = summary(runs)
        (args.out / "results.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    s = summary(runs)
    md = [
        f"| arm (k={args.k}, {args.draws} draws, {args.classifier}) | macro-F1 | train size |",
        "|---|---:|---:|",
        f"| baseline: kgsynth set | {s['baseline'][0]:.1f} ± {s['baseline'][1]:.1f} | "
        f"{runs[0]['baseline']['n']} |",
        f"| loop: smaller set + targeted | {s['loop'][0]:.1f} ± {s['loop'][1]:.1f} | "
        f"{runs[0]['loop']['n']} |",
        f"| gain (per draw) | {s['gain']:+.2f} ± {s['gain_std']:.2f} | |",
    ]
    (args.out / "results.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
