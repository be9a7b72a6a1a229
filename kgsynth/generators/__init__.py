"""Generators: one batched interface (``Generator.generate``), registered by name in GENERATORS.

``make_generator(ws, name)`` builds one from the workspace config, always behind the catalog cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from kgsynth.config import GeneratorConfig
from kgsynth.errors import ConfigError
from kgsynth.generators import hf, openai, template  # noqa: F401  (register the built-ins)
from kgsynth.generators.base import GENERATORS, Completion, Generator, Message, Prompt
from kgsynth.generators.cache import CachedGenerator, cache_key

if TYPE_CHECKING:
    from kgsynth.workspace import Workspace

__all__ = [
    "GENERATORS",
    "CachedGenerator",
    "Completion",
    "Generator",
    "Message",
    "Prompt",
    "cache_key",
    "generator_config",
    "generator_names",
    "make_generator",
]


def generator_names(ws: Workspace) -> list[str]:
    """Every name make_generator accepts: the registry's and the workspace config's."""
    return sorted(set(GENERATORS.names()) | set(ws.config.generators))


def generator_config(ws: Workspace, name: str, **overrides: Any) -> tuple[str, GeneratorConfig]:
    """The registry name and the validated config for `name` with `overrides` applied."""
    configured = ws.config.generators.get(name)
    if configured is not None:
        kind = configured.kind
        base = configured.model_dump()
    elif name in GENERATORS:
        kind = name
        base = GeneratorConfig(kind=name).model_dump() if name in _KINDS else {}
    else:
        valid = ", ".join(generator_names(ws))
        raise ConfigError(f"unknown generator {name!r}; valid names: {valid}")
    try:
        config = GeneratorConfig.model_validate({**base, **overrides})
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"generator {name!r}: {where}: {first['msg']}") from e
    return kind, config


def make_generator(ws: Workspace, name: str = "template", **overrides: Any) -> CachedGenerator:
    """A generator by name (built-in kind or a [generators.<name>] config entry), cached in the catalog.

    On one of several engine workers (a WorkerView), the config's limits are that worker's share."""
    kind, config = generator_config(ws, name, **overrides)
    config = config.shared_by(getattr(ws, "workers", 1))
    inner = GENERATORS.get(kind)(config)
    engine = getattr(ws, "engine", None)  # an engine worker's view of the workspace has none
    return CachedGenerator(inner, ws.catalog, batch_size=config.batch_size, engine=engine)


_KINDS = {"template", "transformers", "openai"}
