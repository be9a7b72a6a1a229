"""One resumable training loop for every fine-tuning job.

The caller supplies the model, the items' token lengths (for length-bucketed batches) and a function
that turns a list of item indices into the model's keyword arguments (with the loss's labels). The loop
runs AdamW with linear warm-up and decay and gradient clipping, reports progress and per-step loss,
calls ``after_epoch`` once per epoch (for evaluation, saving and early stopping through ``stop``), and
writes an atomic checkpoint (the trained weights, optimizer, scheduler, RNG, position, history) every
epoch and every ``save_steps`` steps, so a killed run resumes where it stopped. Frozen weights (a
LoRA base model, a frozen vocabulary) are the pretrained ones: checkpoints leave them out and a
resume keeps what the caller loaded. A checkpoint whose fingerprint (data and hyper-parameters)
differs is ignored. The classifier, the reader and LoRA SFT all train here.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from kgsynth.config import Options
from kgsynth.errors import require

Progress = Callable[[int, int], None] | None
Log = Callable[[str], None] | None
NO_DECAY = ("bias", "LayerNorm.weight", "layernorm", "norm")


@dataclass
class LoopSettings:
    epochs: int
    lr: float
    batch_size: int
    seed: int = 0
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    save_steps: int = 0
    max_steps: int = 0  # stop after this many optimizer steps (0: no cap)


class TrainingOptions(Options):
    """What every training run sets for the loop; each model's options subclass it, with its own
    defaults and fields (``TrainConfig``, ``SFTConfig``)."""

    epochs: int = 1
    lr: float = 5e-5
    batch_size: int = 16
    seed: int = 0
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    save_steps: int = 0  # a checkpoint every this many steps too (0: each epoch only)
    max_steps: int = 0  # stop after this many optimizer steps (0: no cap)
    threads: int | None = None  # torch CPU threads (None: min(2, cores))

    def loop_settings(self) -> LoopSettings:
        return LoopSettings(**{f.name: getattr(self, f.name) for f in fields(LoopSettings)})


@dataclass
class LoopState:
    """Where a run is; saved in every checkpoint and returned at the end."""

    epoch: int = 0
    step: int = 0  # batches done in the current epoch
    global_step: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, float]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # the caller's own bookkeeping
    resumed_from: dict[str, int] | None = None
    examples_per_s: float = 0.0


STATE_FIELDS = {f.name for f in fields(LoopState)}  # what a checkpoint of this loop holds


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


def make_adamw(params, lr: float):
    """AdamW, fused (one kernel for all parameters) where this torch build supports it."""
    torch = require("torch", extra="ml")
    try:
        return torch.optim.AdamW(params, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.AdamW(params, lr=lr, foreach=True)


def param_groups(net, weight_decay: float) -> list[dict]:
    """Weight decay on weights, none on biases and norms."""
    named = [(n, p) for n, p in net.named_parameters() if p.requires_grad]
    return [
        {
            "params": [p for n, p in named if not any(k in n for k in NO_DECAY)],
            "weight_decay": weight_decay,
        },
        {"params": [p for n, p in named if any(k in n for k in NO_DECAY)], "weight_decay": 0.0},
    ]


def atomic_torch_save(obj: dict, path: Path) -> None:
    torch = require("torch", extra="ml")
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train_loop(
    net,
    lengths: list[int],
    make_batch: Callable[[list[int]], dict],
    settings: LoopSettings,
    *,
    checkpoint: Path,
    fingerprint: dict,
    after_epoch: Callable[[int, LoopState], dict[str, Any] | None] | None = None,
    progress: Progress = None,
    log: Log = None,
    resume: bool = True,
    stop: Callable[[LoopState], bool] | None = None,
    on_start: Callable[[LoopState], None] | None = None,
    on_update: Callable[[LoopState], None] | None = None,
    keep_checkpoint: bool = False,
    loss: Callable[[Any, dict], Any] | None = None,
) -> LoopState:
    """Train `net` for ``settings.epochs`` epochs (or ``max_steps``, or until `stop`), resuming
    from `checkpoint`. `on_start` runs once the state is known (fresh or resumed), `on_update`
    after every step and epoch (to publish the loss so far). A finished run deletes its checkpoint,
    unless `keep_checkpoint`: then it is the finished state, and a re-run trains nothing.
    `loss(net, batch)` replaces the model's own loss (``net(**batch).loss``)."""
    torch = require("torch", extra="ml")
    transformers = require("transformers", extra="ml")
    say = log or (lambda _msg: None)
    s = settings
    steps_per_epoch = -(-len(lengths) // s.batch_size)
    total = steps_per_epoch * s.epochs
    if s.max_steps:
        total = min(total, s.max_steps)
    optim = make_adamw(param_groups(net, s.weight_decay), s.lr)
    sched = transformers.get_linear_schedule_with_warmup(optim, int(total * s.warmup_ratio), total)
    frozen = {n for n, p in net.named_parameters() if not p.requires_grad}
    state = LoopState()
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    if resume and checkpoint.exists():
        ck = torch.load(checkpoint, weights_only=False)
        if ck.get("fingerprint") == fingerprint and set(ck.get("state", ())) <= STATE_FIELDS:
            net.load_state_dict(ck["model"], strict=not frozen)
            optim.load_state_dict(ck["optimizer"])
            sched.load_state_dict(ck["scheduler"])
            torch.set_rng_state(ck["torch_rng"])
            state = LoopState(**ck["state"])
            state.resumed_from = {"epoch": state.epoch, "step": state.step}
            say(f"resumed from checkpoint: epoch {state.epoch} step {state.step}")
        else:
            say("checkpoint ignored: data or hyper-parameters changed")

    def save() -> None:
        atomic_torch_save(
            {
                "fingerprint": fingerprint,
                "model": {k: v for k, v in net.state_dict().items() if k not in frozen},
                "optimizer": optim.state_dict(),
                "scheduler": sched.state_dict(),
                "torch_rng": torch.get_rng_state(),
                "state": {k: v for k, v in vars(state).items() if k != "resumed_from"},
            },
            checkpoint,
        )

    if on_start:
        on_start(state)
    device = next(net.parameters()).device
    seen, started = 0, time.perf_counter()

    def running() -> bool:
        return state.epoch < s.epochs and state.global_step < total and not (stop and stop(state))

    while running():
        batches = length_batches(lengths, s.batch_size, s.seed + state.epoch)
        first = state.global_step - state.step  # the epoch's first step
        net.train()
        for b in range(state.step, len(batches)):
            if state.global_step >= total:
                break
            batch = {k: v.to(device) for k, v in make_batch(batches[b]).items()}
            step_loss = loss(net, batch) if loss else net(**batch).loss
            step_loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optim.step()
            sched.step()
            optim.zero_grad(set_to_none=True)
            seen += len(batches[b])
            state.step = b + 1
            state.global_step += 1
            state.steps.append({"step": state.global_step, "loss": round(step_loss.item(), 5)})
            say(
                f"epoch {state.epoch + 1} step {state.global_step}/{total} loss {step_loss.item():.4f}"
            )
            if progress:
                progress(state.global_step, total)
            if on_update:
                on_update(state)
            if s.save_steps and state.global_step % s.save_steps == 0 and b + 1 < len(batches):
                save()
        entry = {"epoch": state.epoch + 1, "train_loss": round(_mean(state.steps[first:]), 5)}
        if state.step < len(batches):  # the step cap ended the epoch early: it stays open
            state.history.append(entry)
            break
        entry |= (after_epoch(state.epoch, state) if after_epoch else None) or {}
        state.history.append(entry)
        say(" ".join(f"{k} {v}" for k, v in entry.items()))
        state.epoch += 1
        state.step = 0
        if on_update:
            on_update(state)
        if running():
            save()
    if keep_checkpoint:
        save()
    else:
        checkpoint.unlink(missing_ok=True)  # finished: nothing left to resume
    elapsed = time.perf_counter() - started
    state.examples_per_s = round(seen / elapsed, 2) if seen else 0.0
    return state


def _mean(steps: list[dict[str, float]]) -> float:
    return sum(x["loss"] for x in steps) / max(1, len(steps))
