"""Where a QA example's passage, question, answer and answer offset come from.

Extractive pairs carry them in ``meta`` (``context``, ``question``, ``answer_start``); a closed-book
pair's passage is its cited evidence sentences. Used by the ``squad`` exporter, the round-trip filter
and the QA quality report, so all three agree on what a pair's context is.
"""

from __future__ import annotations

from kgsynth.types import Example


def squad_fields(e: Example) -> tuple[str, str, str, int] | str:
    """(context, question, answer, answer_start) of a QA example, or why it cannot be exported."""
    if e.output is None:
        return "not a QA pair"
    answer = e.output.strip()
    context = e.meta.get("context") or " ".join(e.provenance.evidence)
    question = e.meta.get("question") or e.input
    start = e.meta.get("answer_start")
    if not isinstance(start, int) or context[start : start + len(answer)] != answer:
        start = context.find(answer) if answer else -1
    if start < 0:
        return "answer not in context"
    return context, question, answer, start
