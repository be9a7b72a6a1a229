"""The ``transformers`` generator: any local Hugging Face causal LM, batched, with chat templates.

``model`` is a model directory or a GGUF file (``gguf_file`` names the file inside a directory). A GGUF
is converted once to a safetensors directory in the user cache (see kgsynth/generators/models.py); with
no model at all, the packaged SmolLM2-135M-Instruct is used.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from kgsynth.errors import ConfigError, GeneratorError, require
from kgsynth.generators.base import GENERATORS, Completion, Generator, ModelOptions, Prompt
from kgsynth.generators.models import cache_dir, convert_gguf, smollm2_dir
from kgsynth.generators.usage import Usage, prompt_text
from kgsynth.ids import content_id


def resolve_model_dir(model: str | None, gguf_file: str | None = None) -> Path:
    """A loadable model directory for a directory, a GGUF file, or nothing (SmolLM2)."""
    if not model and not gguf_file:
        return smollm2_dir()
    path = Path(model or ".").expanduser()
    if gguf_file:
        path = path / gguf_file
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ConfigError(f"GGUF file {path} does not exist; fix generators.*.model/gguf_file")
        slug = f"{path.stem.lower()}-{content_id(str(path.resolve()), length=8)}"
        return convert_gguf(path, cache_dir() / slug)
    if not (path / "config.json").exists():
        raise ConfigError(
            f"model directory {path} has no config.json; point generators.*.model at a local"
            " Hugging Face model directory or a .gguf file"
        )
    return path


@lru_cache(maxsize=2)
def load_model(path: str):
    """Tokenizer (left padding) and eval-mode model, shared by every generator in the process."""
    transformers = require("transformers", extra="ml")
    tok = transformers.AutoTokenizer.from_pretrained(path, padding_side="left")
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model = transformers.AutoModelForCausalLM.from_pretrained(path).eval()
    return tok, model


def render_chat(tokenizer, prompt: Prompt) -> str:
    """The prompt as model input text: the tokenizer's chat template, else plain turns."""
    messages = [m.model_dump() for m in prompt.messages]
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    return prompt_text(prompt) + "\n"


class TransformersOptions(ModelOptions):
    """A local model: ``model`` is a directory or a GGUF file (none: the packaged SmolLM2)."""

    kind: str = "transformers"
    gguf_file: str | None = None  # the GGUF file inside the `model` directory
    threads: int | None = None  # torch CPU threads for the process (None: default)


@GENERATORS.register("transformers")
class TransformersGenerator(Generator):
    """Batched local generation: left padding, seeded sampling when temperature > 0, else greedy."""

    name = "transformers"
    scale_out = True
    Options = TransformersOptions

    def __init__(self, config: TransformersOptions | None = None):
        self.config = config or TransformersOptions()
        self.model_dir = resolve_model_dir(self.config.model, self.config.gguf_file)
        self.meter = Usage()

    def params(self) -> dict[str, Any]:
        c = self.config
        return {
            "name": self.name,
            "model": str(self.model_dir),
            "max_new_tokens": c.max_new_tokens,
            "temperature": c.temperature,
            "seed": c.seed,
        }

    def generate(self, prompts: list[Prompt]) -> list[Completion]:
        results: list[Completion | None] = [None] * len(prompts)
        groups: dict[tuple[int, float], list[int]] = {}
        for i, p in enumerate(prompts):
            mnt = p.max_new_tokens or self.config.max_new_tokens
            temp = self.config.temperature if p.temperature is None else p.temperature
            groups.setdefault((mnt, temp), []).append(i)
        size = max(1, self.config.batch_size)
        for (mnt, temp), idx in groups.items():
            for start in range(0, len(idx), size):
                part = idx[start : start + size]
                for i, c in zip(
                    part, self._batch([prompts[i] for i in part], mnt, temp), strict=True
                ):
                    results[i] = c
        return [c for c in results if c is not None]

    def _batch(
        self, prompts: list[Prompt], max_new_tokens: int, temperature: float
    ) -> list[Completion]:
        torch = require("torch", extra="ml")
        tok, model = load_model(str(self.model_dir))
        texts = [render_chat(tok, p) for p in prompts]
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        kw: dict[str, Any] = {"max_new_tokens": max_new_tokens, "pad_token_id": tok.pad_token_id}
        if temperature > 0:
            kw.update(do_sample=True, temperature=temperature)
        else:
            kw.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        torch.manual_seed(self.config.seed)
        threads = torch.get_num_threads()
        if self.config.threads:  # fewer threads than cores avoids thrashing on a busy CPU
            torch.set_num_threads(self.config.threads)
        try:
            with torch.inference_mode():
                out = model.generate(**enc, **kw)
        except (RuntimeError, ValueError) as e:
            raise GeneratorError(f"transformers generation failed on {self.model_dir}: {e}") from e
        finally:
            torch.set_num_threads(threads)
        new = out[:, enc["input_ids"].shape[1] :]
        completions = []
        for row, mask in zip(new.tolist(), enc["attention_mask"].tolist(), strict=True):
            completions.append(self._completion(tok, row, sum(mask)))
        for c in completions:
            self.meter.add(c)
        return completions

    def _completion(self, tok, row: list[int], prompt_tokens: int) -> Completion:
        eos = tok.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos])
        stop = next((j for j, t in enumerate(row) if t in eos_ids), None)
        tokens = row if stop is None else row[:stop]
        return Completion(
            text=tok.decode(tokens, skip_special_tokens=True).strip(),
            prompt_tokens=prompt_tokens,
            completion_tokens=len(tokens),
            model=str(self.model_dir),
            finish_reason="length" if stop is None else "stop",
        )
