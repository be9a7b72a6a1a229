"""Stable content-hash ids: the same content always gets the same id."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def content_id(*parts: Any, prefix: str = "", length: int = 16) -> str:
    """Hash any JSON-serialisable parts into a short stable id, e.g. ``doc_3f2a…``."""
    payload = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()[:length]
    return f"{prefix}{digest}" if prefix else digest
