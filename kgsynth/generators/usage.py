"""Token and cost accounting for one generator run, safe to update from worker threads."""

from __future__ import annotations

import threading
from typing import Any

from kgsynth.generators.base import Completion, Prompt


def estimate_tokens(text: str) -> int:
    """A rough token count (about 4 characters per token) when a server reports no usage."""
    return max(1, (len(text) + 3) // 4) if text else 0


def prompt_text(prompt: Prompt) -> str:
    return "\n".join(m.content for m in prompt.messages)


class Usage:
    """Counts calls, cache hits, tokens and cost; prices are US dollars per 1,000 tokens."""

    def __init__(self, price_per_1k_input: float = 0.0, price_per_1k_output: float = 0.0):
        self.price_in = price_per_1k_input
        self.price_out = price_per_1k_output
        self._lock = threading.Lock()
        self.calls = 0
        self.cached = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.retries = 0
        self.errors = 0

    def add(self, completion: Completion) -> None:
        """Record one completion: a cache hit costs nothing, a call counts its tokens."""
        with self._lock:
            if completion.cached:
                self.cached += 1
                return
            self.calls += 1
            self.prompt_tokens += completion.prompt_tokens
            self.completion_tokens += completion.completion_tokens

    def count(self, field: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, field, getattr(self, field) + n)

    @property
    def cost_usd(self) -> float:
        return (
            self.prompt_tokens / 1000 * self.price_in
            + self.completion_tokens / 1000 * self.price_out
        )

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": self.calls,
                "cached": self.cached,
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "cost_usd": round(self.cost_usd, 6),
                "retries": self.retries,
                "errors": self.errors,
            }
