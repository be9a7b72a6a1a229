"""Command-line flags that override an option model's fields (spaCy's ``train(config, overrides)``):
the model is the one home of the defaults, a flag not given is None, and its help shows the default."""

from __future__ import annotations

import importlib
from typing import Any

import click


def overrides(options: str, *fields: str, **custom: str | dict[str, Any]):
    """Click options ``--<field>`` for fields of the option model `options` ("module.Class").

    `custom` gives a field its help text, or a dict of click.option arguments (``type``, ``help``)
    and ``flags`` (extra spellings such as ``-g``)."""
    module, name = options.rsplit(".", 1)
    model = getattr(importlib.import_module(module), name)

    def decorate(command):
        for field in reversed(fields):
            info = model.model_fields[field]
            extra = custom.get(field, {})
            extra = dict(extra) if isinstance(extra, dict) else {"help": extra}
            flags = extra.pop("flags", ())
            shown = "" if info.default is None else f" [default: {info.default}]"
            text = f"{extra.pop('help', '')}{shown}".strip()
            kind = extra.pop("type", None) or _plain_type(info.annotation)
            decl = ("--" + field.replace("_", "-"), *flags)
            command = click.option(*decl, field, type=kind, help=text, **extra)(command)
        return command

    return decorate


def _plain_type(annotation) -> type:
    """int, float or str: the annotation itself or the one of them in an ``X | None``."""
    options = (annotation, *getattr(annotation, "__args__", ()))
    return next(t for t in (int, float, str) if t in options)
