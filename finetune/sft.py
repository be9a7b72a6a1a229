"""LoRA supervised fine-tuning of a causal LM on a QA export, with closed-book QA before and after.

Conversations (OpenAI ``messages``, alpaca or ShareGPT rows) are rendered with the model's chat
template; the loss covers the assistant answer only. The default model is SmolLM2-135M-Instruct
(converted once from the packaged GGUF). Like the classifier loop, a checkpoint (adapter, optimizer,
scheduler, position) is written each epoch and every ``save_steps`` steps, so a killed run resumes.
"""

from __future__ import annotations

import json
import os
import re
import string
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from finetune import plots
from finetune.classifier import length_batches, make_adamw, set_threads
from finetune.data import load_chat
from kgsynth.errors import ConfigError, InputError, require

CHECKPOINT = "sft_checkpoint.pt"


class QAScores(BaseModel):
    n: int = 0
    exact_match: float = 0.0
    contains: float = 0.0
    samples: list[dict[str, str]] = Field(default_factory=list)


class SFTResult(BaseModel):
    out: str
    model: str
    steps: int
    train_examples: int
    final_loss: float
    before: QAScores
    after: QAScores
    resumed_from: dict[str, int] | None = None
    seconds: float = 0.0
    files: dict[str, str] = Field(default_factory=dict)


def default_causal_lm() -> str:
    """SmolLM2-135M-Instruct as a safetensors directory (converted from the packaged GGUF once)."""
    from kgsynth.generators.models import smollm2_dir

    return str(smollm2_dir())


def normalize_answer(s: str) -> str:
    """SQuAD-style normalisation: lowercase, no punctuation, no articles, single spaces."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def qa_scores(preds: list[str], golds: list[str], keep: int = 5) -> QAScores:
    """Exact match and 'gold answer contained in the prediction', both normalised."""
    pairs = [(normalize_answer(p), normalize_answer(g)) for p, g in zip(preds, golds, strict=True)]
    n = len(pairs) or 1
    return QAScores(
        n=len(pairs),
        exact_match=round(sum(p == g for p, g in pairs) / n, 4),
        contains=round(sum(bool(g) and g in p for p, g in pairs) / n, 4),
        samples=[{"gold": g, "pred": p} for p, g in zip(preds[:keep], golds[:keep], strict=True)],
    )


def encode_chat(tok, messages: list[dict], max_length: int) -> tuple[list[int], list[int]]:
    """Token ids of a conversation and labels that cover only the final assistant turn."""
    full = tok.apply_chat_template(messages, tokenize=False)
    prompt = tok.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full_ids = tok(full, add_special_tokens=False)["input_ids"]
    n_prompt = len(tok(prompt, add_special_tokens=False)["input_ids"])
    ids = full_ids[:max_length]
    labels = [-100] * min(n_prompt, len(ids)) + ids[n_prompt:]
    return ids, labels


def generate_answers(
    model, tok, convs: list[list[dict]], max_new_tokens: int = 32, batch_size: int = 8
) -> list[str]:
    """Greedy answers to each conversation's prompt (all but its last message)."""
    torch = require("torch", extra="ml")
    tok.padding_side = "left"
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    prompts = [
        tok.apply_chat_template(c[:-1], tokenize=False, add_generation_prompt=True) for c in convs
    ]
    answers = []
    model.eval()
    with torch.inference_mode():
        for i in range(0, len(prompts), batch_size):
            enc = tok(
                prompts[i : i + batch_size],
                return_tensors="pt",
                padding=True,
                add_special_tokens=False,
            )
            out = model.generate(
                **enc, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tok.pad_token_id
            )
            new = out[:, enc["input_ids"].shape[1] :]
            answers += [t.strip() for t in tok.batch_decode(new, skip_special_tokens=True)]
    return answers


def closed_book_eval(model, tok, convs: list[list[dict]], max_new_tokens: int = 32) -> QAScores:
    """Score the model's answers to held-out questions against the reference answers."""
    preds = generate_answers(model, tok, convs, max_new_tokens)
    return qa_scores(preds, [c[-1]["content"] for c in convs])


