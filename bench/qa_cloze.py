"""The cloze baseline of the QA benchmark (Lewis et al. 2019, "identity mapping" with a wh-word).

Answers are the named entities and noun chunks of the target paragraphs; the question is the
answer's own sentence with the answer replaced by a wh-word chosen from its entity type. No graph,
no reordering: what a reader learns from these is to copy a sentence and find the gap.
"""

from __future__ import annotations

import random
from functools import lru_cache

from kgsynth.nlp import load_nlp
from kgsynth.squad import QAExample

WH = {
    "PERSON": "who",
    "NORP": "who",
    "ORG": "what",
    "GPE": "where",
    "LOC": "where",
    "FAC": "where",
    "DATE": "when",
    "TIME": "when",
    "CARDINAL": "how many",
    "QUANTITY": "how much",
    "MONEY": "how much",
    "PERCENT": "what percentage",
}


def cloze_pairs(paragraphs: list[str], n: int, seed: int = 0) -> list[QAExample]:
    """`n` cloze questions sampled uniformly from every candidate answer of the paragraphs."""
    pool = list(_pool(tuple(paragraphs)))
    random.Random(seed).shuffle(pool)
    return pool[:n]


@lru_cache(maxsize=2)
def _pool(paragraphs: tuple[str, ...]) -> tuple[QAExample, ...]:
    """Every cloze question of the paragraphs (parsed once for all draws)."""
    nlp = load_nlp()
    pool: list[QAExample] = []
    for p_index, (text, doc) in enumerate(zip(paragraphs, nlp.pipe(paragraphs), strict=True)):
        for sent in doc.sents:
            spans = {(e.start_char, e.end_char): e.label_ for e in sent.ents}
            for chunk in sent.noun_chunks:
                spans.setdefault((chunk.start_char, chunk.end_char), "NP")
            for (a, b), label in sorted(spans.items()):
                question = _question(text, sent.start_char, sent.end_char, a, b, label)
                if question:
                    qid = f"cloze-{p_index}-{a}-{b}"
                    pool.append(QAExample(qid, text, question, [(text[a:b], a)]))
    return tuple(pool)


def _question(text: str, s: int, e: int, a: int, b: int, label: str) -> str | None:
    sentence = text[s:e].strip()
    if not sentence or b - a > 60:
        return None
    before, after = text[s:a].strip(), text[b:e].strip().rstrip(".!?")
    question = " ".join(x for x in (before, WH.get(label, "what"), after) if x)
    return question[:1].upper() + question[1:] + "?"
