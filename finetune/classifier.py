"""Fine-tune a sequence classifier (any local encoder) on a classification export, fast on CPU.

Texts are tokenized once, batches are bucketed by length and padded dynamically, and training runs on
the shared resumable loop (:mod:`finetune.loop`): a checkpoint each epoch and every ``save_steps``
steps, so a killed run resumes where it stopped. Dev macro-F1 is computed once per epoch (early
stopping after ``patience`` epochs without a gain). The best model is saved with its tokenizer, label
map (in ``config.json``), ``train_log.json`` and a model card. :class:`TrainConfig` holds every
default; callers override fields.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator

from finetune.data import ClassificationData, load_classification
from finetune.loop import LoopState, TrainingOptions, length_batches, set_threads, train_loop
from kgsynth.errors import ConfigError, InputError, require

__all__ = ["TrainConfig", "TrainResult", "length_batches", "train_classifier"]

CHECKPOINT = "checkpoint.pt"
CLASS_WEIGHTS = ("balanced", "none")
Progress = Callable[[int, int], None] | None
Log = Callable[[str], None] | None
Update = Callable[[dict[str, Any]], None] | None


class TrainConfig(TrainingOptions):
    """Hyper-parameters of a classifier run; the defaults suit MiniLM on CPU."""

    what = "classifier training"
    model: str | None = None  # an encoder directory; default: the encoder for the data's language
    max_length: int = 256
    epochs: int = 3
    patience: int = 2  # epochs without a dev macro-F1 gain before stopping
    # "balanced": each label's loss weighted by n / (labels * its count), so a rare label is not
    # traded away for a common one (synthesized sets follow the pool's skew); "none": plain loss
    class_weight: str = "balanced"

    @field_validator("class_weight")
    @classmethod
    def _known_weighting(cls, v: str) -> str:
        if v not in CLASS_WEIGHTS:
            raise ValueError(f"must be one of {', '.join(CLASS_WEIGHTS)}, not {v!r}")
        return v


class TrainResult(BaseModel):
    out: str
    labels: list[str]
    epochs_run: int
    best_epoch: int
    best_dev_macro_f1: float
    test: dict[str, float] = Field(default_factory=dict)
    history: list[dict[str, Any]] = Field(default_factory=list)
    steps: list[dict[str, float]] = Field(default_factory=list)  # the loss at every step
    resumed_from: dict[str, int] | None = None
    train_examples: int = 0
    seconds: float = 0.0
    examples_per_s: float = 0.0

    @property
    def model_dir(self) -> str:
        """The saved model directory (same as `out`)."""
        return self.out


LARGE_VOCAB = 100_000  # word embeddings of an encoder with more rows stay frozen
# What shapes the trained model (its fingerprint, train_log.json and card), in the card's order.
HYPER = ("max_length", "epochs", "lr", "batch_size", "seed", "patience", "warmup_ratio")
HYPER += ("weight_decay", "max_steps", "class_weight")


def default_encoder(texts: list[str] | None = None) -> str:
    """The encoder for the texts' language: all-MiniLM-L6-v2, or multilingual-e5-small for Chinese."""
    from kgsynth.embeddings import encoder_path, texts_lang

    return encoder_path(texts_lang(texts) if texts else "en")


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


def label_weights(y: list[int], n_labels: int) -> list[float]:
    """n / (n_labels * count) per label, as scikit-learn's "balanced"; 1.0 for a label with none."""
    counts = [y.count(j) for j in range(n_labels)]
    return [len(y) / (n_labels * c) if c else 1.0 for c in counts]


def weighted_loss(weights: list[float]):
    """A loss for the training loop: cross-entropy with a weight per label."""
    import torch

    def loss(net, batch: dict):
        inputs = {k: v for k, v in batch.items() if k != "labels"}
        logits = net(**inputs).logits
        w = torch.tensor(weights, dtype=logits.dtype, device=logits.device)
        return torch.nn.functional.cross_entropy(logits, batch["labels"], weight=w)

    return loss


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


