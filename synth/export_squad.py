"""The ``squad`` export format: extractive QA for readers and RAG evaluation.

Each split is written twice: ``<split>.jsonl`` in the Hugging Face QA columns (``id, title, context,
question, answers{text, answer_start}``, plus the provenance ``meta``) that
``datasets.load_dataset("json", ...)`` and the transformers QA examples read, and ``<split>.json`` in
SQuAD v1.1 form. A pair's context is the passage it was asked from (extractive pairs), else its
cited evidence sentences; ``answer_start`` is checked against the context, and a pair whose answer is
not in its context (a yes/no or a count, say) is refused and counted in ``squad_report.json``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from kgsynth.squad import QAExample, to_squad_json
from synth.export import EXPORTERS, Exporter
from synth.qa_fields import squad_fields

REFUSED = "_refused"


@EXPORTERS.register("squad")
class Squad(Exporter):
    name = "squad"
    streams = True

    def __init__(self) -> None:
        self.refused: Counter = Counter()

    def row(self, e, labels):
        fields = squad_fields(e)
        if isinstance(fields, str):
            return {REFUSED: fields}
        context, question, answer, start = fields
        title = e.meta.get("title") or (e.provenance.doc_ids[0] if e.provenance.doc_ids else "")
        return {
            "title": title,
            "context": context,
            "question": question,
            "answers": {"text": [answer], "answer_start": [start]},
        }

    def with_meta(self, row, e, meta):
        return row if REFUSED in row else super().with_meta(row, e, meta)

    def write(self, rows, path):
        kept = []
        for r in rows:
            if REFUSED in r:
                self.refused[r[REFUSED]] += 1
            else:
                kept.append(r)
        for i, r in enumerate(kept):
            r.setdefault("id", f"{path.name}-{i}")
        out = super().write(kept, path)
        examples = [_example(r) for r in kept]
        path.with_suffix(".json").write_text(
            json.dumps(to_squad_json(examples), ensure_ascii=False), encoding="utf-8"
        )
        return out

    def finish(self, folder: Path, files: dict[str, Path]) -> None:
        report: dict[str, Any] = {
            "refused": dict(self.refused),
            "refused_total": sum(self.refused.values()),
        }
        (folder / "squad_report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")


def _example(row: dict) -> QAExample:
    answers = list(zip(row["answers"]["text"], row["answers"]["answer_start"], strict=True))
    return QAExample(row["id"], row["context"], row["question"], answers, row["title"])
