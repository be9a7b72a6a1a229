"""LoRA supervised fine-tuning of a causal LM on a QA export, with closed-book QA before and after.

Conversations (OpenAI ``messages``, alpaca or ShareGPT rows) are rendered with the model's chat
template; the loss covers the assistant answer only. The default model is SmolLM2-135M-Instruct
(converted once from the packaged GGUF). Training runs on the shared resumable loop
(:mod:`finetune.loop`): a checkpoint (adapter, optimizer, scheduler, position) each epoch and every
``save_steps`` steps, so a killed run resumes; a finished run keeps its last checkpoint, so running
it again trains nothing. :class:`SFTConfig` holds every default; callers override fields.
"""

from __future__ import annotations

import json
import re
import string
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from finetune import plots
from finetune.data import load_chat
from finetune.loop import LoopState, TrainingOptions, set_threads, train_loop
from kgsynth.errors import ConfigError, InputError, require

CHECKPOINT = "sft_checkpoint.pt"


class SFTConfig(TrainingOptions):
    """Hyper-parameters of a LoRA SFT run; the defaults suit SmolLM2-135M on CPU."""

    what = "SFT training"
    model: str | None = None  # a causal LM directory; default: the packaged SmolLM2-135M-Instruct
    max_length: int = 256
    lr: float = 2e-4
    batch_size: int = 4
    warmup_ratio: float = 0.05
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    target_modules: list[str] | None = None
    eval_n: int = 20  # held-out questions scored before and after
    max_new_tokens: int = 32


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
    history: list[dict[str, Any]] = Field(default_factory=list)
    loss_steps: list[dict[str, float]] = Field(default_factory=list)  # the loss at every step
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
    config: SFTConfig | None = None,
    *,
    checkpoint_dir: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    log: Callable[[str], None] | None = None,
    on_update: Callable[[dict[str, Any]], None] | None = None,
    resume: bool = True,
    **overrides: Any,
) -> SFTResult:
    """LoRA-tune a causal LM on chat/instruction data with `config` (else the defaults) and any
    `overrides` of its fields; QA accuracy before and after; the adapter goes to `out`."""
    cfg = SFTConfig.build(config, **overrides)
    torch = require("torch", extra="ml")
    transformers = require("transformers", extra="ml")
    peft = require("peft", extra="ml")
    started = time.perf_counter()
    set_threads(cfg.threads)
    say = log or (lambda _m: None)
    train, held = load_chat(data, seed=cfg.seed)
    if not train:
        raise InputError(f"{data}: no training conversations")
    held = held[: cfg.eval_n]
    model_path = str(cfg.model or default_causal_lm())
    if not Path(model_path).exists():
        raise ConfigError(f"model directory {model_path} does not exist; pass --model DIR")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    torch.manual_seed(cfg.seed)
    tok = transformers.AutoTokenizer.from_pretrained(model_path)
    base = transformers.AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    encoded = [encode_chat(tok, c, cfg.max_length) for c in train]
    encoded = [e for e in encoded if any(x != -100 for x in e[1])]
    if not encoded:
        raise InputError(
            f"{data}: every answer was cut off; raise max_length above {cfg.max_length}"
        )
    lora = peft.LoraConfig(
        task_type="CAUSAL_LM",
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=cfg.target_modules,
    )
    net = peft.get_peft_model(base, lora)
    fingerprint = dict(model=model_path, n=len(encoded), max_length=cfg.max_length)
    fingerprint |= dict(epochs=cfg.epochs, lr=cfg.lr, batch_size=cfg.batch_size, r=cfg.lora_r)
    fingerprint |= dict(alpha=cfg.lora_alpha, seed=cfg.seed, max_steps=cfg.max_steps)

    def on_start(state: LoopState) -> None:
        if "before" in state.extra:
            return
        with net.disable_adapter():
            before = closed_book_eval(net, tok, held, cfg.max_new_tokens) if held else QAScores()
        state.extra["before"] = before.model_dump()
        say(f"before: {before.exact_match} EM, {before.contains} contains")

    state = train_loop(
        net,
        [len(ids) for ids, _ in encoded],
        lambda idx: _collate([encoded[i] for i in idx], pad_id),
        cfg.loop_settings(),
        checkpoint=Path(checkpoint_dir or out / "checkpoints") / CHECKPOINT,
        fingerprint=fingerprint,
        progress=progress,
        log=log,
        resume=resume,
        on_start=on_start,
        on_update=(lambda st: on_update({"history": st.history, "steps": st.steps}))
        if on_update
        else None,
        keep_checkpoint=True,
    )
    after = closed_book_eval(net, tok, held, cfg.max_new_tokens) if held else QAScores()
    before = QAScores.model_validate(state.extra["before"])
    say(f"after: {after.exact_match} EM, {after.contains} contains")
    net.save_pretrained(out)
    tok.save_pretrained(out)
    files = {
        "adapter": str(out),
        "loss_png": str(plots.loss_curve_png(state.steps, out / "loss.png", "LoRA SFT loss")),
        "qa_eval": str(out / "qa_eval.json"),
        "model_card": str(out / "README.md"),
    }
    result = SFTResult(
        out=str(out),
        model=model_path,
        steps=state.global_step,
        train_examples=len(encoded),
        final_loss=state.steps[-1]["loss"] if state.steps else 0.0,
        before=before,
        after=after,
        history=state.history,
        loss_steps=state.steps,
        resumed_from=state.resumed_from,
        seconds=round(time.perf_counter() - started, 2),
        files=files,
    )
    (out / "qa_eval.json").write_text(
        json.dumps({"before": before.model_dump(), "after": after.model_dump()}, indent=1)
    )
    (out / "train_log.json").write_text(
        json.dumps({"steps": state.steps, "params": fingerprint}, indent=1)
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
