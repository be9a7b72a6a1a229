"""Fine-tune a sequence classifier (any local encoder) on a classification export, fast on CPU.

A plain torch loop: texts are tokenized once, batches are bucketed by length and padded dynamically,
dev macro-F1 is computed once per epoch (early stopping), and a checkpoint (model, optimizer,
scheduler, position, history) is written atomically each epoch and every ``save_steps`` steps, so a
killed run resumes where it stopped. The best model is saved with its tokenizer, label map (in
``config.json``), ``train_log.json`` and a model card.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from finetune.data import ClassificationData, load_classification
from kgsynth.errors import ConfigError, InputError, require

CHECKPOINT = "checkpoint.pt"
Progress = Callable[[int, int], None] | None
Log = Callable[[str], None] | None


class TrainResult(BaseModel):
    out: str
    labels: list[str]
    epochs_run: int
    best_epoch: int
    best_dev_macro_f1: float
    test: dict[str, float] = Field(default_factory=dict)
    history: list[dict[str, Any]] = Field(default_factory=list)
    resumed_from: dict[str, int] | None = None
    train_examples: int = 0
    seconds: float = 0.0
    examples_per_s: float = 0.0

    @property
    def model_dir(self) -> str:
        """The saved model directory (same as `out`)."""
        return self.out


LARGE_VOCAB = 100_000  # word embeddings of an encoder with more rows stay frozen


def default_encoder(texts: list[str] | None = None) -> str:
    """The encoder for the texts' language: all-MiniLM-L6-v2, or multilingual-e5-small for Chinese."""
    from kgsynth.embeddings import encoder_path, texts_lang

    return encoder_path(texts_lang(texts) if texts else "en")


