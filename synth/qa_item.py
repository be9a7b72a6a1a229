"""The record a QA candidate carries from the graph to rendering, checking and provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kgsynth.types import Relation, Span
from synth.qa_check import Expectation


@dataclass
class QAItem:
    """Everything needed to render, check and cite one QA pair."""

    qa_type: str
    lang: str
    vars: dict[str, Any]
    expectation: Expectation
    relations: list[Relation]
    entity_ids: list[str]
    answer_spans: list[Span] = field(default_factory=list)
    context: str | None = None
    facts: list[str] = field(
        default_factory=list
    )  # "subject | predicate | object" lines for prompts
    meta: dict[str, Any] = field(default_factory=dict)
