"""The ``model`` extractor: a language model reads each chunk and answers JSON triples.

Prompt building, lenient JSON parsing and evidence location are plain functions. Output that does not
parse is retried once with a repair prompt, then skipped and counted. Every triple must be grounded:
its subject and object are found in the chunk (case-insensitive) and the triple cites the sentence
holding them; a triple whose entities cannot be found is dropped and counted.
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from typing import Any

from kg.extract import EXTRACTORS, Extractor, Progress, mention, triple
from kgsynth.generators import Generator, Message, Prompt, make_generator
from kgsynth.text import split_sentences
from kgsynth.types import Chunk, Extraction, Mention, Triple

KEYS = ("subject", "subject_type", "predicate", "object", "object_type")
_ALIASES = {
    "head": "subject",
    "source": "subject",
    "relation": "predicate",
    "relationship": "predicate",
    "rel": "predicate",
    "tail": "object",
    "target": "object",
    "head_type": "subject_type",
    "tail_type": "object_type",
}
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)(?:```|$)", re.DOTALL)
_OBJECT = re.compile(r"\{[^{}]*\}")
BATCH = 8

INSTRUCTIONS = (
    "Extract the factual relations stated in the text as a JSON array. Each item is an object with"
    ' the keys "subject", "subject_type", "predicate", "object", "object_type". Copy entity names'
    " exactly as they are written in the text; the predicate is a short verb phrase in snake_case."
)
EXAMPLE = (
    'Text: Tim Cook is the chief executive of Apple.\nJSON: [{"subject": "Tim Cook",'
    ' "subject_type": "PERSON", "predicate": "chief_executive_of", "object": "Apple",'
    ' "object_type": "ORG"}]'
)
REPAIR = (
    "That answer was not a valid JSON array. Reply again with only the JSON array of objects with"
    ' keys "subject", "subject_type", "predicate", "object", "object_type" ([] if none).'
)


# ---------------------------------------------------------------- prompts


def schema_lines(schema: dict[str, Any] | None) -> list[str]:
    """Instructions that constrain entity types and relations to a user schema."""
    if not schema:
        return []
    lines = []
    types = schema.get("entity_types") or []
    if types:
        lines.append("Entity types (use only these): " + ", ".join(str(t) for t in types) + ".")
    relations = schema.get("relations") or []
    if isinstance(relations, dict):
        described = [f"{k} ({v})" if v else str(k) for k, v in relations.items()]
    else:
        described = [str(r) for r in relations]
    if described:
        lines.append("Predicates (use only these): " + ", ".join(described) + ".")
    return lines


def build_prompt(text: str, schema: dict[str, Any] | None = None) -> Prompt:
    """The extraction prompt for one chunk (greedy decoding: extraction should be repeatable)."""
    parts = [INSTRUCTIONS, *schema_lines(schema), "Reply with only the JSON array; [] if none."]
    parts += [EXAMPLE, f"Text: {text}\nJSON:"]
    return Prompt(
        messages=[Message(role="user", content="\n\n".join(parts))],
        temperature=0.0,
        template_id="extract.model",
    )


def repair_prompt(prompt: Prompt, bad_output: str) -> Prompt:
    """A follow-up turn asking for valid JSON after an unparseable answer."""
    messages = [
        *prompt.messages,
        Message(role="assistant", content=bad_output),
        Message(role="user", content=REPAIR),
    ]
    return prompt.model_copy(update={"messages": messages})


# ---------------------------------------------------------------- parsing


def _loads(s: str) -> Any:
    try:
        return json.loads(s)
    except ValueError:
        pass
    fixed = re.sub(r",\s*([\]}])", r"\1", s)  # trailing commas
    try:
        return json.loads(fixed)
    except ValueError:
        pass
    py = re.sub(
        r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", re.sub(r"\bnull\b", "None", fixed))
    )
    try:
        return ast.literal_eval(py)  # single quotes
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def _json_value(text: str) -> Any:
    """The first JSON value in the text: inside code fences, then before trailing text."""
    fence = _FENCE.search(text)
    if fence:
        text = fence.group(1)
    starts = [i for i in (text.find("["), text.find("{")) if i >= 0]
    if not starts:
        return None
    start = min(starts)
    ends = [m.start() for m in re.finditer(r"[\]}]", text[start:])]
    for end in reversed(ends[-30:]):
        value = _loads(text[start : start + end + 1])
        if value is not None:
            return value
    objects = [_loads(m.group(0)) for m in _OBJECT.finditer(text[start:])]  # truncated array
    objects = [o for o in objects if isinstance(o, dict)]
    return objects or None


def _triple_fields(item: Any) -> dict[str, str] | None:
    if isinstance(item, (list, tuple)):
        if len(item) == 3:
            item = {"subject": item[0], "predicate": item[1], "object": item[2]}
        elif len(item) == 5:
            item = dict(zip(KEYS, item, strict=True))
        else:
            return None
    if not isinstance(item, dict):
        return None
    fields: dict[str, str] = {}
    for key, value in item.items():
        k = str(key).strip().lower().replace(" ", "_")
        k = _ALIASES.get(k, k)
        if k in KEYS and isinstance(value, (str, int, float)) and k not in fields:
            fields[k] = str(value).strip()
    if not all(fields.get(k) for k in ("subject", "predicate", "object")):
        return None
    return fields


def parse_triples(output: str) -> list[dict[str, str]]:
    """Triples from a model answer; lenient about fences, trailing text and quotes.

    Raises ValueError when the answer holds no JSON or only items that are not triples."""
    value = _json_value(output)
    if value is None:
        raise ValueError("no JSON array or object in the answer")
    if isinstance(value, dict):
        inner = next((value[k] for k in ("triples", "relations", "facts") if k in value), None)
        value = inner if isinstance(inner, list) else [value]
    if not isinstance(value, list):
        raise ValueError(f"expected a JSON array, got {type(value).__name__}")
    triples = [t for t in (_triple_fields(item) for item in value) if t]
    if value and not triples:
        raise ValueError("no item has subject, predicate and object")
    return triples


def normalize_predicate(p: str) -> str:
    return re.sub(r"[^\w]+", "_", p.strip().lower()).strip("_")


def normalize_type(t: str | None) -> str:
    t = re.sub(r"[^\w]+", "_", (t or "").strip().upper()).strip("_")
    return t or "ENTITY"


# ---------------------------------------------------------------- evidence


def _occurrences(low: str, needle: str) -> list[int]:
    out, i = [], low.find(needle)
    while i >= 0:
        out.append(i)
        i = low.find(needle, i + 1)
    return out


def locate(
    text: str, subject: str, obj: str, lang: str = "en"
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]] | None:
    """Spans of subject, object and their sentence in the text (case-insensitive), or None."""
    low, s, o = text.lower(), subject.strip().lower(), obj.strip().lower()
    s_at, o_at = _occurrences(low, s), _occurrences(low, o)
    if not s or not o or not s_at or not o_at:
        return None
    sentences = split_sentences(text, lang) or [(0, len(text))]
    for a, b in sentences:
        si = next((i for i in s_at if a <= i and i + len(s) <= b), None)
        if si is None:
            continue
        disjoint = [i for i in o_at if i >= si + len(s) or i + len(o) <= si]
        oi = next((i for i in disjoint if a <= i and i + len(o) <= b), None)
        if oi is not None:
            return (si, si + len(s)), (oi, oi + len(o)), (a, b)
    si, oi = s_at[0], o_at[0]
    first, last = min(si, oi), max(si + len(s), oi + len(o))
    a = max((x for x, _ in sentences if x <= first), default=0)
    b = min((y for _, y in sentences if y >= last), default=len(text))
    return (si, si + len(s)), (oi, oi + len(o)), (a, b)


# ---------------------------------------------------------------- the extractor


@EXTRACTORS.register("model")
class ModelExtractor(Extractor):
    """LLM triples, grounded in the chunk; ``stats`` counts what was retried, skipped and dropped."""

    name = "model"
    langs = ("*",)

    def __init__(self, ws=None, generator: Generator | None = None):
        super().__init__(ws)
        ingest = ws.config.ingest if ws is not None else None
        self.schema = getattr(ingest, "model_schema", None)
        if generator is None:
            if ws is None:
                raise ValueError("ModelExtractor needs a workspace or a generator")
            generator = make_generator(ws, ingest.model_generator)
        self.generator = generator
        self.stats: Counter[str] = Counter()
        self.skipped: list[tuple[str, str]] = []  # (chunk_id, reason)

    def extract(self, chunks: list[Chunk], progress: Progress | None = None) -> list[Extraction]:
        out = []
        for start in range(0, len(chunks), BATCH):
            batch = chunks[start : start + BATCH]
            out += [
                self._extraction(c, t) for c, t in zip(batch, self._answers(batch), strict=True)
            ]
            if progress:
                progress(min(start + BATCH, len(chunks)), len(chunks))
        return out

    def _answers(self, chunks: list[Chunk]) -> list[list[dict[str, str]] | None]:
        """Parsed triples per chunk; unparseable answers are retried once, then None."""
        prompts = [build_prompt(c.text, self.schema) for c in chunks]
        texts = [c.text for c in self.generator.generate(prompts)]
        parsed: list[list[dict[str, str]] | None] = []
        retry: list[int] = []
        for i, text in enumerate(texts):
            try:
                parsed.append(parse_triples(text))
            except ValueError:
                parsed.append(None)
                retry.append(i)
        if retry:
            self.stats["retried"] += len(retry)
            again = self.generator.generate([repair_prompt(prompts[i], texts[i]) for i in retry])
            for i, completion in zip(retry, again, strict=True):
                try:
                    parsed[i] = parse_triples(completion.text)
                except ValueError as e:
                    self.stats["invalid_outputs"] += 1
                    self.skipped.append((chunks[i].id, f"invalid model output: {e}"))
        return parsed

    def _extraction(self, chunk: Chunk, items: list[dict[str, str]] | None) -> Extraction:
        self.stats["chunks"] += 1
        mentions: dict[str, Mention] = {}
        triples: dict[str, Triple] = {}
        for item in items or []:
            t = self._triple(chunk, item, mentions)
            if t is not None:
                triples[t.id] = t
        self.stats["triples"] += len(triples)
        return Extraction(
            chunk_id=chunk.id, mentions=list(mentions.values()), triples=list(triples.values())
        )

    def _triple(
        self, chunk: Chunk, item: dict[str, str], mentions: dict[str, Mention]
    ) -> Triple | None:
        predicate = normalize_predicate(item["predicate"])
        s_type, o_type = (
            normalize_type(item.get("subject_type")),
            normalize_type(item.get("object_type")),
        )
        if not self._allowed(predicate, s_type, o_type):
            self.stats["dropped_schema"] += 1
            return None
        if item["subject"].strip().lower() == item["object"].strip().lower() or not predicate:
            self.stats["dropped_invalid"] += 1
            return None
        found = locate(chunk.text, item["subject"], item["object"], chunk.lang)
        if found is None:
            self.stats["dropped_unlocated"] += 1
            return None
        (ss, se), (os_, oe), (a, b) = found
        subj = mention(chunk, ss, se, s_type, a, b)
        obj = mention(chunk, os_, oe, o_type, a, b)
        mentions.setdefault(subj.id, subj)
        mentions.setdefault(obj.id, obj)
        return triple(chunk, subj, predicate, obj, extractor=self.name)

    def _allowed(self, predicate: str, s_type: str, o_type: str) -> bool:
        if not self.schema:
            return True
        types = {normalize_type(t) for t in self.schema.get("entity_types") or []}
        relations = {normalize_predicate(str(r)) for r in self.schema.get("relations") or []}
        if types and (s_type not in types or o_type not in types):
            return False
        return not relations or predicate in relations
