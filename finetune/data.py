"""Reading dataset exports for fine-tuning: classification rows and chat/instruction rows.

A classification source is an export directory (``train``/``dev``/``test`` as ``.jsonl`` or ``.csv``
with ``text`` and ``label``), or one ``.jsonl``/``.csv`` file, from which a dev split is drawn with a
seed. A chat source is an OpenAI ``messages`` jsonl, alpaca (``instruction``/``input``/``output``) or
ShareGPT (``conversations``) rows; all become lists of ``{"role", "content"}`` messages.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from kgsynth.errors import InputError
from kgsynth.rows import iter_rows

SPLITS = ("train", "dev", "test")
EXTS = (".jsonl", ".json", ".csv")


@dataclass
class ClassificationData:
    """Train/dev/test rows of (text, label) and the sorted label list."""

    train: list[tuple[str, str]]
    dev: list[tuple[str, str]] = field(default_factory=list)
    test: list[tuple[str, str]] = field(default_factory=list)
    source: str = ""

    @property
    def labels(self) -> list[str]:
        return sorted({lab for rows in (self.train, self.dev, self.test) for _, lab in rows})


def read_classification_file(path: Path) -> list[tuple[str, str]]:
    """(text, label) rows of one jsonl/csv file; a missing field is an error naming the row."""
    rows = []
    for i, row in iter_rows(path):
        text, label = row.get("text"), row.get("label")
        if text is None or label is None or str(text).strip() == "":
            raise InputError(f"{path}:{i}: needs non-empty 'text' and 'label' fields")
        rows.append((str(text), str(label)))
    return rows


def find_split(root: Path, split: str) -> Path | None:
    """The file of one split inside an export directory, if any."""
    for ext in EXTS:
        if (root / f"{split}{ext}").exists():
            return root / f"{split}{ext}"
    return None


def load_classification(
    data: str | Path, *, dev_fraction: float = 0.15, seed: int = 0
) -> ClassificationData:
    """Load a classification export directory or a single file (dev split drawn with `seed`)."""
    path = Path(data)
    if path.is_dir():
        files = {s: find_split(path, s) for s in SPLITS}
        if files["train"] is None:
            raise InputError(f"{path}: no train.jsonl or train.csv; pass an export directory")
        train = read_classification_file(files["train"])
        dev = read_classification_file(files["dev"]) if files["dev"] else []
        test = read_classification_file(files["test"]) if files["test"] else []
        if not dev:
            train, dev = split_off(train, dev_fraction, seed)
        return ClassificationData(train, dev, test, source=str(path))
    if not path.exists():
        raise InputError(f"{path} does not exist; pass an export directory or a .jsonl/.csv file")
    train, dev = split_off(read_classification_file(path), dev_fraction, seed)
    return ClassificationData(train, dev, [], source=str(path))


def split_off(rows: list, fraction: float, seed: int) -> tuple[list, list]:
    """Shuffle with `seed` and split off `fraction` of the rows (at least one when possible)."""
    if len(rows) < 2:
        raise InputError(f"need at least 2 rows to split off a dev set, got {len(rows)}")
    rows = list(rows)
    random.Random(seed).shuffle(rows)
    n = max(1, round(len(rows) * fraction))
    return rows[n:], rows[:n]


def load_eval_rows(data: str | Path) -> list[tuple[str, str]]:
    """Held-out rows: an export's test split (else dev), or a jsonl/csv file."""
    path = Path(data)
    if path.is_dir():
        found = find_split(path, "test") or find_split(path, "dev")
        if found is None:
            raise InputError(f"{path}: no test or dev split to evaluate on")
        return read_classification_file(found)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    return read_classification_file(path)


# ---------------------------------------------------------------- chat / instruction data


def to_messages(row: dict, where: str) -> list[dict[str, str]]:
    """One row in OpenAI, alpaca or ShareGPT form as a list of chat messages."""
    if "messages" in row:
        msgs = [{"role": m["role"], "content": str(m["content"])} for m in row["messages"]]
    elif "instruction" in row and "output" in row:
        prompt = str(row["instruction"])
        if row.get("input"):
            prompt += "\n\n" + str(row["input"])
        msgs = [
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": row["output"]},
        ]
    elif "conversations" in row:
        roles = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant"}
        roles["system"] = "system"
        msgs = [
            {"role": roles.get(m.get("from", ""), "user"), "content": str(m["value"])}
            for m in row["conversations"]
        ]
    else:
        raise InputError(f"{where}: expected 'messages', 'instruction'+'output' or 'conversations'")
    if not msgs or msgs[-1]["role"] != "assistant":
        raise InputError(f"{where}: the last message must be the assistant's answer")
    return msgs


def read_chat_file(path: Path) -> list[list[dict[str, str]]]:
    """All conversations of one jsonl file."""
    return [to_messages(row, f"{path}:{i}") for i, row in iter_rows(path)]


def load_chat(data: str | Path, *, eval_fraction: float = 0.1, seed: int = 0) -> tuple[list, list]:
    """(train, held-out) conversations from an export directory or one jsonl file."""
    path = Path(data)
    if path.is_dir():
        train_file = find_split(path, "train")
        if train_file is None:
            raise InputError(
                f"{path}: no train.jsonl; export the QA set in openai or alpaca format"
            )
        train = read_chat_file(train_file)
        held = find_split(path, "test") or find_split(path, "dev")
        if held is not None:
            return train, read_chat_file(held)
        return split_off(train, eval_fraction, seed)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    return split_off(read_chat_file(path), eval_fraction, seed)
