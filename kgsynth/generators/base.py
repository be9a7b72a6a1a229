"""The generator interface: prompts in, completions out, in batches.

Three built-ins register in GENERATORS: ``template`` (no model: returns the rendered text),
``transformers`` (a local Hugging Face causal LM) and ``openai`` (any OpenAI-compatible server).
All of them go through the workspace's content-addressed generation cache (see kgsynth/generators/cache.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Literal

from pydantic import Field

from kgsynth.config import GeneratorOptions
from kgsynth.registry import Registry
from kgsynth.types import Record


class Message(Record):
    role: Literal["system", "user", "assistant"]
    content: str


class Prompt(Record):
    """One request: chat messages plus sampling overrides. ``template_id`` is kept for provenance."""

    messages: list[Message]
    max_new_tokens: int | None = None
    temperature: float | None = None
    template_id: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def user(cls, text: str, **kw: Any) -> Prompt:
        return cls(messages=[Message(role="user", content=text)], **kw)


class Completion(Record):
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    model: str = ""
    finish_reason: str | None = None


class ModelOptions(GeneratorOptions):
    """Options of a generator that runs a model: which one and how it samples."""

    model: str | None = None  # a model directory, a GGUF file, or a served model name
    max_new_tokens: int = 128
    temperature: float = 0.7
    seed: int = 0


class Generator(ABC):
    """Turns a batch of prompts into one completion each, in order. ``Options`` is the model of
    the settings its ``[generators.<name>]`` section may hold; the constructor takes one."""

    name: str = ""
    Options: ClassVar[type[GeneratorOptions]] = GeneratorOptions
    # True for a generator that holds a local model: its misses run on the workspace's engine (one
    # model per Ray worker). A client of a server stays in the driver, which holds its rate limits.
    scale_out: bool = False

    @abstractmethod
    def generate(self, prompts: list[Prompt]) -> list[Completion]: ...

    def params(self) -> dict[str, Any]:
        """What identifies this generator's output (model, sampling): used in cache keys and provenance."""
        return {"name": self.name}

    def request(self, prompt: Prompt) -> dict[str, Any]:
        """What of a prompt determines the output (used with params() in cache keys).

        ``prompt.meta["sample"]`` (e.g. 0, 1, 2) asks for distinct samples of the same prompt."""
        out = {
            "messages": [m.model_dump() for m in prompt.messages],
            "max_new_tokens": prompt.max_new_tokens,
            "temperature": prompt.temperature,
        }
        if "sample" in prompt.meta:
            out["sample"] = prompt.meta["sample"]
        return out

    def close(self) -> None:
        """Release models, sessions or connections."""


GENERATORS: Registry[type[Generator]] = Registry("generators")