def train_classifier(
    data: str | Path | ClassificationData,
    out: str | Path,
    config: TrainConfig | None = None,
    *,
    checkpoint_dir: str | Path | None = None,
    progress: Progress = None,
    log: Log = None,
    on_update: Update = None,
    resume: bool = True,
    **overrides: Any,
) -> TrainResult:
    """Fine-tune an encoder on `data` with `config` (else the defaults) and any `overrides` of its
    fields; the best dev-macro-F1 model is saved to `out`. `on_update` gets the history and the
    per-step loss so far, after every step and epoch."""
    cfg = TrainConfig.build(config, **overrides)
    transformers = require("transformers", extra="ml")
    torch = require("torch", extra="ml")
    started = time.perf_counter()
    set_threads(cfg.threads)
    data = (
        data if isinstance(data, ClassificationData) else load_classification(data, seed=cfg.seed)
    )
    labels = data.labels
    if len(labels) < 2:
        raise InputError(
            f"{data.source}: need at least 2 labels to train a classifier, got {labels}"
        )
    model_path = str(cfg.model or default_encoder([t for t, _ in data.train]))
    if not Path(model_path).exists():
        raise ConfigError(f"model directory {model_path} does not exist; pass --model DIR")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    label2id = {lab: i for i, lab in enumerate(labels)}
    tok = transformers.AutoTokenizer.from_pretrained(model_path)
    torch.manual_seed(cfg.seed)
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
    pad_id = tok.pad_token_id or 0

    def encode(rows: list[tuple[str, str]]) -> tuple[list[list[int]], list[int]]:
        if not rows:
            return [], []
        enc = tok([t for t, _ in rows], truncation=True, max_length=cfg.max_length)["input_ids"]
        return enc, [label2id[lab] for _, lab in rows]

    train_ids, train_y = encode(data.train)
    dev_ids, dev_y = encode(data.dev)
    hp = {k: getattr(cfg, k) for k in HYPER}

    def after_epoch(epoch: int, state: LoopState) -> dict:
        f1 = macro_f1(dev_y, predict_ids(net, dev_ids, pad_id)) if dev_ids else 0.0
        best = state.extra
        if not dev_ids or f1 > best["best_f1"]:  # no dev set: the last epoch is the model
            best |= {"best_f1": f1, "best_epoch": epoch + 1, "bad_epochs": 0}
            if dev_ids or epoch + 1 == cfg.epochs:  # without a dev set only the last one is kept
                net.save_pretrained(out)
                tok.save_pretrained(out)
        else:
            best["bad_epochs"] += 1
            if best["bad_epochs"] >= cfg.patience:
                say(f"early stop: no dev macro-F1 gain for {cfg.patience} epochs")
        return {"dev_macro_f1": round(f1, 5)}

    def on_start(state: LoopState) -> None:
        state.extra = state.extra or {"best_f1": -1.0, "best_epoch": 0, "bad_epochs": 0}

    say = log or (lambda _msg: None)
    balanced = cfg.class_weight == "balanced"
    state = train_loop(
        net,
        [len(x) for x in train_ids],
        lambda idx: collate([train_ids[i] for i in idx], pad_id, [train_y[i] for i in idx]),
        cfg.loop_settings(),
        checkpoint=Path(checkpoint_dir or out / "checkpoints") / CHECKPOINT,
        fingerprint={"model": model_path, "labels": labels, "train": len(data.train), **hp},
        after_epoch=after_epoch,
        progress=progress,
        log=log,
        resume=resume,
        stop=lambda st: st.extra["bad_epochs"] >= cfg.patience,
        on_start=on_start,
        loss=weighted_loss(label_weights(train_y, len(labels))) if balanced else None,
        on_update=(lambda st: on_update({"history": st.history, "steps": st.steps}))
        if on_update
        else None,
    )

    test = {}
    if data.test:
        best_net = transformers.AutoModelForSequenceClassification.from_pretrained(out)
        test_ids, test_y = encode(data.test)
        pred = predict_ids(best_net, test_ids, pad_id)
        acc = sum(p == g for p, g in zip(pred, test_y, strict=True)) / len(test_y)
        test = {"macro_f1": round(macro_f1(test_y, pred), 5), "accuracy": round(acc, 5)}
    result = TrainResult(
        out=str(out),
        labels=labels,
        epochs_run=len(state.history),
        best_epoch=state.extra["best_epoch"],
        best_dev_macro_f1=round(max(state.extra["best_f1"], 0.0), 5),
        test=test,
        history=state.history,
        steps=state.steps,
        resumed_from=state.resumed_from,
        train_examples=len(train_ids),
        seconds=round(time.perf_counter() - started, 2),
        examples_per_s=state.examples_per_s,
    )
    log_doc = {"history": state.history, "steps": state.steps, "params": hp}
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