def _collate(items: list[tuple[list[int], list[int]]], pad_id: int) -> dict:
    torch = require("torch", extra="ml")
    width = max(len(ids) for ids, _ in items)
    input_ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    labels = torch.full((len(items), width), -100, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for i, (ids, lab) in enumerate(items):
        input_ids[i, : len(ids)] = torch.tensor(ids)
        labels[i, : len(lab)] = torch.tensor(lab)
        mask[i, : len(ids)] = 1
    return {"input_ids": input_ids, "attention_mask": mask, "labels": labels}


def train_sft(
    data: str | Path,
    out: str | Path,
    *,
    model: str | Path | None = None,
    max_length: int = 256,
    epochs: int = 1,
    lr: float = 2e-4,
    batch_size: int = 4,
    lora_r: int = 8,
    lora_alpha: int = 16,
    lora_dropout: float = 0.05,
    target_modules: list[str] | None = None,
    max_steps: int = 0,
    eval_n: int = 20,
    max_new_tokens: int = 32,
    seed: int = 0,
    save_steps: int = 0,
    checkpoint_dir: str | Path | None = None,
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    log: Callable[[str], None] | None = None,
    resume: bool = True,
) -> SFTResult:
    """LoRA-tune a causal LM on chat/instruction data; QA accuracy before and after; adapter to `out`."""
    torch = require("torch", extra="ml")
    transformers = require("transformers", extra="ml")
    peft = require("peft", extra="ml")
    started = time.perf_counter()
    set_threads(threads)
    say = log or (lambda _m: None)
    train, held = load_chat(data, seed=seed)
    if not train:
        raise InputError(f"{data}: no training conversations")
    held = held[:eval_n]
    model_path = str(model or default_causal_lm())
    if not Path(model_path).exists():
        raise ConfigError(f"model directory {model_path} does not exist; pass --model DIR")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_dir = Path(checkpoint_dir) if checkpoint_dir else out / "checkpoints"
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path = ckpt_dir / CHECKPOINT

    torch.manual_seed(seed)
    tok = transformers.AutoTokenizer.from_pretrained(model_path)
    base = transformers.AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    encoded = [encode_chat(tok, c, max_length) for c in train]
    encoded = [e for e in encoded if any(x != -100 for x in e[1])]
    if not encoded:
        raise InputError(f"{data}: every answer was cut off; raise max_length above {max_length}")

    cfg = peft.LoraConfig(
        task_type="CAUSAL_LM",
        r=lora_r,
        lora_alpha=lora_alpha,
        lora_dropout=lora_dropout,
        target_modules=target_modules,
    )
    net = peft.get_peft_model(base, cfg)
    steps_per_epoch = -(-len(encoded) // batch_size)
    total = steps_per_epoch * epochs
    if max_steps:
        total = min(total, max_steps)
    params = [p for p in net.parameters() if p.requires_grad]
    optim = make_adamw(params, lr)
    sched = transformers.get_linear_schedule_with_warmup(optim, int(0.05 * total), total)
    fingerprint = dict(model=model_path, n=len(encoded), max_length=max_length, epochs=epochs)
    fingerprint |= dict(
        lr=lr, batch_size=batch_size, r=lora_r, alpha=lora_alpha, seed=seed, max_steps=max_steps
    )
    state: dict[str, Any] = {"epoch": 0, "step": 0, "global_step": 0, "steps": [], "before": None}
    resumed_from = None
    if resume and ckpt_path.exists():
        ck = torch.load(ckpt_path, weights_only=False)
        if ck["fingerprint"] == fingerprint:
            peft.set_peft_model_state_dict(net, ck["adapter"])
            optim.load_state_dict(ck["optimizer"])
            sched.load_state_dict(ck["scheduler"])
            state = ck["state"]
            resumed_from = {"epoch": state["epoch"], "step": state["global_step"]}
            say(f"resumed from checkpoint: epoch {state['epoch']} step {state['global_step']}")

    if state["before"] is None:
        with net.disable_adapter():
            state["before"] = (
                closed_book_eval(net, tok, held, max_new_tokens).model_dump() if held else {}
            )
        say(
            f"before: {state['before'].get('exact_match', 0)} EM, {state['before'].get('contains', 0)} contains"
        )

    def checkpoint() -> None:
        tmp = ckpt_path.with_suffix(".tmp")
        torch.save(
            {
                "fingerprint": fingerprint,
                "adapter": peft.get_peft_model_state_dict(net),
                "optimizer": optim.state_dict(),
                "scheduler": sched.state_dict(),
                "state": state,
            },
            tmp,
        )
        os.replace(tmp, ckpt_path)

    while state["epoch"] < epochs and state["global_step"] < total:
        batches = length_batches(
            [len(ids) for ids, _ in encoded], batch_size, seed + state["epoch"]
        )
        net.train()
        for b in range(state["step"], len(batches)):
            if state["global_step"] >= total:
                break
            loss = net(**_collate([encoded[i] for i in batches[b]], pad_id)).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optim.step()
            sched.step()
            optim.zero_grad(set_to_none=True)
            state["step"] = b + 1
            state["global_step"] += 1
            state["steps"].append({"step": state["global_step"], "loss": round(loss.item(), 5)})
            say(f"step {state['global_step']}/{total} loss {loss.item():.4f}")
            if progress:
                progress(state["global_step"], total)
            if save_steps and state["global_step"] % save_steps == 0:
                checkpoint()
        if state["step"] >= len(batches):
            state["epoch"] += 1
            state["step"] = 0
        checkpoint()

    after = closed_book_eval(net, tok, held, max_new_tokens) if held else QAScores()
    before = QAScores.model_validate(state["before"] or {})
    say(f"after: {after.exact_match} EM, {after.contains} contains")
    net.save_pretrained(out)
    tok.save_pretrained(out)
    files = {
        "adapter": str(out),
        "loss_png": str(plots.loss_curve_png(state["steps"], out / "loss.png", "LoRA SFT loss")),
        "qa_eval": str(out / "qa_eval.json"),
        "model_card": str(out / "README.md"),
    }
    result = SFTResult(
        out=str(out),
        model=model_path,
        steps=state["global_step"],
        train_examples=len(encoded),
        final_loss=state["steps"][-1]["loss"] if state["steps"] else 0.0,
        before=before,
        after=after,
        resumed_from=resumed_from,
        seconds=round(time.perf_counter() - started, 2),
        files=files,
    )
    (out / "qa_eval.json").write_text(
        json.dumps({"before": before.model_dump(), "after": after.model_dump()}, indent=1)
    )
    (out / "train_log.json").write_text(
        json.dumps({"steps": state["steps"], "params": fingerprint}, indent=1)
    )
    (out / "README.md").write_text(sft_card(result, str(data), fingerprint))
    return result


def sft_card(result: SFTResult, data: str, params: dict) -> str:
    """A Markdown card for the LoRA adapter: data, hyper-parameters, QA before/after."""
    lines = [
        "# LoRA adapter trained with kgsynth",
        "",
        f"- Base model: `{result.model}`",
        f"- Data: `{data}` ({result.train_examples} training conversations)",
        f"- Steps: {result.steps}, final loss {result.final_loss:.4f}",
        "",
        "## Hyper-parameters",
        "",
        *[f"- {k}: {v}" for k, v in params.items() if k != "model"],
        "",
        "## Closed-book QA on held-out questions",
        "",
        "| | exact match | contains |",
        "|---|---:|---:|",
        f"| before | {result.before.exact_match:.4f} | {result.before.contains:.4f} |",
        f"| after | {result.after.exact_match:.4f} | {result.after.contains:.4f} |",
        "",
        f"n = {result.after.n}. Load with `peft.PeftModel.from_pretrained(base, <this dir>)`.",
        "",
        "![loss](loss.png)",
        "",
    ]
    return "\n".join(lines)
