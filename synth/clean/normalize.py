"""Unicode and whitespace normalization (NFKC, control characters, collapsed spaces)."""

from __future__ import annotations

from kgsynth.text import normalize_text
from kgsynth.types import Example
from synth.clean.base import FILTERS, CleanContext, Filter, Removed
from synth.versions import changed


@FILTERS.register("normalize")
class Normalize(Filter):
    """Normalize input and output text; drop examples left empty."""

    name = "normalize"
    rowwise = True

    def apply(self, examples: list[Example], ctx: CleanContext):
        kept, removed = [], []
        for e in examples:
            text = normalize_text(e.input)
            out = normalize_text(e.output) if e.output is not None else None
            if not text:
                removed.append(Removed(e, "empty: no text after normalization"))
                continue
            kept.append(changed(e, input=text, output=out))
        return kept, removed
