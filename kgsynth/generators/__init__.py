"""Generators: one batched interface (``Generator.generate``), registered by name in GENERATORS.

``make_generator(ws, name)`` builds one from the workspace config, always behind the catalog cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from kgsynth.config import GeneratorOptions, first_error
from kgsynth.errors import ConfigError
from kgsynth.generators import hf, openai, template  # noqa: F401  (register the built-ins)
from kgsynth.generators.base import GENERATORS, Completion, Generator, Message, ModelOptions, Prompt
from kgsynth.generators.cache import CachedGenerator, cache_key

if TYPE_CHECKING:
    from kgsynth.workspace import Workspace

__all__ = [
    "GENERATORS",
    "CachedGenerator",
    "Completion",
    "Generator",
    "GeneratorOptions",
    "Message",
    "ModelOptions",
    "Prompt",
    "cache_key",
    "generator_config",
    "generator_names",
    "make_generator",
]


def generator_names(ws: Workspace) -> list[str]:
    """Every name make_generator accepts: the registry's and the workspace config's."""
    return sorted(set(GENERATORS.names()) | set(ws.config.generators))


def generator_config(ws: Workspace, name: str, **overrides: Any) -> tuple[str, GeneratorOptions]:
    """The registry name and the options (its kind's model) for `name` with `overrides` applied."""
    configured = ws.config.generators.get(name)
    if configured is not None:
        kind, base = configured.kind, configured.model_dump()
    elif name in GENERATORS:
        kind, base = name, {}
    else:
        valid = ", ".join(generator_names(ws))
        raise ConfigError(f"unknown generator {name!r}; valid names: {valid}")
    try:
        config = GENERATORS.get(kind).Options.model_validate({**base, **overrides, "kind": kind})
    except ValidationError as e:
        raise ConfigError(f"generator {name!r}: {first_error(e)}") from e
    return kind, config


def make_generator(ws: Workspace, name: str = "template", **overrides: Any) -> CachedGenerator:
    """A generator by name (built-in kind or a [generators.<name>] config entry), cached in the catalog.

    On one of several engine workers (a WorkerView), the config's limits are that worker's share."""
    kind, config = generator_config(ws, name, **overrides)
    config = config.shared_by(getattr(ws, "workers", 1))
    inner = GENERATORS.get(kind)(config)
    engine = getattr(ws, "engine", None)  # an engine worker's view of the workspace has none
    return CachedGenerator(inner, ws.catalog, batch_size=config.batch_size, engine=engine)