def set_threads(threads: int | None = None) -> int:
    """Use at most `threads` (default: min(2, cores)) intra-op threads; returns the number."""
    torch = require("torch", extra="ml")
    n = threads or min(2, os.cpu_count() or 1)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def length_batches(lengths: list[int], batch_size: int, seed: int) -> list[list[int]]:
    """Shuffled batches of similar-length items: sort within pools of 50 batches, shuffle batches."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for i in range(0, len(order), pool):
        part = sorted(order[i : i + pool], key=lambda j: lengths[j])
        batches += [part[k : k + batch_size] for k in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(ids: list[list[int]], pad_id: int, labels: list[int] | None = None) -> dict:
    """Pad token id lists to the longest in the batch; tensors for the model."""
    torch = require("torch", extra="ml")
    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, x in enumerate(ids):
        input_ids[i, : len(x)] = torch.tensor(x)
        mask[i, : len(x)] = 1
    batch = {"input_ids": input_ids, "attention_mask": mask}
    if labels is not None:
        batch["labels"] = torch.tensor(labels)
    return batch


def predict_ids(model, token_ids: list[list[int]], pad_id: int, batch_size: int = 64) -> list[int]:
    """Predicted class ids, batched by sorted length (order of the input kept)."""
    torch = require("torch", extra="ml")
    model.eval()
    order = sorted(range(len(token_ids)), key=lambda i: len(token_ids[i]))
    preds = [0] * len(token_ids)
    with torch.inference_mode():
        for k in range(0, len(order), batch_size):
            idx = order[k : k + batch_size]
            logits = model(**collate([token_ids[i] for i in idx], pad_id)).logits
            for i, p in zip(idx, logits.argmax(-1).tolist(), strict=True):
                preds[i] = p
    return preds


def macro_f1(gold: list[int], pred: list[int]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, pred, average="macro", zero_division=0))


def make_adamw(params, lr: float):
    """AdamW, fused (one kernel for all parameters) where this torch build supports it."""
    torch = require("torch", extra="ml")
    try:
        return torch.optim.AdamW(params, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.AdamW(params, lr=lr, foreach=True)


def _atomic_torch_save(obj: dict, path: Path) -> None:
    torch = require("torch", extra="ml")
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _fingerprint(model: str, data: ClassificationData, hp: dict) -> dict:
    return {"model": model, "labels": data.labels, "train": len(data.train), **hp}


def train_classifier(
    data: str | Path | ClassificationData,
    out: str | Path,
    *,
    model: str | Path | None = None,
    max_length: int = 256,
    epochs: int = 3,
    lr: float = 5e-5,
    batch_size: int = 16,
    seed: int = 0,
    patience: int = 2,
    warmup_ratio: float = 0.1,
    weight_decay: float = 0.01,
    save_steps: int = 0,
    checkpoint_dir: str | Path | None = None,
    threads: int | None = None,
    progress: Progress = None,
    log: Log = None,
    resume: bool = True,
) -> TrainResult:
    """Fine-tune `model` (default: the encoder for the data's language) on `data`; the best
    dev-macro-F1 model is saved to `out`."""
    torch = require("torch", extra="ml")
    transformers = require("transformers", extra="ml")
    started = time.perf_counter()
    set_threads(threads)
    data = data if isinstance(data, ClassificationData) else load_classification(data, seed=seed)
    labels = data.labels
    if len(labels) < 2:
        raise InputError(
            f"{data.source}: need at least 2 labels to train a classifier, got {labels}"
        )
    model_path = str(model or default_encoder([t for t, _ in data.train]))
    if not Path(model_path).exists():
        raise ConfigError(f"model directory {model_path} does not exist; pass --model DIR")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_dir = Path(checkpoint_dir) if checkpoint_dir else out / "checkpoints"
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path = ckpt_dir / CHECKPOINT
    say = log or (lambda _msg: None)

    label2id = {lab: i for i, lab in enumerate(labels)}
    tok = transformers.AutoTokenizer.from_pretrained(model_path)
    torch.manual_seed(seed)
    net = transformers.AutoModelForSequenceClassification.from_pretrained(
        model_path,
        num_labels=len(labels),
        label2id=label2id,
        id2label={i: lab for lab, i in label2id.items()},
    )
    if net.config.vocab_size > LARGE_VOCAB:
        # A multilingual vocabulary (250k rows): a few thousand examples barely move its rows, and
        # updating them would cost most of every optimizer step. The encoder layers still train.
        net.get_input_embeddings().weight.requires_grad_(False)
    frozen = {n for n, p in net.named_parameters() if not p.requires_grad}
    pad_id = tok.pad_token_id or 0

    def encode(rows: list[tuple[str, str]]) -> tuple[list[list[int]], list[int]]:
        if not rows:
            return [], []
        enc = tok([t for t, _ in rows], truncation=True, max_length=max_length)["input_ids"]
        return enc, [label2id[lab] for _, lab in rows]

    train_ids, train_y = encode(data.train)
    dev_ids, dev_y = encode(data.dev)
    steps_per_epoch = -(-len(train_ids) // batch_size)
    total_steps = steps_per_epoch * epochs
    no_decay = ("bias", "LayerNorm.weight", "layernorm", "norm")
    groups = [
        {
            "params": [p for n, p in net.named_parameters() if not any(k in n for k in no_decay)],
            "weight_decay": weight_decay,
        },
        {
            "params": [p for n, p in net.named_parameters() if any(k in n for k in no_decay)],
            "weight_decay": 0.0,
        },
    ]
    optim = make_adamw(groups, lr)
    sched = transformers.get_linear_schedule_with_warmup(
        optim, int(total_steps * warmup_ratio), total_steps
    )
    hp = dict(max_length=max_length, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed)
    hp |= dict(patience=patience, warmup_ratio=warmup_ratio, weight_decay=weight_decay)
    fingerprint = _fingerprint(model_path, data, hp)
    state = {"epoch": 0, "step": 0, "global_step": 0, "history": [], "steps": []}
    state |= {"best_f1": -1.0, "best_epoch": 0, "bad_epochs": 0}
    resumed_from = None
    if resume and ckpt_path.exists():
        ck = torch.load(ckpt_path, weights_only=False)
        if ck["fingerprint"] == fingerprint:
            net.load_state_dict(ck["model"], strict=not frozen)
            optim.load_state_dict(ck["optimizer"])
            sched.load_state_dict(ck["scheduler"])
            torch.set_rng_state(ck["torch_rng"])
            state = ck["state"]
            resumed_from = {"epoch": state["epoch"], "step": state["step"]}
            say(f"resumed from checkpoint: epoch {state['epoch']} step {state['step']}")
        else:
            say("checkpoint ignored: data or hyper-parameters changed")

    def checkpoint() -> None:
        _atomic_torch_save(
            {
                "fingerprint": fingerprint,
                # frozen weights are the pretrained ones: a resume reloads them from the encoder
                "model": {k: v for k, v in net.state_dict().items() if k not in frozen},
                "optimizer": optim.state_dict(),
                "scheduler": sched.state_dict(),
                "torch_rng": torch.get_rng_state(),
                "state": state,
            },
            ckpt_path,
        )

    seen = 0
    train_start = time.perf_counter()
    stopped = state["bad_epochs"] >= patience
    while state["epoch"] < epochs and not stopped:
        epoch = state["epoch"]
        batches = length_batches([len(x) for x in train_ids], batch_size, seed + epoch)
        net.train()
        for b in range(state["step"], len(batches)):
            idx = batches[b]
            batch = collate([train_ids[i] for i in idx], pad_id, [train_y[i] for i in idx])
            loss = net(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optim.step()
            sched.step()
            optim.zero_grad(set_to_none=True)
            seen += len(idx)
            state["step"] = b + 1
            state["global_step"] += 1
            state["steps"].append({"step": state["global_step"], "loss": round(loss.item(), 5)})
            say(
                f"epoch {epoch + 1} step {state['global_step']}/{total_steps} loss {loss.item():.4f}"
            )
            if progress:
                progress(state["global_step"], total_steps)
            if save_steps and state["global_step"] % save_steps == 0 and b + 1 < len(batches):
                checkpoint()
        epoch_steps = state["steps"][-len(batches) :]
        train_loss = sum(s["loss"] for s in epoch_steps) / max(1, len(epoch_steps))
        f1 = macro_f1(dev_y, predict_ids(net, dev_ids, pad_id)) if dev_ids else 0.0
        state["history"].append(
            {"epoch": epoch + 1, "train_loss": round(train_loss, 5), "dev_macro_f1": round(f1, 5)}
        )
        say(f"epoch {epoch + 1} train_loss {train_loss:.4f} dev_macro_f1 {f1:.4f}")
        if not dev_ids or f1 > state["best_f1"]:  # no dev set: the last epoch is the model
            state |= {"best_f1": f1, "best_epoch": epoch + 1, "bad_epochs": 0}
            if dev_ids or epoch + 1 == epochs:  # without a dev set only the last one is kept
                net.save_pretrained(out)
                tok.save_pretrained(out)
        else:
            state["bad_epochs"] += 1
            stopped = state["bad_epochs"] >= patience
            if stopped:
                say(f"early stop: no dev macro-F1 gain for {patience} epochs")
        state["epoch"] += 1
        state["step"] = 0
        if state["epoch"] < epochs and not stopped:
            checkpoint()
    train_seconds = time.perf_counter() - train_start
    ckpt_path.unlink(missing_ok=True)  # finished: nothing left to resume

    test = {}
    if data.test:
        best = transformers.AutoModelForSequenceClassification.from_pretrained(out)
        test_ids, test_y = encode(data.test)
        pred = predict_ids(best, test_ids, pad_id)
        acc = sum(p == g for p, g in zip(pred, test_y, strict=True)) / len(test_y)
        test = {"macro_f1": round(macro_f1(test_y, pred), 5), "accuracy": round(acc, 5)}
    result = TrainResult(
        out=str(out),
        labels=labels,
        epochs_run=len(state["history"]),
        best_epoch=state["best_epoch"],
        best_dev_macro_f1=round(max(state["best_f1"], 0.0), 5),
        test=test,
        history=state["history"],
        resumed_from=resumed_from,
        train_examples=len(train_ids),
        seconds=round(time.perf_counter() - started, 2),
        examples_per_s=round(seen / train_seconds, 2) if seen else 0.0,
    )
    log_doc = {"history": state["history"], "steps": state["steps"], "params": hp}
    (out / "train_log.json").write_text(json.dumps(log_doc | {"model": model_path}, indent=1))
    (out / "README.md").write_text(model_card(result, data, model_path, hp))
    return result


def model_card(result: TrainResult, data: ClassificationData, model: str, hp: dict) -> str:
    """A Markdown model card: data, hyper-parameters and metrics."""
    lines = [
        "# Text classifier fine-tuned with kgsynth",
        "",
        f"- Base model: `{model}`",
        f"- Data: `{data.source}` ({len(data.train)} train, {len(data.dev)} dev,"
        f" {len(data.test)} test)",
        f"- Labels: {', '.join(result.labels)}",
        "",
        "## Hyper-parameters",
        "",
        *[f"- {k}: {v}" for k, v in hp.items()],
        "",
        "## Metrics",
        "",
        f"- Best epoch: {result.best_epoch} of {result.epochs_run}",
        f"- Dev macro-F1: {result.best_dev_macro_f1:.4f}",
        *[f"- Test {k}: {v:.4f}" for k, v in result.test.items()],
        "",
        "| epoch | train loss | dev macro-F1 |",
        "|---:|---:|---:|",
        *[
            f"| {h['epoch']} | {h['train_loss']:.4f} | {h['dev_macro_f1']:.4f} |"
            for h in result.history
        ],
        "",
        "Load it with `AutoModelForSequenceClassification.from_pretrained(<this dir>)`;",
        "`config.json` holds `label2id` / `id2label`.",
        "",
    ]
    return "\n".join(lines)
