"""Writing a workspace's kgsynth.toml from the Settings tab (the foundation only reads it)."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

from kgsynth.config import CONFIG_FILE, Config


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dump_toml(data: dict[str, Any], prefix: str = "") -> str:
    """TOML for nested dicts of scalars and lists (what Config holds); None values are left out."""
    lines, tables = [], []
    for key, v in data.items():
        if v is None:
            continue
        if isinstance(v, dict):
            tables.append((key, v))
        else:
            lines.append(f"{_key(key)} = {_value(v)}")
    out = []
    if lines:
        out.append((f"[{prefix}]\n" if prefix else "") + "\n".join(lines) + "\n")
    for key, table in tables:
        name = f"{prefix}.{_key(key)}" if prefix else _key(key)
        out.append(dump_toml(table, name) or f"[{name}]\n")
    return "\n".join(out)


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else json.dumps(k)


def save_config(workspace: Path, config: Config) -> Path:
    """Validate and write <workspace>/kgsynth.toml atomically; returns its path."""
    text = dump_toml(config.model_dump(mode="json", exclude_none=True))
    Config.model_validate(tomllib.loads(text))  # what we write must read back the same
    path = Path(workspace) / CONFIG_FILE
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
