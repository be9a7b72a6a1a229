"""The commented ``kgsynth.toml`` a new workspace starts with: every setting at its default.

Every line is a comment, so the file changes nothing until the user uncomments one. The key lines
are drawn from the pydantic defaults (a new setting appears here by itself); the generator examples
show how to add a model, the step a new user most often has to look up.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from kgsynth.config import CONFIG_FILE, Config

HEADER = """\
# kgsynth workspace configuration.
# Every line is commented out and shows the default; uncomment a line to change it.
# Secrets are never written here: a setting names the environment variable that holds them
# (password_env, api_key_env). KGSYNTH_ENGINE and KGSYNTH_RAY_ADDRESS override engine and ray.address.
"""

HINTS = {
    "engine": 'where heavy stages run: "local" or "ray"',
    "ray.address": 'auto, local, "host:port" or "ray://host:10001"',
    "store.kind": '"embedded" (a folder in this workspace) or "neo4j"',
    "ingest.chunk_chars": "target chunk size in characters",
    "ingest.extractors": "spacy, zh, model",
    "ingest.processes": "spaCy worker processes",
    "ui.host": "anything but loopback needs KGSYNTH_UI_USER and KGSYNTH_UI_PASSWORD",
}

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
    defaults = Config()
    lines = [HEADER]
    lines += _section(defaults, "", skip={"generators"})
    lines += ["", GENERATOR_EXAMPLES.rstrip()]
    return "\n".join(lines) + "\n"


def write_template(workspace: Path) -> Path | None:
    """Write the commented kgsynth.toml into `workspace` unless one is there; its path if written."""
    path = Path(workspace) / CONFIG_FILE
    if path.exists():
        return None
    path.write_text(render_template(), encoding="utf-8")
    return path


def _section(model: BaseModel, prefix: str, skip: set[str] = frozenset()) -> list[str]:
    scalars, tables = [], []
    for name in type(model).model_fields:
        if name in skip:
            continue
        value = getattr(model, name)
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            tables += ["", f"# [{key}]", *_section(value, f"{key}.")]
        else:
            scalars.append(_line(name, value, HINTS.get(key)))
    return scalars + tables


def _line(name: str, value, hint: str | None) -> str:
    if value is None:
        return f"# {name}: unset by default" + (f" ({hint})" if hint else "")
    text = f"# {name} = {_toml(value)}"
    return f"{text:<40}# {hint}" if hint else text


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))
