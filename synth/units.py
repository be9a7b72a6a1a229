"""The corpus as units to classify (documents or chunks), with vectors and linked graph entities.

Chunk vectors come from the workspace's chunk index (:mod:`synth.index`) when it exists, else from a
cache of our own in ``<workspace>/classify/``; a document's vector is the normalised mean of its
chunks' vectors. Entities come from the graph store (resolved entities with their chunk ids), falling
back to the catalog's raw mentions when the store is empty.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field

import numpy as np

from kgsynth.embeddings import encode_on, shared_embedder
from kgsynth.errors import KgsynthError
from kgsynth.text import split_sentences

log = logging.getLogger(__name__)


@dataclass
class Units:
    ids: list[str]
    texts: list[str]
    doc_ids: list[str]
    chunk_ids: list[list[str]]
    vectors: np.ndarray
    entities: list[list[str]] = field(default_factory=list)
    lang: str = "en"


def load_units(ws, unit: str, exclude_docs: set[str]) -> Units:
    """Documents (or chunks) of the workspace, minus excluded documents, with vectors and entities."""
    docs = [d for d in ws.catalog.iter_documents() if d.id not in exclude_docs]
    docs.sort(key=lambda d: d.source)
    chunks = [c for c in ws.catalog.iter_chunks() if c.doc_id not in exclude_docs]
    by_doc: dict[str, list] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c)
    for cs in by_doc.values():
        cs.sort(key=lambda c: c.index)
    docs = [d for d in docs if by_doc.get(d.id)]
    if not docs:
        return Units([], [], [], [], np.zeros((0, shared_embedder().dim), dtype=np.float32))
    chunk_vecs = chunk_vectors(ws, [c for d in docs for c in by_doc[d.id]])
    chunk_entities = _chunk_entities(ws)
    langs = [d.lang for d in docs]
    lang = max(set(langs), key=langs.count) if langs else "en"
    if unit == "chunk":
        cs = [c for d in docs for c in by_doc[d.id]]
        vecs = np.array([chunk_vecs[c.id] for c in cs]).reshape(len(cs), -1)
        return Units(
            ids=[c.id for c in cs],
            texts=[c.text for c in cs],
            doc_ids=[c.doc_id for c in cs],
            chunk_ids=[[c.id] for c in cs],
            vectors=vecs,
            entities=[chunk_entities.get(c.id, []) for c in cs],
            lang=lang,
        )
    vecs = [_normalize(np.mean([chunk_vecs[c.id] for c in by_doc[d.id]], axis=0)) for d in docs]
    return Units(
        ids=[d.id for d in docs],
        texts=[d.text for d in docs],
        doc_ids=[d.id for d in docs],
        chunk_ids=[[c.id for c in by_doc[d.id]] for d in docs],
        vectors=np.array(vecs, dtype=np.float32).reshape(len(docs), -1),
        entities=[[e for c in by_doc[d.id] for e in chunk_entities.get(c.id, [])] for d in docs],
        lang=lang,
    )


def _normalize(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def chunk_vectors(ws, chunks: list) -> dict[str, np.ndarray]:
    """Vectors of the given chunks: from the chunk index when built, else our own cache."""
    index = _chunk_index(ws)
    vecs: dict[str, np.ndarray] = {}
    if index is not None:
        pos = {cid: i for i, cid in enumerate(index.ids)}
        for c in chunks:
            if c.id in pos:
                vecs[c.id] = index.vectors[pos[c.id]]
    missing = [c for c in chunks if c.id not in vecs]
    if missing:
        vecs.update(_cached_vectors(ws, missing))
    return vecs


def _chunk_index(ws):
    from synth.index import ChunkIndex

    try:
        return ChunkIndex.load_or_build(ws)
    except KgsynthError as e:  # an unusable index: embed the chunks ourselves
        log.warning("chunk index unavailable (%s); embedding chunks directly", e)
        return None


def _cached_vectors(ws, chunks: list) -> dict[str, np.ndarray]:
    path = ws.dir("classify") / "chunk_vectors.npz"
    cache: dict[str, np.ndarray] = {}
    if path.exists():
        data = np.load(path, allow_pickle=False)
        cache = dict(zip(data["ids"].tolist(), data["vectors"], strict=True))
    todo = [c for c in chunks if c.id not in cache]
    if todo:
        vectors = encode_on(getattr(ws, "engine", None), [c.text for c in todo])
        cache.update(zip([c.id for c in todo], vectors, strict=True))
        ids = list(cache)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, ids=np.array(ids), vectors=np.array([cache[i] for i in ids]))
        tmp.replace(path)
    return {c.id: cache[c.id] for c in chunks}


def text_vectors(ws, texts: list[str], chunk_chars: int | None = None) -> np.ndarray:
    """Embed free texts; long ones are split into chunk-sized pieces and averaged (like documents)."""
    if not texts:
        return np.zeros((0, shared_embedder().dim), dtype=np.float32)
    engine = getattr(ws, "engine", None)  # the workspace's engine embeds (ws may be None)
    if not chunk_chars:
        return encode_on(engine, texts)
    pieces, owner = [], []
    for i, text in enumerate(texts):
        for piece in split_pieces(text, chunk_chars):
            pieces.append(piece)
            owner.append(i)
    vecs = encode_on(engine, pieces)
    out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
    np.add.at(out, np.asarray(owner), vecs)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def split_pieces(text: str, chunk_chars: int) -> list[str]:
    """Paragraph-aligned pieces of about `chunk_chars` characters."""
    pieces, cur = [], ""
    for para in text.split("\n\n"):
        if cur and len(cur) + len(para) > chunk_chars:
            pieces.append(cur)
            cur = ""
        cur = f"{cur}\n\n{para}" if cur else para
    if cur.strip():
        pieces.append(cur)
    return pieces or [text]


def _chunk_entities(ws) -> dict[str, list[str]]:
    """chunk id -> ids of the graph entities mentioned in it."""
    out: dict[str, list[str]] = {}
    try:
        for ent in ws.store.iter_entities():
            for cid in ent.chunk_ids:
                out.setdefault(cid, []).append(ent.id)
    except (KgsynthError, ModuleNotFoundError) as e:
        log.warning("graph store unavailable (%s); using raw mentions", e)
    if out:
        return out
    for m in ws.catalog.iter_mentions():
        key = f"{m.type}:{m.text.lower()}"
        out.setdefault(m.chunk_id, []).append(key)
    return out


def sentences_of(text: str, lang: str, limit: int, rng: random.Random) -> list[str]:
    """Up to `limit` sentences of a text, in order, picked at random (for generation prompts)."""
    spans = split_sentences(text, lang)
    spans = [s for s in spans if 40 <= s[1] - s[0] <= 400]
    if len(spans) > limit:
        spans = sorted(rng.sample(spans, limit))
    return [text[a:b] for a, b in spans]
