"""A search index over text chunks: dense (MiniLM + hnswlib) and lexical (BM25 via bm25s).

Persisted in a directory (``ws.dir("index")`` for the corpus) as one folder per chunk-set fingerprint
plus a CURRENT pointer, written atomically. When the chunk set changes the index is rebuilt, reusing
the stored vectors of chunks that did not change, so only new chunks are embedded.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kgsynth.errors import require
from kgsynth.ids import content_id
from kgsynth.text import detect_lang, words

Progress = Callable[[int, int], None]
DIM = 384


@dataclass
class IndexRecord:
    """One indexed text: a catalog chunk, or a piece of an external corpus."""

    id: str
    doc_id: str
    text: str
    lang: str = "en"


def fingerprint(records: Iterable[IndexRecord]) -> str:
    """A hash of the set of chunk ids (ids are content hashes, so text changes show up)."""
    return content_id(sorted(r.id for r in records), length=20)


class ChunkIndex:
    """Dense and BM25 search over a fixed set of records; build with load_or_build."""

    def __init__(
        self, records: list[IndexRecord], vectors: np.ndarray, path: Path | None = None, hnsw=None
    ):
        self.records = records
        self.ids = [r.id for r in records]
        self.vectors = vectors
        self.path = path
        self.by_id = {r.id: r for r in records}
        if hnsw is None and len(records):
            hnsw = self._build_hnsw(vectors)
        self._hnsw = hnsw
        self._bm25 = self._build_bm25(records) if len(records) else None

    # ------------------------------------------------------------ building and loading

    @classmethod
    def load_or_build(cls, ws, progress: Progress | None = None) -> ChunkIndex:
        """The index over every catalog chunk, rebuilt when the chunk set changed."""
        records = [IndexRecord(c.id, c.doc_id, c.text, c.lang) for c in ws.catalog.iter_chunks()]
        return cls.for_records(records, ws.dir("index"), progress, engine=ws.engine)

    @classmethod
    def for_records(
        cls,
        records: list[IndexRecord],
        directory: Path,
        progress: Progress | None = None,
        engine=None,
    ) -> ChunkIndex:
        """Load the index stored in `directory` if it covers exactly `records`, else rebuild it
        (new texts are embedded on `engine`: a kgsynth.engine.Engine, this process when None)."""
        records = sorted(records, key=lambda r: r.id)
        fp = fingerprint(records)
        current = _read_current(directory)
        if current == fp:
            loaded = cls._load(directory / fp)
            if loaded is not None:
                return loaded
        old = cls._load(directory / current) if current else None
        vectors = _embed(records, old, progress, engine)
        index = cls(records, vectors)
        index._save(directory, fp)
        return index

    @classmethod
    def _load(cls, folder: Path) -> ChunkIndex | None:
        meta = folder / "records.jsonl"
        if not meta.exists():
            return None
        with meta.open(encoding="utf-8") as f:
            records = [IndexRecord(**json.loads(line)) for line in f if line.strip()]
        vectors = np.load(folder / "vectors.npy")
        if len(records) != len(vectors):
            return None
        hnsw = None
        if (folder / "hnsw.bin").exists() and len(records):
            hnswlib = require("hnswlib")
            hnsw = hnswlib.Index(space="ip", dim=vectors.shape[1])
            hnsw.load_index(str(folder / "hnsw.bin"), max_elements=len(records))
            hnsw.set_ef(64)
        return cls(records, vectors, folder, hnsw)

    def _save(self, directory: Path, fp: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=directory))
        with (tmp / "records.jsonl").open("w", encoding="utf-8") as f:
            for r in self.records:
                f.write(json.dumps(r.__dict__, ensure_ascii=False) + "\n")
        np.save(tmp / "vectors.npy", self.vectors)
        if self._hnsw is not None:
            self._hnsw.save_index(str(tmp / "hnsw.bin"))
        target = directory / fp
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
        pointer = directory / ".CURRENT.tmp"
        pointer.write_text(fp, encoding="utf-8")
        os.replace(pointer, directory / "CURRENT")
        for other in directory.iterdir():  # drop older builds
            if other.is_dir() and other.name != fp and not other.name.startswith(".build-"):
                shutil.rmtree(other, ignore_errors=True)
        self.path = target

    @staticmethod
    def _build_hnsw(vectors: np.ndarray):
        hnswlib = require("hnswlib")
        index = hnswlib.Index(space="ip", dim=vectors.shape[1])
        index.init_index(max_elements=max(1, len(vectors)), ef_construction=200, M=16)
        index.add_items(vectors, np.arange(len(vectors)))
        index.set_ef(64)
        return index

    @staticmethod
    def _build_bm25(records: list[IndexRecord]):
        bm25s = require("bm25s")
        bm25 = bm25s.BM25()
        bm25.index([words(r.text, r.lang) for r in records], show_progress=False)
        return bm25

    # ------------------------------------------------------------ searching

    def __len__(self) -> int:
        return len(self.records)

    def dense(self, vec_or_text: np.ndarray | str, k: int = 10) -> list[tuple[str, float]]:
        """Nearest records by cosine similarity: (id, score), best first."""
        if self._hnsw is None or k <= 0:
            return []
        if isinstance(vec_or_text, str):
            from kgsynth.embeddings import shared_embedder

            vec = shared_embedder().encode([vec_or_text])[0]
        else:
            vec = np.asarray(vec_or_text, dtype=np.float32)
        k = min(k, len(self.records))
        self._hnsw.set_ef(max(64, k))
        labels, distances = self._hnsw.knn_query(vec.reshape(1, -1), k=k)
        return [
            (self.ids[int(i)], float(1.0 - d)) for i, d in zip(labels[0], distances[0], strict=True)
        ]

    def bm25(self, text: str, k: int = 10, lang: str | None = None) -> list[tuple[str, float]]:
        """Best BM25 matches for the query's words: (id, score), best first, score > 0 only."""
        if self._bm25 is None or k <= 0:
            return []
        tokens = words(text, lang or detect_lang(text))
        if not tokens:
            return []
        k = min(k, len(self.records))
        docs, scores = self._bm25.retrieve([tokens], k=k, show_progress=False)
        return [
            (self.ids[int(i)], float(s)) for i, s in zip(docs[0], scores[0], strict=True) if s > 0
        ]


def _read_current(directory: Path) -> str | None:
    pointer = directory / "CURRENT"
    return pointer.read_text(encoding="utf-8").strip() if pointer.exists() else None


def _embed(
    records: list[IndexRecord], old: ChunkIndex | None, progress: Progress | None, engine=None
) -> np.ndarray:
    """Vectors for `records`, reusing those already in `old`; only new texts are embedded."""
    vectors = np.zeros((len(records), DIM), dtype=np.float32)
    known = {rid: i for i, rid in enumerate(old.ids)} if old is not None else {}
    missing = []
    for i, r in enumerate(records):
        j = known.get(r.id)
        if j is not None and old is not None and old.vectors.shape[1] == DIM:
            vectors[i] = old.vectors[j]
        else:
            missing.append(i)
    if missing:
        from kgsynth.embeddings import encode_on

        encoded = encode_on(engine, [records[i].text for i in missing], progress)
        vectors[missing] = encoded
    elif progress:
        progress(len(records), len(records))
    return vectors
