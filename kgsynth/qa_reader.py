"""Extractive QA inference: question/context windows, and the best answer span for each question.

Shared by reader training (finetune), the round-trip filter and the QA quality report (synth): any
``AutoModelForQuestionAnswering`` with a fast tokenizer. A long context is cut into windows that
overlap by ``stride`` tokens; a question's answer is the best-scoring span (start + end logit, at most
``max_answer_tokens`` long) over all its windows, mapped back to the context's characters. For
training, each window carries the token positions of its example's first answer ([CLS] when the
answer is not wholly inside it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kgsynth.errors import ConfigError, require
from kgsynth.squad import QAExample


@dataclass
class Window:
    example: int  # index into the examples
    input_ids: list[int]
    token_type_ids: list[int]
    offsets: list[tuple[int, int] | None]  # char span of each context token, None elsewhere
    start: int = 0  # answer token positions (0 = [CLS]: no answer in this window)
    end: int = 0


def windows(tok, examples: list[QAExample], max_length: int, stride: int) -> list[Window]:
    """Tokenized question/context windows with the first answer's token positions."""
    if not examples:
        return []
    questions = [_clipped(tok, e.question.strip(), max_length // 3) for e in examples]
    longest = max(len(tok(q, add_special_tokens=False)["input_ids"]) for q in questions)
    enc = tok(
        questions,
        [e.context for e in examples],
        truncation="only_second",
        max_length=max_length,
        stride=max(1, min(stride, (max_length - longest - 3) // 2)),
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    out = []
    for i, ids in enumerate(enc["input_ids"]):
        k = enc["overflow_to_sample_mapping"][i]
        seq = enc.sequence_ids(i)
        offsets = [
            tuple(o) if s == 1 else None for o, s in zip(enc["offset_mapping"][i], seq, strict=True)
        ]
        w = Window(k, ids, enc["token_type_ids"][i], offsets)
        if examples[k].answers:
            text, char_start = examples[k].answers[0]
            w.start, w.end = _answer_tokens(offsets, char_start, char_start + len(text))
        out.append(w)
    return out


def _clipped(tok, question: str, limit: int) -> str:
    """A question cut to `limit` tokens (so every window keeps room for its context)."""
    enc = tok(question, add_special_tokens=False, return_offsets_mapping=True)
    if len(enc["input_ids"]) <= limit:
        return question
    return question[: enc["offset_mapping"][limit - 1][1]]


def _answer_tokens(offsets, start: int, end: int) -> tuple[int, int]:
    inside = [i for i, o in enumerate(offsets) if o is not None and o[0] < end and o[1] > start]
    if not inside or offsets[inside[0]][0] > start or offsets[inside[-1]][1] < end:
        return 0, 0  # the answer is not (wholly) in this window
    return inside[0], inside[-1]


def collate(batch: list[Window], pad_id: int, labels: bool) -> dict:
    torch = require("torch", extra="ml")
    width = max(len(w.input_ids) for w in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    types = torch.zeros((len(batch), width), dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, w in enumerate(batch):
        n = len(w.input_ids)
        ids[i, :n] = torch.tensor(w.input_ids)
        types[i, :n] = torch.tensor(w.token_type_ids)
        mask[i, :n] = 1
    out = {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}
    if labels:
        out["start_positions"] = torch.tensor([w.start for w in batch])
        out["end_positions"] = torch.tensor([w.end for w in batch])
    return out


def predict(
    net,
    tok,
    examples: list[QAExample],
    *,
    max_length: int = 256,
    stride: int = 96,
    max_answer_tokens: int = 30,
    batch_size: int = 64,
) -> dict[str, str]:
    """The best answer span's text for every example (by id)."""
    torch = require("torch", extra="ml")
    wins = windows(tok, examples, max_length, stride)
    best: dict[int, tuple[float, str]] = {}
    order = sorted(range(len(wins)), key=lambda i: len(wins[i].input_ids))
    net.eval()
    device = next(net.parameters()).device
    with torch.inference_mode():
        for k in range(0, len(order), batch_size):
            batch = [wins[i] for i in order[k : k + batch_size]]
            inputs = collate(batch, tok.pad_token_id or 0, labels=False)
            out = net(**{k: v.to(device) for k, v in inputs.items()})
            starts = out.start_logits.float().cpu().numpy()
            ends = out.end_logits.float().cpu().numpy()
            for w, s, e in zip(batch, starts, ends, strict=True):
                found = _best_span(w, s, e, max_answer_tokens)
                if found and found[0] > best.get(w.example, (float("-inf"), ""))[0]:
                    best[w.example] = found[0], examples[w.example].context[found[1] : found[2]]
    return {ex.id: best.get(i, (0.0, ""))[1] for i, ex in enumerate(examples)}


def _best_span(w: Window, start_logits, end_logits, max_tokens: int, top: int = 20):
    ctx = [i for i, o in enumerate(w.offsets) if o is not None]
    if not ctx:
        return None
    n = len(w.input_ids)
    starts = sorted(ctx, key=lambda i: -start_logits[i])[:top]
    ends = sorted(ctx, key=lambda i: -end_logits[i])[:top]
    best = None
    for s in starts:
        for e in ends:
            if s <= e < n and e - s < max_tokens:
                value = float(start_logits[s] + end_logits[e])
                if best is None or value > best[0]:
                    best = (value, w.offsets[s][0], w.offsets[e][1])
    return best


def load_reader(model_dir: str | Path):
    """(model, tokenizer) of a saved reader directory."""
    transformers = require("transformers", extra="ml")
    if not Path(model_dir).exists():
        raise ConfigError(
            f"reader model {model_dir} does not exist; train one (kgsynth train reader)"
        )
    tok = transformers.AutoTokenizer.from_pretrained(model_dir)
    net = transformers.AutoModelForQuestionAnswering.from_pretrained(model_dir)
    return net, tok
