"""Generators: one batched interface (``Generator.generate``), registered by name in GENERATORS."""

from synth.generators.base import GENERATORS, Completion, Generator, Message, Prompt

__all__ = ["GENERATORS", "Completion", "Generator", "Message", "Prompt"]
