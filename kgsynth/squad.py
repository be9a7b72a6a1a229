"""Extractive QA data in SQuAD form, and the official SQuAD v1.1 scores.

A source is a SQuAD v1.1 JSON file (``{"data": [{"title", "paragraphs": [{"context", "qas"}]}]}``),
a JSONL file of Hugging Face QA columns (``id, title, context, question, answers{text,
answer_start}``), or a kgsynth ``squad`` export directory holding ``train``/``dev``/``test`` in either
form. Every answer's ``answer_start`` must point at its text inside the context.
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kgsynth.errors import InputError
from kgsynth.rows import iter_rows

SPLITS = ("train", "dev", "test")
WH_WORDS = ("what", "which", "who", "whom", "whose", "when", "where", "why", "how")


@dataclass
class QAExample:
    """One question about one context, with every accepted answer (text, char start)."""

    id: str
    context: str
    question: str
    answers: list[tuple[str, int]]
    title: str = ""
    meta: dict = field(default_factory=dict)


def question_type(question: str) -> str:
    """The question's wh-word ("how many"/"how much" kept whole), or "other"."""
    words = re.findall(r"[a-z]+", question.lower())
    for i, w in enumerate(words):
        if w == "how" and i + 1 < len(words) and words[i + 1] in ("many", "much"):
            return f"how {words[i + 1]}"
        if w in WH_WORDS:
            return "who" if w in ("whom", "whose") else w
    return "other"


# ---------------------------------------------------------------- reading


def load_squad(path: str | Path, split: str = "train") -> list[QAExample]:
    """The examples of a SQuAD JSON/JSONL file, or of one split of an export directory."""
    path = Path(path)
    if path.is_dir():
        for ext in (".json", ".jsonl"):
            if (path / f"{split}{ext}").exists():
                return load_squad(path / f"{split}{ext}")
        if split == "train":
            raise InputError(f"{path}: no train.json or train.jsonl; pass a squad export directory")
        return []
    if not path.exists():
        raise InputError(f"{path} does not exist; pass a SQuAD .json/.jsonl file or export folder")
    if path.suffix == ".jsonl":
        return [_from_columns(path, i, row) for i, row in iter_rows(path)]
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not a SQuAD JSON file ({e})") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise InputError(f"{path}: expected SQuAD v1.1 JSON with a top-level 'data' list")
    return list(_from_nested(path, doc["data"]))


def _from_nested(path: Path, articles: list) -> list[QAExample]:
    out = []
    for article in articles:
        title = article.get("title", "")
        for p in article.get("paragraphs", []):
            context = p["context"]
            for qa in p.get("qas", []):
                answers = [(a["text"], int(a["answer_start"])) for a in qa.get("answers", [])]
                out.append(
                    _checked(path, QAExample(qa["id"], context, qa["question"], answers, title))
                )
    return out


def _from_columns(path: Path, line: int, row: dict) -> QAExample:
    try:
        answers = row["answers"]
        pairs = list(zip(answers["text"], answers["answer_start"], strict=True))
        ex = QAExample(str(row["id"]), row["context"], row["question"], pairs, row.get("title", ""))
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(
            f"{path}:{line}: needs id, context, question and answers{{text, answer_start}}"
        ) from e
    ex.meta = row.get("meta") or {}
    return _checked(path, ex)


def _checked(path: Path, ex: QAExample) -> QAExample:
    """Answers re-anchored where the file's offset is off (SQuAD dev has a few: stray spaces)."""
    fixed = []
    for text, start in ex.answers:
        if ex.context[start : start + len(text)] != text:
            text = text.strip()
            found = [i for i in _occurrences(ex.context, text)]
            if not text or not found:
                raise InputError(f"{path}: question {ex.id}: answer {text!r} is not in its context")
            start = min(found, key=lambda i: abs(i - start))
        fixed.append((text, start))
    ex.answers = fixed
    return ex


def _occurrences(context: str, text: str) -> list[int]:
    out, i = [], context.find(text)
    while i >= 0 and text:
        out.append(i)
        i = context.find(text, i + 1)
    return out


def to_squad_json(examples: list[QAExample], version: str = "1.1") -> dict:
    """SQuAD v1.1 JSON: examples grouped by title, then by context (order kept)."""
    articles: dict[str, dict[str, list]] = {}
    for ex in examples:
        paragraphs = articles.setdefault(ex.title, {})
        paragraphs.setdefault(ex.context, []).append(
            {
                "id": ex.id,
                "question": ex.question,
                "answers": [{"text": t, "answer_start": s} for t, s in ex.answers],
            }
        )
    data = [
        {"title": title, "paragraphs": [{"context": c, "qas": qas} for c, qas in paras.items()]}
        for title, paras in articles.items()
    ]
    return {"version": version, "data": data}


def to_columns(ex: QAExample) -> dict:
    """The Hugging Face QA columns of one example (plus its meta, when it has one)."""
    row = {
        "id": ex.id,
        "title": ex.title,
        "context": ex.context,
        "question": ex.question,
        "answers": {"text": [t for t, _ in ex.answers], "answer_start": [s for _, s in ex.answers]},
    }
    return row | ({"meta": ex.meta} if ex.meta else {})


# ---------------------------------------------------------------- scores (official v1.1)


def normalize_answer(s: str) -> str:
    """Lower-case, drop punctuation and articles, collapse whitespace (the official script)."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def f1_score(prediction: str, truth: str) -> float:
    pred, gold = normalize_answer(prediction).split(), normalize_answer(truth).split()
    common = Counter(pred) & Counter(gold)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, truth: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(truth))


def score(examples: list[QAExample], predictions: dict[str, str]) -> dict:
    """EM and F1 (0–100, max over the accepted answers) overall and per question type."""
    totals: dict[str, list[float]] = {}
    for ex in examples:
        pred = predictions.get(ex.id, "")
        golds = [t for t, _ in ex.answers] or [""]
        em = max(exact_match(pred, g) for g in golds)
        f1 = max(f1_score(pred, g) for g in golds)
        for key in ("all", question_type(ex.question)):
            t = totals.setdefault(key, [0, 0.0, 0.0])
            t[0] += 1
            t[1] += em
            t[2] += f1
    return {
        key: {"n": n, "em": round(100 * em / n, 2), "f1": round(100 * f1 / n, 2)}
        for key, (n, em, f1) in sorted(totals.items(), key=lambda kv: -kv[1][0])
    }
