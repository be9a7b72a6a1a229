"""One registry per kind of extension point (stores, extractors, generators, filters, exporters).

The foundation never imports a stage: each stage (kg, synth, finetune) names the module that
registers its built-ins in the ``kgsynth.plugins`` entry-point group (pyproject.toml), and the first
lookup in any registry imports them all. Third-party packages do the same, or add single items
through the group ``kgsynth.<kind>``. An unknown name fails with the list of valid names.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from kgsynth.errors import ConfigError

T = TypeVar("T")
PLUGIN_GROUP = "kgsynth.plugins"
_plugins_imported = False
_REGISTRIES: dict[str, Registry] = {}  # every registry by kind, for registry_of


def load_plugins() -> None:
    """Import every module named in the ``kgsynth.plugins`` entry-point group, once per process."""
    global _plugins_imported
    if _plugins_imported:
        return
    _plugins_imported = True
    for ep in entry_points(group=PLUGIN_GROUP):
        ep.load()


class Registry(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}
        self._plugins_loaded = False
        _REGISTRIES.setdefault(kind, self)

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(obj: T) -> T:
            self._items[name] = obj
            return obj

        return decorator

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        load_plugins()
        for ep in entry_points(group=f"kgsynth.{self.kind}"):
            self._items.setdefault(ep.name, ep.load())

    def get(self, name: str) -> T:
        self._load_plugins()
        try:
            return self._items[name]
        except KeyError:
            valid = ", ".join(sorted(self._items)) or "(none)"
            raise ConfigError(f"unknown {self.kind} {name!r}; valid names: {valid}") from None

    def names(self) -> list[str]:
        self._load_plugins()
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        self._load_plugins()
        return name in self._items


def registry_of(kind: str) -> Registry:
    """The registry of `kind` ("extractors", "filters", ...), the plugins loaded: how the foundation
    checks a name against a registry a stage owns without importing that stage."""
    load_plugins()
    try:
        return _REGISTRIES[kind]
    except KeyError:
        valid = ", ".join(sorted(_REGISTRIES))
        raise ConfigError(f"no registry of {kind}; the registries are: {valid}") from None
