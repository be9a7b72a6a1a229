"""Keeping secrets out of errors: what a server or a library says in an error may echo a key back.

Every secret read through :func:`kgsynth.config.secret` is remembered, and :func:`redact` masks those
values, and anything shaped like an API key or a bearer token, in a text before it is printed or
stored (job errors and logs, CLI errors, generator errors).
"""

from __future__ import annotations

import re

MASK = "[redacted]"
_secrets: set[str] = set()
_SHAPES = re.compile(
    r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]{6,}"  # Authorization: Bearer <token>
    r"|\b(?:sk|pk|rk|api|key)-[A-Za-z0-9_-]{6,}"  # sk-..., the common key shape
    r"|(\b(?:api[_-]?key|access[_-]?token|secret|password|authorization)[\"']?\s*[:=]\s*[\"']?)"
    r"(?!bearer\b)[^\s\"',;}]{6,}"  # "api_key": "...", password=... (a bearer token: above)
)


def remember(value: str) -> None:
    """Mask this secret wherever it shows up from now on (short values would mask ordinary words)."""
    if value and len(value) >= 6:
        _secrets.add(value)


def redact(text: str) -> str:
    """`text` with every remembered secret and every key- or token-shaped string masked."""
    for value in sorted(_secrets, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return _SHAPES.sub(_mask, text)


def _mask(m: re.Match) -> str:
    prefix = m.group(1) or m.group(2) or ""
    return prefix + MASK
