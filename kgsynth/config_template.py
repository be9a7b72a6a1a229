"""The commented ``kgsynth.toml`` a new workspace starts with: every setting at its default.

Every line is a comment, so the file changes nothing until the user uncomments one. The key lines
are drawn from the pydantic defaults (a new setting appears here by itself); the generator examples
show how to add a model, the step a new user most often has to look up.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from kgsynth.config import CONFIG_FILE, Config, toml_value
from kgsynth.registry import registry_of

HEADER = """\
# kgsynth workspace configuration.
# Every line is commented out and shows the default; uncomment a line to change it.
# Secrets are never written here: a setting names the environment variable that holds them
# (password_env, api_key_env). KGSYNTH_ENGINE and KGSYNTH_RAY_ADDRESS override engine and ray.address.
"""

HINTS = {
    "engine": "where heavy stages run",
    "ray.address": 'auto, local, "host:port" or "ray://host:10001"',
    "store.kind": "the graph store",
    "ingest.chunk_chars": "target chunk size in characters",
    "ingest.extractors": "any of",
    "ingest.processes": "spaCy worker processes",
    "ui.host": "anything but loopback needs KGSYNTH_UI_USER and KGSYNTH_UI_PASSWORD",
}
# Settings that name an extension: their hint lists the names its registry holds.
NAMED_BY = {"engine": "engines", "store.kind": "stores", "ingest.extractors": "extractors"}

GENERATOR_EXAMPLES = """\
# Generators: add one section per model, then pass its name to `kgsynth synth qa -g NAME`.
# The built-in "template" generator needs no section.
#
# [generators.local]
# kind = "openai"                      # any OpenAI-compatible server: vLLM, Ollama, llama.cpp
# base_url = "http://127.0.0.1:8000/v1"
# model = "my-model"
# api_key_env = "MY_API_KEY"           # the variable holding the key, not the key
# concurrency = 4
# rpm = 600
#
# [generators.smol]
# kind = "transformers"                # a local model directory, or a GGUF file with gguf_file
# model = "/path/to/SmolLM2-135M-Instruct"
"""


def render_template() -> str:
    """The text of a commented kgsynth.toml holding the defaults of every setting."""
    hints = dict(HINTS)
    for key, kind in NAMED_BY.items():
        hints[key] = f"{hints[key]}: {', '.join(registry_of(kind).names())}"
    lines = [HEADER]
    lines += _section(Config(), "", hints, skip={"generators"})
    lines += ["", GENERATOR_EXAMPLES.rstrip()]
    return "\n".join(lines) + "\n"


def write_template(workspace: Path) -> Path | None:
    """Write the commented kgsynth.toml into `workspace` unless one is there; its path if written."""
    path = Path(workspace) / CONFIG_FILE
    if path.exists():
        return None
    path.write_text(render_template(), encoding="utf-8")
    return path


def _section(
    model: BaseModel, prefix: str, hints: dict[str, str], skip: set[str] = frozenset()
) -> list[str]:
    scalars, tables = [], []
    for name in type(model).model_fields:
        if name in skip:
            continue
        value = getattr(model, name)
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            tables += ["", f"# [{key}]", *_section(value, f"{key}.", hints)]
        else:
            scalars.append(_line(name, value, hints.get(key)))
    return scalars + tables


def _line(name: str, value, hint: str | None) -> str:
    if value is None:
        return f"# {name}: unset by default" + (f" ({hint})" if hint else "")
    text = f"# {name} = {toml_value(value)}"
    return f"{text:<40}# {hint}" if hint else text
