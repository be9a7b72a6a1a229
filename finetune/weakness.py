"""Where a trained model is weak: what `kgsynth improve` targets next.

Classifier: scored on labeled rows (an export's dev split by default, else its test split, or any
jsonl/csv file): F1 per label, the most frequent confusion pairs, and every misclassified row with
the provenance a kgsynth export gives it (example id, documents, chunks, entities). Rows without a
label are scored by disagreement instead: the model predicts each one several times with dropout on,
and the rows whose predictions disagree most are the ones it is unsure of (no log-probabilities
needed, so this works for any classifier that has dropout).

Reader: SQuAD F1 per question type on labeled questions, and the missed questions (F1 under 0.5)
with their provenance (a kgsynth squad export's meta: entities, relations, documents).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from finetune.classifier import collate, predict_ids, set_threads
from finetune.data import find_split
from kgsynth.errors import InputError, NotFoundError, require
from kgsynth.rows import iter_rows
from kgsynth.types import Miss, Weakness

MISSED_F1 = 0.5  # a reader answer under this F1 counts as a missed question
MAX_MISSES = 500


def eval_rows(data: str | Path) -> tuple[Path, list[dict]]:
    """The rows to score: an export's dev split (else test), or a jsonl/csv file; each a dict with
    text, label (maybe absent), id and meta as the export wrote them."""
    path = Path(data)
    if path.is_dir():
        found = find_split(path, "dev") or find_split(path, "test")
        if found is None:
            raise InputError(f"{path}: no dev or test split to find weaknesses on")
        path = found
    if not path.exists():
        raise InputError(f"{path} does not exist")
    rows = []
    for i, row in iter_rows(path):
        if not str(row.get("text") or "").strip():
            raise InputError(f"{path}:{i}: needs a non-empty 'text' field")
        meta = row.get("meta") or {}
        rows.append({**row, "meta": json.loads(meta) if isinstance(meta, str) else meta})
    if not rows:
        raise InputError(f"{path}: no rows to score")
    return path, rows


def classifier_weakness(
    model_dir: str | Path, data: str | Path, *, samples: int = 8, seed: int = 0
) -> Weakness:
    """Score a classifier on `data` and list where it is weak (see the module doc)."""
    transformers = require("transformers", extra="ml")
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").exists():
        raise NotFoundError(f"{model_dir} is not a model directory (no config.json)")
    path, rows = eval_rows(data)
    set_threads()
    tok = transformers.AutoTokenizer.from_pretrained(model_dir)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(model_dir)
    id2label = {int(k): str(v) for k, v in model.config.id2label.items()}
    max_length = _max_length(model_dir)
    ids = tok([str(r["text"]) for r in rows], truncation=True, max_length=max_length)["input_ids"]
    pad = tok.pad_token_id or 0
    labeled = all(r.get("label") not in (None, "") for r in rows)
    if labeled:
        pred = [id2label[p] for p in predict_ids(model, ids, pad)]
        return from_predictions(str(model_dir), str(path), rows, pred)
    votes = sampled_predictions(model, ids, pad, samples, seed)
    return _from_disagreement(str(model_dir), str(path), rows, votes, id2label)


def sampled_predictions(model, ids: list[list[int]], pad: int, samples: int, seed: int):
    """Per row, the label ids predicted by `samples` forward passes with dropout on."""
    torch = require("torch", extra="ml")
    torch.manual_seed(seed)
    model.train()  # dropout on: each pass is a sample from the model's uncertainty
    out: list[list[int]] = [[] for _ in ids]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    with torch.no_grad():
        for _ in range(samples):
            for k in range(0, len(order), 64):
                idx = order[k : k + 64]
                logits = model(**collate([ids[i] for i in idx], pad)).logits
                for i, p in zip(idx, logits.argmax(-1).tolist(), strict=True):
                    out[i].append(p)
    model.eval()
    return out


def from_predictions(run: str, data: str, rows: list[dict], pred: list[str]) -> Weakness:
    """The weakness of any classifier from its predictions on labeled rows (dicts with text,
    label, and id and meta when a kgsynth export wrote them)."""
    from sklearn.metrics import f1_score

    gold = [str(r["label"]) for r in rows]
    labels = sorted(set(gold) | set(pred))
    f1 = f1_score(gold, pred, labels=labels, average=None, zero_division=0)
    per = {lab: round(float(s), 4) for lab, s in zip(labels, f1, strict=True) if lab in gold}
    pairs = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
    misses = [
        _miss(r, gold=g, predicted=p) for r, g, p in zip(rows, gold, pred, strict=True) if g != p
    ]
    return Weakness(
        run=run,
        kind="classifier",
        data=data,
        score=round(sum(per.values()) / len(per), 4),
        per_group=per,
        weak_groups=sorted(per, key=lambda lab: (per[lab], lab)),
        confusions=[(g, p, n) for (g, p), n in pairs.most_common()],
        misses=misses[:MAX_MISSES],
    )


def _from_disagreement(run, data, rows, votes, id2label) -> Weakness:
    scored = []
    for r, v in zip(rows, votes, strict=True):
        top, n = Counter(v).most_common(1)[0]
        scored.append((1 - n / len(v), r, id2label[top]))
    scored.sort(key=lambda x: -x[0])
    unsure = [(d, r, p) for d, r, p in scored if d > 0]
    by_label = Counter(p for _, _, p in unsure)
    predicted = Counter(p for _, _, p in scored)
    share = {lab: round(by_label[lab] / predicted[lab], 4) for lab in sorted(predicted)}
    return Weakness(
        run=run,
        kind="classifier",
        data=data,
        labeled=False,
        score=round(sum(d for d, _, _ in scored) / len(scored), 4),  # mean disagreement
        per_group=share,  # share of each predicted label's rows the model is unsure of
        weak_groups=sorted(share, key=lambda lab: (-share[lab], lab)),
        misses=[_miss(r, predicted=p, disagreement=round(d, 4)) for d, r, p in unsure][:MAX_MISSES],
    )


def _miss(row: dict, **fields) -> Miss:
    meta = row.get("meta") or {}
    return Miss(
        text=str(row["text"]),
        example_id=row.get("id"),
        doc_ids=list(meta.get("doc_ids") or []),
        chunk_ids=list(meta.get("chunk_ids") or []),
        entity_ids=list(meta.get("entity_ids") or []),
        relation_ids=list(meta.get("relation_ids") or []),
        qa_type=meta.get("qa_type"),
        **fields,
    )


def _max_length(model_dir: Path) -> int:
    log = model_dir / "train_log.json"
    if log.exists():
        return int(json.loads(log.read_text()).get("params", {}).get("max_length", 256))
    return 256


# ---------------------------------------------------------------- readers


def reader_weakness(model_dir: str | Path, data: str | Path, **spans) -> Weakness:
    """Score a reader on SQuAD questions (a file, or an export's dev split, else test) and list the
    question types it does worst on and the questions it misses."""
    from kgsynth.qa_reader import load_reader, predict
    from kgsynth.squad import f1_score, load_squad, question_type

    path = Path(data)
    examples = []
    if path.is_dir():
        examples = load_squad(path, "dev") or load_squad(path, "test")
    elif path.exists():
        examples = load_squad(path)
    if not examples:
        raise InputError(f"{data}: no questions to find weaknesses on")
    set_threads()
    net, tok = load_reader(model_dir)
    answers = predict(net, tok, examples, **spans)
    per: dict[str, list[float]] = {}
    misses = []
    for ex in examples:
        best = max(f1_score(answers[ex.id], text) for text, _ in ex.answers)
        kind = question_type(ex.question)
        per.setdefault(kind, []).append(best)
        if best < MISSED_F1:
            meta = ex.meta or {}
            misses.append(
                Miss(
                    text=ex.question,
                    gold=ex.answers[0][0],
                    predicted=answers[ex.id],
                    example_id=ex.id,
                    doc_ids=list(meta.get("doc_ids") or []),
                    chunk_ids=list(meta.get("chunk_ids") or []),
                    entity_ids=list(meta.get("entity_ids") or []),
                    relation_ids=list(meta.get("relation_ids") or []),
                    qa_type=meta.get("qa_type") or kind,
                )
            )
    f1 = {k: round(sum(v) / len(v), 4) for k, v in sorted(per.items())}
    total = sum(sum(v) for v in per.values()) / sum(len(v) for v in per.values())
    return Weakness(
        run=str(model_dir),
        kind="reader",
        data=str(data),
        score=round(total, 4),
        per_group=f1,
        weak_groups=sorted(f1, key=lambda k: (f1[k], k)),
        misses=misses[:MAX_MISSES],
    )
