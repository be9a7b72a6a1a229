"""Small real datasets for the fine-tuning tests: BBC News snippets as exports."""

from __future__ import annotations

import json
import random
from pathlib import Path

from tests.fixtures.corpus import bbc_files


def bbc_rows(per_label: int, chars: int = 400, offset: int = 0) -> list[dict]:
    """{"text", "label"} rows: the first `chars` characters of real BBC articles."""
    rows = [
        {"text": p.read_text(errors="ignore")[:chars], "label": label}
        for p, label in bbc_files(per_label, offset)
    ]
    random.Random(0).shuffle(rows)
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def write_export(root: Path, per_label: int, chars: int = 400) -> Path:
    """An export dir with train/dev/test.jsonl (60/20/20)."""
    rows = bbc_rows(per_label, chars)
    a, b = int(len(rows) * 0.6), int(len(rows) * 0.8)
    for name, part in (("train", rows[:a]), ("dev", rows[a:b]), ("test", rows[b:])):
        write_jsonl(root / f"{name}.jsonl", part)
    return root


def write_qa_export(root: Path, per_label: int) -> Path:
    """A QA export in OpenAI messages form: which BBC section ran a headline."""
    rows = []
    for p, label in bbc_files(per_label):
        title = p.read_text(errors="ignore").splitlines()[0].strip()
        q = f"Which BBC News section ran the story '{title}'?"
        rows.append(
            {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": label}]}
        )
    random.Random(0).shuffle(rows)
    n = max(2, len(rows) // 5)
    write_jsonl(root / "train.jsonl", rows[n:])
    write_jsonl(root / "test.jsonl", rows[:n])
    return root
