"""A workspace: the directory that holds everything of one project.

    <workspace>/kgsynth.toml     configuration (optional; defaults apply)
    <workspace>/catalog.sqlite   documents, chunks, extractions, datasets, reviews, jobs, cache
    <workspace>/graph/           the embedded graph store
    <workspace>/exports/         dataset exports
    <workspace>/runs/            fine-tuning runs and reports
    <workspace>/templates/       user templates overriding the packaged ones

Chosen by ``--workspace`` or ``KGSYNTH_WORKSPACE`` (default ``./workspace``). Opening one that
does not exist creates it (with a commented kgsynth.toml) only when asked to: reading commands pass
``create=False`` and fail with a hint instead, and a workspace is never created under a missing folder.
"""

from __future__ import annotations

import contextlib
import os
from functools import cached_property
from pathlib import Path

from kgsynth.catalog import Catalog
from kgsynth.config import CONFIG_FILE, Config, load_config
from kgsynth.config_template import write_template
from kgsynth.errors import NotFoundError, WorkspaceError

DEFAULT_WORKSPACE = "workspace"
CATALOG_FILE = "catalog.sqlite"


def is_workspace(path: Path) -> bool:
    """Whether `path` holds a workspace (its catalog or its config)."""
    return (path / CATALOG_FILE).is_file() or (path / CONFIG_FILE).is_file()


class Workspace:
    """One project's folder. `create=False` refuses to make a new one (reading commands)."""

    def __init__(self, path: Path | str, config: Config | None = None, *, create: bool = True):
        self.path = Path(path).expanduser().resolve()
        self.created = False
        if not is_workspace(self.path):
            if not create:
                raise NotFoundError(
                    f"no workspace at {self.path}: start one by ingesting documents"
                    " (`kgsynth -w PATH ingest FILES`), or point -w / $KGSYNTH_WORKSPACE at one"
                )
            self.created = _create(self.path)
        elif create and not (self.path / CONFIG_FILE).exists():
            _write_config(self.path)  # a workspace from before kgsynth.toml was written
        self.config = config or load_config(self.path)

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.path / CATALOG_FILE)

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


def _create(path: Path) -> bool:
    """Make a new workspace folder (its parent must exist) with a commented kgsynth.toml."""
    if path.exists() and not path.is_dir():
        raise WorkspaceError(f"cannot use {path} as a workspace: it is a file")
    if not path.parent.is_dir():
        raise WorkspaceError(
            f"cannot create the workspace {path}: the folder {path.parent} does not exist;"
            " create it first or choose another -w"
        )
    try:
        path.mkdir(exist_ok=True)
        write_template(path)
    except OSError as e:
        raise WorkspaceError(f"cannot create the workspace {path}: {e.strerror or e}") from e
    return True


def _write_config(path: Path) -> None:
    with contextlib.suppress(OSError):  # a convenience: a read-only workspace still opens
        write_template(path)


def open_workspace(
    path: Path | str | None = None,
    store: str | None = None,
    engine: str | None = None,
    ray_address: str | None = None,
    *,
    create: bool = True,
) -> Workspace:
    """Open the workspace at `path`, else $KGSYNTH_WORKSPACE, else ./workspace; the other
    arguments override the config's graph store, engine and Ray address. With `create=False` a
    missing workspace is an error instead of a new, empty one."""
    path = path or os.environ.get("KGSYNTH_WORKSPACE") or DEFAULT_WORKSPACE
    ws = Workspace(path, create=create)
    if store:
        ws.config.store.kind = store
    if engine:
        ws.config.engine = engine
    if ray_address:
        ws.config.ray.address = ray_address
    return ws
