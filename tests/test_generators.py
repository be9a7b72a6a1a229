"""Generators: template, transformers (real SmolLM2), the catalog cache and make_generator."""

from __future__ import annotations

import pytest

from kgsynth.config import Config, generator_options
from kgsynth.errors import ConfigError, GeneratorError
from kgsynth.generators import (
    GENERATORS,
    CachedGenerator,
    Completion,
    Generator,
    Prompt,
    make_generator,
)
from kgsynth.workspace import Workspace


class CountingGenerator(Generator):
    """A real Generator subclass that echoes prompts and counts calls (pipeline logic only)."""

    name = "counting"

    def __init__(self, fail_after: int | None = None):
        self.calls = 0
        self.batches = 0
        self.fail_after = fail_after

    def generate(self, prompts: list[Prompt]) -> list[Completion]:
        if self.fail_after is not None and self.batches >= self.fail_after:
            raise GeneratorError("simulated interruption")
        self.batches += 1
        self.calls += len(prompts)
        return [
            Completion(text=p.messages[-1].content.upper(), completion_tokens=3) for p in prompts
        ]


@pytest.fixture
def ws(tmp_path):
    with Workspace(tmp_path / "ws") as w:
        yield w


def prompts(n: int) -> list[Prompt]:
    return [Prompt.user(f"question {i}", meta={"reference": f"answer {i}"}) for i in range(n)]


def test_registry_lists_builtins():
    assert {"template", "transformers", "openai"} <= set(GENERATORS.names())


def test_template_returns_reference(ws):
    gen = make_generator(ws)
    out = gen.generate(prompts(3))
    assert [c.text for c in out] == ["answer 0", "answer 1", "answer 2"]
    assert gen.usage["calls"] == 3 and gen.usage["cost_usd"] == 0


def test_template_without_reference_fails(ws):
    with pytest.raises(GeneratorError, match="reference"):
        make_generator(ws).generate([Prompt.user("no reference")])


def test_unknown_generator_lists_valid_names(ws):
    with pytest.raises(ConfigError, match="valid names: .*openai.*template.*transformers"):
        make_generator(ws, "gpt-17")


def test_bad_override_is_a_config_error(ws):
    with pytest.raises(ConfigError, match="max_new_tokens"):
        make_generator(ws, "template", max_new_tokens="lots")


def test_config_entry_picks_kind(tmp_path):
    config = Config(generators={"local": generator_options("openai")})
    ws = Workspace(tmp_path / "ws", config=config)
    with pytest.raises(ConfigError, match="base_url"):
        make_generator(ws, "local")
    gen = make_generator(ws, "local", base_url="http://127.0.0.1:9/v1", model="m")
    assert gen.params()["base_url"] == "http://127.0.0.1:9/v1"
    ws.close()


def test_cache_repeat_makes_zero_calls(ws):
    inner = CountingGenerator()
    gen = CachedGenerator(inner, ws.catalog, batch_size=2)
    first = gen.generate(prompts(5))
    assert inner.calls == 5 and not any(c.cached for c in first)
    again = CachedGenerator(inner, ws.catalog, batch_size=2)
    second = again.generate(prompts(5))
    assert inner.calls == 5, "a repeated run must not call the generator"
    assert all(c.cached for c in second)
    assert [c.text for c in second] == [c.text for c in first]
    assert again.usage["calls"] == 0 and again.usage["cached"] == 5


def test_cache_resumes_interrupted_run(ws):
    broken = CachedGenerator(CountingGenerator(fail_after=2), ws.catalog, batch_size=2)
    with pytest.raises(GeneratorError):
        broken.generate(prompts(6))  # two batches (4 prompts) saved, then interrupted
    inner = CountingGenerator()
    seen = []
    out = CachedGenerator(inner, ws.catalog, batch_size=2).generate(
        prompts(6), progress=lambda d, t: seen.append((d, t))
    )
    assert inner.calls == 2, "only the prompts not saved before the interruption are generated"
    assert [c.cached for c in out] == [True] * 4 + [False] * 2
    assert seen[0] == (4, 6) and seen[-1] == (6, 6)


def test_cache_key_depends_on_sampling(ws):
    inner = CountingGenerator()
    gen = CachedGenerator(inner, ws.catalog)
    gen.generate([Prompt.user("same")])
    gen.generate([Prompt.user("same", temperature=0.0)])
    gen.generate([Prompt.user("same"), Prompt.user("same")])  # duplicate within a batch: one call
    assert inner.calls == 2
    assert gen.usage["cached"] == 2
    gen.generate([Prompt.user("same", meta={"sample": i}) for i in range(3)])  # distinct samples
    assert inner.calls == 5


def test_transformers_smollm2_batch_and_cache(ws, smollm2_path):
    gen = make_generator(ws, "transformers", model=str(smollm2_path), temperature=0.0, threads=1)
    batch = [
        Prompt.user("What is the capital of France?", max_new_tokens=8),
        Prompt.user("Name a colour.", max_new_tokens=8),
    ]
    out = gen.generate(batch)
    assert len(out) == 2
    assert all(c.text and 0 < c.completion_tokens <= 8 and c.prompt_tokens > 0 for c in out)
    assert out[0].text != out[1].text
    assert gen.usage["calls"] == 2
    again = make_generator(ws, "transformers", model=str(smollm2_path), temperature=0.0, threads=1)
    repeat = again.generate(batch)
    assert [c.text for c in repeat] == [c.text for c in out]
    assert all(c.cached for c in repeat) and again.usage["calls"] == 0


def test_transformers_rejects_missing_model(ws, tmp_path):
    with pytest.raises(ConfigError, match="config.json"):
        make_generator(ws, "transformers", model=str(tmp_path))
    with pytest.raises(ConfigError, match="GGUF"):
        make_generator(ws, "transformers", model=str(tmp_path / "nope.gguf"))
