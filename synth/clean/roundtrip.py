"""Round-trip consistency (Alberti et al. 2019): keep a QA pair only if a reader recovers its answer.

A reader fine-tuned on human questions (``kgsynth train reader``) reads the pair's context and
question; the pair stays when the reader's answer overlaps the pair's answer with SQuAD F1 of at
least ``min_f1``. Pairs without a context to read (yes/no, counts) are kept untouched.
"""

from __future__ import annotations

from kgsynth.errors import ConfigError
from kgsynth.qa_reader import load_reader, predict
from kgsynth.squad import QAExample, f1_score
from kgsynth.types import Example
from synth.clean.base import FILTERS, CleanContext, Filter, Removed
from synth.qa_fields import squad_fields


def reader_answers(examples: list[Example], reader: str) -> dict[str, tuple[str, str]]:
    """(expected, reader's) answer by example id, for the pairs that have a context."""
    items = {}
    for e in examples:
        fields = squad_fields(e)
        if not isinstance(fields, str):
            context, question, answer, start = fields
            items[e.id] = QAExample(e.id, context, question, [(answer, start)])
    if not items:
        return {}
    net, tok = load_reader(reader)
    predicted = predict(net, tok, list(items.values()))
    return {i: (ex.answers[0][0], predicted.get(i, "")) for i, ex in items.items()}


@FILTERS.register("roundtrip")
class RoundTrip(Filter):
    name = "roundtrip"

    def __init__(self, reader: str | None = None, min_f1: float = 0.5):
        if not reader:
            raise ConfigError("the roundtrip filter needs a reader: options {reader: <model dir>}")
        self.reader, self.min_f1 = reader, min_f1

    def apply(self, examples: list[Example], ctx: CleanContext):
        answers = reader_answers(examples, self.reader)
        kept, removed = [], []
        for e in examples:
            if e.id in answers and f1_score(answers[e.id][1], answers[e.id][0]) < self.min_f1:
                removed.append(Removed(e, f"reader answered {answers[e.id][1]!r}"))
            else:
                kept.append(e)
        return kept, removed
