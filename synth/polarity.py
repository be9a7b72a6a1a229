"""Evaluative language of a text as a few numbers: polarity with negation, intensifiers and contrast.

Topic labels are carried by what a text is about; sentiment, stance and style labels by how it speaks.
These features read the second kind from general English: the AFINN-en-165 word list (3,382 words
rated -5..+5, from the ``afinn`` package on PyPI), a negator within three words before an evaluative
word flips and dampens it ("not good"), an intensifier raises it ("really bad"), a downtoner lowers it,
and after a contrast word ("but", "however") the clause counts more than before it.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "nothing",
        "none",
        "nobody",
        "neither",
        "nor",
        "cannot",
        "without",
        "hardly",
        "barely",
        "scarcely",
        "isnt",
        "arent",
        "wasnt",
        "werent",
        "dont",
        "doesnt",
        "didnt",
        "wont",
        "wouldnt",
        "cant",
        "couldnt",
        "shouldnt",
        "aint",
    ]
)
INTENSIFIERS = frozenset(
    [
        "very",
        "really",
        "extremely",
        "so",
        "too",
        "absolutely",
        "highly",
        "totally",
        "incredibly",
        "utterly",
        "completely",
        "most",
        "quite",
        "truly",
        "seriously",
        "awfully",
        "terribly",
        "exceptionally",
        "particularly",
    ]
)
DOWNTONERS = frozenset(
    ["slightly", "somewhat", "rather", "fairly", "kinda", "sorta", "partly", "mildly"]
)
CONTRASTS = frozenset(["but", "however", "although", "though", "yet", "nevertheless", "whereas"])
FEATURES = ("net", "positive", "negative", "negations", "exclaims", "questions", "evaluative")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


@lru_cache(maxsize=1)
def lexicon() -> dict[str, float]:
    """AFINN-en-165: word -> valence in -5..+5 (phrases of several words are left out)."""
    import afinn

    path = Path(afinn.__file__).parent / "data" / "AFINN-en-165.txt"
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, score = line.rpartition("\t")
        if word and " " not in word:
            out[word] = float(score)
    return out


def tokens(text: str) -> list[str]:
    """Lower-cased words, with "n't" folded into the word before it (don't -> dont)."""
    return [t.replace("n't", "nt").replace("'", "") for t in _WORD.findall(text.lower())]


def word_scores(toks: list[str]) -> list[float]:
    """Valence of each token after negation, intensity and contrast (0 for plain words)."""
    lex = lexicon()
    scores = [0.0] * len(toks)
    for i, tok in enumerate(toks):
        s = lex.get(tok, 0.0)
        if not s:
            continue
        before = toks[max(0, i - 3) : i]
        if any(b in NEGATORS or b.endswith("nt") and b[:-2] in _AUX for b in before):
            s = -0.5 * s
        if i and toks[i - 1] in INTENSIFIERS:
            s *= 1.4
        elif i and toks[i - 1] in DOWNTONERS:
            s *= 0.6
        scores[i] = s
    for i, tok in enumerate(toks):  # the clause after a contrast word outweighs the one before
        if tok in CONTRASTS and 0 < i < len(toks) - 1:
            scores[:i] = [0.5 * s for s in scores[:i]]
            scores[i + 1 :] = [1.5 * s for s in scores[i + 1 :]]
    return scores


_AUX = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "wo",
        "would",
        "ca",
        "could",
        "should",
        "ai",
        "has",
        "have",
        "had",
    ]
)


def features(text: str) -> np.ndarray:
    """One row of FEATURES for a text (length-normalised, so long and short texts compare)."""
    toks = tokens(text)
    scores = word_scores(toks)
    n = max(1, len(toks))
    norm = math.sqrt(n)
    pos = sum(s for s in scores if s > 0)
    neg = -sum(s for s in scores if s < 0)
    return np.array(
        [
            math.tanh((pos - neg) / (2.0 * norm)),
            math.tanh(pos / (2.0 * norm)),
            math.tanh(neg / (2.0 * norm)),
            min(1.0, sum(t in NEGATORS or t.endswith("nt") for t in toks) / norm),
            min(1.0, text.count("!") / norm),
            min(1.0, text.count("?") / norm),
            sum(1 for s in scores if s) / n,
        ],
        dtype=np.float32,
    )


def feature_matrix(texts: list[str]) -> np.ndarray:
    """FEATURES for each text, shape (len(texts), len(FEATURES))."""
    if not texts:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    return np.vstack([features(t) for t in texts])
