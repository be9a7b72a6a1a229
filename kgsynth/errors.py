"""The one exception hierarchy of kgsynth.

KgsynthError                 base; the CLI and the UI show its message as one line
├── ConfigError              a bad or missing setting, template or schema
├── InputError               bad user input: a file, a row, a field, a query
├── NotFoundError            an entity, dataset, job or model that does not exist
├── StoreError               the graph store failed (Neo4j unreachable, bad query)
├── GeneratorError           a generator or its server failed
├── JobError                 a job could not be started, cancelled or resumed
├── EngineError              the execution engine (a Ray cluster) is unreachable or a batch failed
├── WorkspaceError           the workspace cannot be written now: read-only, disk full, or another
│                            process (named in the message) is writing it
└── MissingDependencyError   an optional package is not installed (says what to install)
"""

from __future__ import annotations


class KgsynthError(Exception):
    """Base class: the message says what went wrong and how to fix it."""


class ConfigError(KgsynthError):
    pass


class InputError(KgsynthError):
    pass


class NotFoundError(KgsynthError):
    pass


class StoreError(KgsynthError):
    pass


class GeneratorError(KgsynthError):
    pass


class JobError(KgsynthError):
    pass


class EngineError(KgsynthError):
    pass


class WorkspaceError(KgsynthError):
    pass


class MissingDependencyError(KgsynthError):
    """`package` (what it provides, if given) is missing; the message says what to install."""

    def __init__(self, package: str, extra: str | None = None, provides: str | None = None):
        hint = f"pip install 'kgsynth[{extra}]'" if extra else f"pip install {package}"
        what = f"{package} ({provides})" if provides else package
        super().__init__(f"{what} is not installed; install it with: {hint}")
        self.package = package


def require(module: str, extra: str | None = None):
    """Import an optional dependency or fail with an install hint."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingDependencyError(module.split(".")[0], extra) from e
