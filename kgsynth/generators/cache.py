"""The content-addressed generation cache: every generator runs behind it.

key = sha256(generator.params() + generator.request(prompt)). Misses are generated in batches and
saved batch by batch, so an interrupted run resumes where it stopped and a repeated run makes no calls.
A generator that holds a local model (``scale_out = True``) generates its misses on the workspace's
engine: on a Ray cluster every worker loads the model once and runs whole cache batches, while this
process, the only writer, saves each batch as it comes back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kgsynth.catalog import Catalog
from kgsynth.engine import Engine, LocalEngine, Work
from kgsynth.generators.base import Completion, Generator, Prompt
from kgsynth.generators.usage import Usage
from kgsynth.ids import content_id

Progress = Callable[[int, int], None]


def cache_key(generator: Generator, prompt: Prompt) -> str:
    """The content hash of what determines a completion: generator identity and the request."""
    return content_id(generator.params(), generator.request(prompt), prefix="gen_", length=32)


class CachedGenerator(Generator):
    """Wraps a generator with the catalog cache; ``usage`` counts calls, hits, tokens and cost."""

    def __init__(
        self,
        inner: Generator,
        catalog: Catalog | None,
        batch_size: int = 8,
        engine: Engine | None = None,
    ):
        self.inner = inner
        self.catalog = catalog  # None on an engine worker: nothing is cached there
        self.engine = engine if engine is not None and inner.scale_out else LocalEngine(None)
        self.batch_size = max(1, batch_size)
        self.name = inner.name
        config = getattr(inner, "config", None)
        self.meter = Usage(
            getattr(config, "price_per_1k_input", 0.0), getattr(config, "price_per_1k_output", 0.0)
        )
        inner_meter = getattr(inner, "meter", None)
        self._inner_meter = inner_meter if isinstance(inner_meter, Usage) else None

    @property
    def usage(self) -> dict[str, Any]:
        """calls, cached, prompt_tokens, completion_tokens, cost_usd (and retries, errors)."""
        out = self.meter.as_dict()
        if self._inner_meter is not None:
            inner = self._inner_meter.as_dict()
            out["retries"], out["errors"] = inner["retries"], inner["errors"]
        return out

    def params(self) -> dict[str, Any]:
        return self.inner.params()

    def request(self, prompt: Prompt) -> dict[str, Any]:
        return self.inner.request(prompt)

    def generate(self, prompts: list[Prompt], progress: Progress | None = None) -> list[Completion]:
        """Completions in prompt order: hits from the cache, misses generated and saved per batch."""
        if not getattr(self.inner, "cacheable", True) or self.catalog is None:
            return self._uncached(prompts, progress)
        keys = [cache_key(self.inner, p) for p in prompts]
        results: list[Completion | None] = [None] * len(prompts)
        todo: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            hit = self.catalog.cache_get(key)
            if hit is not None:
                results[i] = Completion.model_validate_json(hit).model_copy(update={"cached": True})
            else:
                todo.setdefault(key, []).append(i)
        done = len(prompts) - sum(len(v) for v in todo.values())
        for c in results:
            if c is not None:
                self.meter.add(c)
        if progress:
            progress(done, len(prompts))
        pending = list(todo.items())
        work = _Generate(self.inner)
        firsts = [prompts[idx[0]] for _, idx in pending]
        for run in self.engine.batches(work, firsts, batch_size=self.batch_size):
            if run.results is None:
                run.raise_error()
            batch = pending[
                run.index * self.batch_size : run.index * self.batch_size + len(run.items)
            ]
            self._save(batch, prompts, run.results)
            for (_, idx), completion in zip(batch, run.results, strict=True):
                self.meter.add(completion)
                results[idx[0]] = completion
                for i in idx[1:]:  # the same request twice in one run: generated once
                    results[i] = completion.model_copy(update={"cached": True})
                    self.meter.add(results[i])
                done += len(idx)
            if progress:
                progress(done, len(prompts))
        return [c for c in results if c is not None]

    def _save(self, batch, prompts: list[Prompt], completions: list[Completion]) -> None:
        with self.catalog.transaction():
            for (key, idx), completion in zip(batch, completions, strict=True):
                request = json.dumps(self.inner.request(prompts[idx[0]]), ensure_ascii=False)
                self.catalog.cache_put(key, self.name, request, completion.model_dump_json())

    def _uncached(self, prompts: list[Prompt], progress: Progress | None) -> list[Completion]:
        completions = self.inner.generate(prompts)
        for c in completions:
            self.meter.add(c)
        if progress:
            progress(len(prompts), len(prompts))
        return completions

    def close(self) -> None:
        self.inner.close()


class _Generate(Work):
    """Cache misses as engine work: the generator's class and config travel (never the object:
    it holds a meter and, once used, a model); each worker builds it once, its model on first use."""

    def __init__(self, generator: Generator):
        self.kind = type(generator)
        self.config = getattr(generator, "config", None)
        self.generator: Generator | None = generator  # in this process, the object itself

    def __getstate__(self) -> dict:
        return {"kind": self.kind, "config": self.config, "generator": None}

    def setup(self, ws) -> None:
        if self.generator is None:
            config = self.config.shared_by(getattr(ws, "workers", 1)) if self.config else None
            self.generator = self.kind(config) if config is not None else self.kind()

    def run(self, prompts: list[Prompt]) -> list[Completion]:
        return self.generator.generate(prompts)
