"""Label schemas for classification sets: the expert's only input besides the corpus.

A schema is YAML::

    task: news topic
    labels:
      - name: sport
        description: Matches, players, clubs, tournaments and results.
        keywords: [football, tennis]      # optional
        seeds: ["Chelsea beat Arsenal 2-0 ..."]   # optional real examples

``labels`` may also be a mapping ``{name: description}`` or ``{name: {description: ...}}``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from kgsynth.errors import ConfigError
from kgsynth.types import Record


class LabelSpec(Record):
    name: str
    description: str = ""
    keywords: list[str] = Field(default_factory=list)
    seeds: list[str] = Field(default_factory=list)


class LabelSchema(Record):
    task: str = ""
    labels: list[LabelSpec] = Field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [label.name for label in self.labels]

    def label(self, name: str) -> LabelSpec:
        for spec in self.labels:
            if spec.name == name:
                return spec
        raise ConfigError(f"label {name!r} is not in the schema; labels: {', '.join(self.names)}")

    def with_seeds(self, seeds: dict[str, list[str]]) -> LabelSchema:
        """A copy with extra seed texts per label appended (unknown labels are an error)."""
        labels = []
        for spec in self.labels:
            extra = [s for s in seeds.get(spec.name, []) if s not in spec.seeds]
            labels.append(spec.model_copy(update={"seeds": spec.seeds + extra}))
        unknown = set(seeds) - set(self.names)
        if unknown:
            raise ConfigError(f"seeds for unknown labels: {', '.join(sorted(unknown))}")
        return self.model_copy(update={"labels": labels})


def load_schema(path: str | Path) -> LabelSchema:
    """Read and validate a YAML label schema; errors are one line naming the file and field."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: label schema file not found")
    return schema_from_text(path.read_text(encoding="utf-8"), source=str(path))


def schema_from_text(text: str, source: str = "label schema") -> LabelSchema:
    """Read and validate a label schema written as YAML (a file's text, the app's editor)."""
    import yaml

    try:
        data = yaml.safe_load(text or "")
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError(f"{source}:{where}: invalid YAML: {problem}") from e
    return parse_schema(data, source=source)


def save_schema(ws, text: str, name: str = "schema") -> Path:
    """Validate a YAML schema and keep it as <workspace>/schemas/<name>.yaml, where a job (and a
    re-run) reads it; returns the path."""
    schema_from_text(text)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name or "schema").strip("-.") or "schema"
    path = ws.dir("schemas") / f"{stem}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def workspace_schema_text(ws) -> str | None:
    """This workspace's label schema as YAML: its newest saved schema, else the schema of its
    newest classification set; None for a project that has neither (never another project's)."""
    import yaml

    saved = sorted(ws.dir("schemas").glob("*.yaml"), key=lambda p: p.stat().st_mtime)
    if saved:
        return saved[-1].read_text(encoding="utf-8")
    for v in reversed(ws.catalog.datasets()):
        schema = v.params.get("schema")
        if isinstance(schema, dict) and schema.get("labels"):
            return yaml.safe_dump(schema, sort_keys=False, allow_unicode=True)
    return None


def parse_schema(data: Any, source: str = "schema") -> LabelSchema:
    """Validate a schema given as plain data (a dict parsed from YAML or JSON)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping with a 'labels' field")
    if "labels" not in data:
        raise ConfigError(f"{source}: labels: missing (list the labels with name and description)")
    data = {**data, "labels": _label_list(data["labels"], source)}
    try:
        schema = LabelSchema.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        raise ConfigError(f"{source}: {_where(first['loc'], data)}: {first['msg']}") from e
    _check(schema, source)
    return schema


def _label_list(labels: Any, source: str) -> list:
    if isinstance(labels, dict):  # {name: description} or {name: {description: ...}}
        out = []
        for name, value in labels.items():
            if isinstance(value, dict):
                out.append({"name": name, **value})
            else:
                out.append({"name": name, "description": "" if value is None else value})
        return out
    if not isinstance(labels, list):
        raise ConfigError(f"{source}: labels: expected a list of labels")
    return [{"name": x} if isinstance(x, str) else x for x in labels]


def _where(loc: tuple, data: dict) -> str:
    parts = [str(p) for p in loc]
    if len(loc) >= 2 and loc[0] == "labels" and isinstance(loc[1], int):
        try:
            name = data["labels"][loc[1]].get("name")
        except (IndexError, AttributeError):
            name = None
        if name:
            parts[1] = f"{loc[1]}({name})"
    return ".".join(parts)


def _check(schema: LabelSchema, source: str) -> None:
    if len(schema.labels) < 2:
        raise ConfigError(f"{source}: labels: a classification schema needs at least 2 labels")
    seen: set[str] = set()
    for i, spec in enumerate(schema.labels):
        if not spec.name.strip():
            raise ConfigError(f"{source}: labels.{i}.name: empty label name")
        if spec.name in seen:
            raise ConfigError(f"{source}: labels.{i}.name: duplicate label {spec.name!r}")
        seen.add(spec.name)
        if any(not s.strip() for s in spec.seeds):
            raise ConfigError(f"{source}: labels.{i}({spec.name}).seeds: empty seed text")


def terse_labels(schema: LabelSchema) -> list[str]:
    """Labels with no description whose name says little: one short word, a code or an acronym."""
    out = []
    for spec in schema.labels:
        if spec.description.strip():
            continue
        name = spec.name.strip()
        parts = [p for p in re.split(r"[\s_.:/-]+", name) if p]
        code = any(ch.isdigit() for ch in name) or not re.search(r"[aeiouy]", name.lower())
        if len(parts) <= 1 and (len(name) <= 4 or code or name.isupper()):
            out.append(spec.name)
    return out


def schema_warnings(schema: LabelSchema) -> list[str]:
    """One line per problem a user can fix before building a set (empty when none)."""
    lines = []
    terse = terse_labels(schema)
    if terse:
        lines.append(
            f"labels {', '.join(terse)} have short names and no description: kgsynth learns them"
            " from their seeds alone; add a one-line description (the app's Synthesize tab"
            " suggests some from the seeds)"
        )
    unseeded = [spec.name for spec in schema.labels if not spec.seeds]
    if unseeded:
        lines.append(
            f"labels {', '.join(unseeded)} have no seed examples: only their names and"
            " descriptions label the corpus; add a few real examples each"
        )
    return lines


def coerce_schema(schema: LabelSchema | str | Path | dict) -> LabelSchema:
    """Accept a LabelSchema, a YAML path or plain data."""
    if isinstance(schema, LabelSchema):
        _check(schema, "schema")
        return schema
    if isinstance(schema, dict):
        return parse_schema(schema)
    return load_schema(schema)
