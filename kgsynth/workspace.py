"""A workspace: the directory that holds everything of one project.

    <workspace>/kgsynth.toml     configuration (optional; defaults apply)
    <workspace>/catalog.sqlite   documents, chunks, extractions, datasets, reviews, jobs, cache
    <workspace>/graph/           the embedded graph store
    <workspace>/exports/         dataset exports
    <workspace>/runs/            fine-tuning runs and reports
    <workspace>/templates/       user templates overriding the packaged ones

Chosen by ``--workspace`` or ``KGSYNTH_WORKSPACE`` (default ``./workspace``).
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from kgsynth.catalog import Catalog
from kgsynth.config import Config, load_config

DEFAULT_WORKSPACE = "workspace"


class Workspace:
    def __init__(self, path: Path | str, config: Config | None = None):
        self.path = Path(path).expanduser().resolve()
        self.path.mkdir(parents=True, exist_ok=True)
        self.config = config or load_config(self.path)

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.path / "catalog.sqlite")

    @cached_property
    def store(self):
        from kgsynth.store import open_store

        return open_store(self.config.store, self.path)

    @cached_property
    def engine(self):
        """Where the heavy stages run (config ``engine``: local by default, or a Ray cluster)."""
        from kgsynth import ray_engine  # noqa: F401  (registers "ray"; imports ray only when used)
        from kgsynth.engine import open_engine

        return open_engine(self)

    def dir(self, name: str) -> Path:
        """A subdirectory of the workspace, created on first use."""
        d = self.path / name
        d.mkdir(parents=True, exist_ok=True)
        return d

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.close()
            del self.__dict__["engine"]
        if "store" in self.__dict__:
            self.store.close()
            del self.__dict__["store"]
        if "catalog" in self.__dict__:
            self.catalog.close()
            del self.__dict__["catalog"]

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_workspace(
    path: Path | str | None = None,
    store: str | None = None,
    engine: str | None = None,
    ray_address: str | None = None,
) -> Workspace:
    """Open the workspace at `path`, else $KGSYNTH_WORKSPACE, else ./workspace; the other
    arguments override the config's graph store, engine and Ray address."""
    path = path or os.environ.get("KGSYNTH_WORKSPACE") or DEFAULT_WORKSPACE
    ws = Workspace(path)
    if store:
        ws.config.store.kind = store
    if engine:
        ws.config.engine = engine
    if ray_address:
        ws.config.ray.address = ray_address
    return ws
