"""The ``template`` generator: no model; returns the reference text the task rendered from graph facts."""

from __future__ import annotations

from typing import Any

from kgsynth.config import GeneratorOptions
from kgsynth.errors import GeneratorError
from kgsynth.generators.base import GENERATORS, Completion, Generator, Prompt
from kgsynth.generators.usage import estimate_tokens


@GENERATORS.register("template")
class TemplateGenerator(Generator):
    """Deterministic and always grounded: ``Completion.text = prompt.meta["reference"]``."""

    name = "template"
    cacheable = False  # nothing to save: the output is already in the prompt

    def __init__(self, config: GeneratorOptions | None = None):
        self.config = config or GeneratorOptions()

    def generate(self, prompts: list[Prompt]) -> list[Completion]:
        out = []
        for i, prompt in enumerate(prompts):
            reference = prompt.meta.get("reference")
            if not isinstance(reference, str):
                raise GeneratorError(
                    f"prompt {i} has no meta['reference'] for the template generator;"
                    " render the reference in the task or pick a model generator"
                )
            out.append(
                Completion(
                    text=reference,
                    completion_tokens=estimate_tokens(reference),
                    model="template",
                    finish_reason="stop",
                )
            )
        return out

    def params(self) -> dict[str, Any]:
        return {"name": self.name}

    def request(self, prompt: Prompt) -> dict[str, Any]:
        return {"reference": prompt.meta.get("reference")}
