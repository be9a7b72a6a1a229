"""Click choices whose names come from the library (a registry's ``names()``, a module's tuple)
when a command first needs them, so a command line never keeps a list of names of its own."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

import click


class Names(click.Choice):
    """A choice of the names `names()` returns, asked only when a value or --help needs them."""

    def __init__(self, names: Callable[[], Iterable[str]], case_sensitive: bool = True):
        self._names = names
        self.case_sensitive = case_sensitive

    @property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(self._names())


def listed(module: str, name: str) -> Names:
    """The names in the tuple `name` of `module` (imported when first needed)."""
    return Names(lambda: getattr(importlib.import_module(module), name))


def of(kind: str) -> Names:
    """The names of the registry of `kind` ("stores", "engines", "exporters", ...)."""
    from kgsynth.registry import registry_of

    return Names(lambda: registry_of(kind).names())
