"""A short quality report for a QA dataset version: what a reviewer would want to know at a glance.

Cheap measures (every version gets them in its stats, the dataset card and the CLI): pairs per type,
the share whose answer is a span of their context (exportable as SQuAD), question–context overlap
(the share of a question's content words that its answer sentence contains: high means the question
copies the sentence), distinct-2 of the questions, and the wh-word distribution. Model-based
measures, on demand: the answerable-and-correct rate (a reader trained on human questions recovers
the answer — round-trip consistency) and fluency (median per-question perplexity under a causal LM,
next to the same for human questions when given).
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from pathlib import Path

from kgsynth.errors import require
from kgsynth.squad import f1_score, question_type
from kgsynth.types import Example, Record
from synth.qa_fields import squad_fields

STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "by",
        "with",
        "from",
        "and",
        "or",
        "is",
        "was",
        "are",
        "were",
        "be",
        "been",
        "did",
        "do",
        "does",
        "has",
        "have",
        "had",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "many",
        "much",
    ]
)


class QAQuality(Record):
    n: int = 0
    per_type: dict[str, int] = {}
    answer_in_context: float = 0.0
    question_context_overlap: float = 0.0
    distinct_2: float = 0.0
    mean_question_words: float = 0.0
    wh_words: dict[str, int] = {}
    answerable_correct: float | None = None  # round-trip: a human-trained reader agrees (F1 ≥ 0.5)
    question_ppl: float | None = None  # median perplexity of the questions under a causal LM
    human_ppl: float | None = None  # the same for human questions, when given

    def lines(self) -> list[str]:
        """The report as short lines for the CLI and the dataset card."""
        out = [
            f"pairs: {self.n} ({', '.join(f'{k} {v}' for k, v in self.per_type.items())})",
            f"answer in context: {self.answer_in_context:.1%}",
            f"question-context overlap: {self.question_context_overlap:.2f}",
            f"distinct-2 of questions: {self.distinct_2:.2f}",
            f"mean question length: {self.mean_question_words:.1f} words",
            "wh-words: " + ", ".join(f"{k} {v}" for k, v in self.wh_words.items()),
        ]
        if self.answerable_correct is not None:
            out.append(f"answerable and correct (round-trip reader): {self.answerable_correct:.1%}")
        if self.question_ppl is not None:
            human = f" (human questions {self.human_ppl:.1f})" if self.human_ppl else ""
            out.append(f"question perplexity, median: {self.question_ppl:.1f}{human}")
        return out


def quick_quality(examples: list[Example]) -> QAQuality:
    """The model-free measures of a set of QA examples."""
    qa = [e for e in examples if e.output is not None]
    questions = [question_of(e) for e in qa]
    in_context = [not isinstance(squad_fields(e), str) for e in qa]
    overlaps = [_overlap(q, _sentence(e)) for q, e in zip(questions, qa, strict=True)]
    return QAQuality(
        n=len(qa),
        per_type=dict(Counter(e.task.removeprefix("qa.") for e in qa).most_common()),
        answer_in_context=round(sum(in_context) / max(1, len(qa)), 4),
        question_context_overlap=round(statistics.fmean(overlaps), 4) if overlaps else 0.0,
        distinct_2=round(distinct_n(questions, 2), 4),
        mean_question_words=round(statistics.fmean(len(q.split()) for q in questions), 2)
        if questions
        else 0.0,
        wh_words=dict(Counter(question_type(q) for q in questions).most_common()),
    )


def qa_quality(
    examples: list[Example],
    *,
    reader: str | Path | None = None,
    fluency_model: str | Path | None = None,
    human_questions: list[str] | None = None,
) -> QAQuality:
    """Quick measures plus, when asked, round-trip correctness and fluency."""
    report = quick_quality(examples)
    if reader:
        from synth.clean.roundtrip import reader_answers

        answers = reader_answers(examples, str(reader))
        if answers:
            right = sum(f1_score(got, want) >= 0.5 for want, got in answers.values())
            report.answerable_correct = round(right / len(answers), 4)
    if fluency_model:
        questions = [question_of(e) for e in examples if e.output is not None]
        report.question_ppl = _median(perplexities(questions, fluency_model))
        if human_questions:
            report.human_ppl = _median(perplexities(human_questions, fluency_model))
    return report


def question_of(e: Example) -> str:
    return e.meta.get("question") or e.input.rsplit("\n", 1)[-1].split(": ", 1)[-1]


def distinct_n(texts: list[str], n: int) -> float:
    """Distinct n-grams over all n-grams of the texts (lower-cased words)."""
    grams = [
        tuple(ws[i : i + n])
        for t in texts
        for ws in [_words(t)]
        for i in range(max(0, len(ws) - n + 1))
    ]
    return len(set(grams)) / len(grams) if grams else 0.0


def perplexities(texts: list[str], model_dir: str | Path, batch_size: int = 16) -> list[float]:
    """Per-text perplexity under a causal LM (mean token negative log-likelihood, exponentiated)."""
    torch = require("torch", extra="ml")
    transformers = require("transformers", extra="ml")
    tok = transformers.AutoTokenizer.from_pretrained(model_dir)
    net = transformers.AutoModelForCausalLM.from_pretrained(model_dir).eval()
    tok.pad_token = tok.pad_token or tok.eos_token
    tok.padding_side = "right"
    out: list[float] = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            enc = tok(texts[i : i + batch_size], return_tensors="pt", padding=True)
            logits = net(**enc).logits[:, :-1].float()
            target, mask = enc["input_ids"][:, 1:], enc["attention_mask"][:, 1:].float()
            nll = torch.nn.functional.cross_entropy(
                logits.transpose(1, 2), target, reduction="none"
            )
            per = (nll * mask).sum(1) / mask.sum(1).clamp(min=1)
            out += [math.exp(min(x, 50.0)) for x in per.tolist()]
    return out


def _sentence(e: Example) -> str:
    return e.meta.get("sentence") or " ".join(e.provenance.evidence) or e.meta.get("context", "")


def _overlap(question: str, sentence: str) -> float:
    q = {w for w in _words(question) if w not in STOP}
    return len(q & set(_words(sentence))) / len(q) if q else 0.0


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None
