"""What a classification run will do, before it runs: the labels, the corpus it labels, and the
generation prompts it will send, built by the run's own prompt builder.

Labeling the whole corpus is the run's expensive part, so the preview does not do it. A run that
generates examples builds each prompt from a few sentences of a unit it labels most confidently; a
label's seeds found in the corpus are such units (confidence 1.0), so the preview builds each
label's prompt from its seeds with the run's sentence picker and prompt builder. A label without
seeds gets its prompt from the corpus passage nearest its description (the description-similarity
vote that ranks units for it). Which sentences the run picks, and from which of its top units, it
decides as it goes: the preview shows the kind of prompt, not the exact one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from kgsynth.embeddings import texts_lang
from kgsynth.generators.base import Prompt
from synth.classify_generate import generation_prompt
from synth.schema import LabelSchema, coerce_schema
from synth.tokens import estimate_tokens
from synth.units import sentences_of


@dataclass
class ClassifyPreview:
    schema: LabelSchema
    documents: int  # corpus documents the run labels
    sample: list[str]  # the first few of them
    prompts: dict[str, Prompt] = field(default_factory=dict)  # label -> a prompt like the run's
    unseeded: list[str] = field(default_factory=list)  # labels prompted from a nearest passage
    generated: int = 0  # examples the run will generate
    prompt_tokens: int = 0  # estimated prompt tokens of the whole generation


def preview_classification(
    ws,
    schema: LabelSchema | str | Path | dict,
    *,
    generated_per_label: int = 0,
    seed: int = 0,
    sample: int = 3,
) -> ClassifyPreview:
    """The preview of a ``build_classification`` run with these settings; nothing is stored."""
    schema = coerce_schema(schema)
    docs = [d.text for d in islice(ws.catalog.iter_documents(), sample)]
    out = ClassifyPreview(schema, ws.catalog.count("documents"), docs)
    if generated_per_label <= 0:
        return out
    lang = texts_lang([t for spec in schema.labels for t in spec.seeds] or docs)
    rng = random.Random(seed)
    for spec in schema.labels:
        facts = next((f for t in spec.seeds if (f := sentences_of(t, lang, 4, rng))), [])
        if not facts:
            out.unseeded.append(spec.name)
            about = f"{spec.name}: {spec.description}" if spec.description else spec.name
            facts = sentences_of(_nearest_passage(ws, about), lang, 4, rng)
        if facts:
            out.prompts[spec.name] = generation_prompt(
                schema.task, spec.name, spec.description, facts
            )
    out.generated = generated_per_label * len(schema.labels)
    if out.prompts:
        per_prompt = estimate_tokens(list(out.prompts.values())) / len(out.prompts)
        out.prompt_tokens = round(per_prompt * out.generated)
    return out


def _nearest_passage(ws, text: str) -> str:
    """The corpus chunk nearest `text` in the chunk index ("" for an empty corpus)."""
    from synth.index import ChunkIndex

    index = ChunkIndex.load_or_build(ws)
    for chunk_id, _ in index.dense(text, k=1) if len(index) else []:
        chunk = ws.catalog.chunk(chunk_id)
        if chunk is not None:
            return chunk.text
    return ""
