"""The execution engine: where the corpus-sized stages run their batch work (local or a Ray cluster).

A stage hands the engine a :class:`Work` (a picklable batch function) and its items; the engine
runs ``work.run(batch)`` over them and hands the results back to the caller, batch by batch and in
input order, so the caller (the driver) stays the single writer that commits them to the graph
store and the catalog. ``local`` runs the batches in this process; ``ray`` (:mod:`kgsynth.ray_engine`)
runs them as a Ray Data pipeline on a cluster, each worker building its model once in ``setup``.

The engine is chosen by ``engine = "local" | "ray"`` in kgsynth.toml, ``$KGSYNTH_ENGINE`` or the
CLI's ``--engine``; the Ray address by ``[ray] address``, ``$KGSYNTH_RAY_ADDRESS`` or ``--ray-address``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from kgsynth.errors import EngineError
from kgsynth.registry import Registry

Progress = Callable[[int, int], None]


class Work(ABC):
    """A batch function an engine runs: ``setup`` once per worker, then ``run`` per batch.

    Instances are pickled to Ray workers, so they hold settings (paths, configs), never a loaded
    model: load models in ``setup``. ``run`` must return one result per item, in order, and must not
    write to the workspace (the driver commits what it returns).
    """

    num_cpus: float = 1.0  # CPUs one Ray worker of this work reserves
    # A call with fewer items runs in the driver even on a cluster: launching a pipeline (actors
    # starting, models loading) costs seconds, more than cheap work on a few items.
    local_below: int = 0

    def setup(self, ws: Any) -> None:
        """Load what every batch needs (a model, a pipeline). `ws` is the workspace (local engine)
        or a WorkerView of it (a Ray worker); read its config, never write to it."""

    @abstractmethod
    def run(self, items: list) -> list:
        """One result per item, in the order given."""


@dataclass
class WorkerView:
    """What a Ray worker sees of the workspace: its configuration, no catalog and no store, and
    how many workers run the same work (a server's limits are shared out among them)."""

    config: Any  # kgsynth.config.Config
    catalog: None = None
    workers: int = 1


@dataclass
class Batch:
    """One batch's outcome: its results, or the error that stopped it (``results`` is then None).

    ``exception`` is the error itself when the batch ran in this process (a Ray batch sends only
    the message), so a caller can re-raise it unchanged."""

    index: int
    items: list
    results: list | None = None
    error: str | None = None
    exception: Exception | None = None

    def raise_error(self) -> None:
        """Re-raise this batch's exception (else an EngineError with its message)."""
        if self.exception is not None:
            raise self.exception
        raise EngineError(f"engine batch {self.index} failed: {self.error}")


class Engine(ABC):
    """Runs :class:`Work` over items in batches and yields each :class:`Batch` in input order."""

    name: str = ""

    def __init__(self, ws: Any):
        self.ws = ws  # the kgsynth.workspace.Workspace the engine runs stages for

    @property
    def workers(self) -> int:
        """How many batches run at once."""
        return 1

    def task_size(self, n: int) -> int:
        """Items per batch for a caller that would process `n` at once in one process."""
        return max(1, n)

    @abstractmethod
    def batches(
        self, work: Work, items: Sequence, *, batch_size: int, progress: Progress | None = None
    ) -> Iterator[Batch]:
        """Run `work` over `items` in batches of `batch_size`; yield them in input order."""

    def map(
        self, work: Work, items: Sequence, *, batch_size: int, progress: Progress | None = None
    ) -> list:
        """Every item's result in input order; the first failed batch raises its error."""
        out: list = []
        for batch in self.batches(work, items, batch_size=batch_size, progress=progress):
            if batch.error is not None:
                batch.raise_error()
            out += batch.results or []
        return out

    def close(self) -> None:
        """Release the connection to the cluster, if any."""


ENGINES: Registry[type[Engine]] = Registry("engines")


def open_engine(ws: Any) -> Engine:
    """The engine the workspace's config names (``local`` unless configured otherwise)."""
    return ENGINES.get(ws.config.engine)(ws)


def batched(items: Sequence, size: int) -> list[list]:
    """Consecutive slices of `items` of at most `size` (size < 1 counts as 1)."""
    size = max(1, size)
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def run_batch(work: Work, index: int, items: list) -> Batch:
    """Run one batch, turning an exception into the batch's error (so one bad batch is reported,
    not fatal to the others); a wrong number of results is an error too."""
    try:
        results = work.run(items)
    except Exception as e:  # reported to the driver, which applies the stage's on_error
        return Batch(index, items, error=f"{type(e).__name__}: {e}", exception=e)
    if len(results) != len(items):
        error = f"{type(work).__name__}.run returned {len(results)} results for {len(items)} items"
        return Batch(index, items, error=error)
    return Batch(index, items, results=list(results))


@ENGINES.register("local")
class LocalEngine(Engine):
    """Runs every batch in this process, one after the other (the default; needs no Ray)."""

    name = "local"

    def batches(
        self, work: Work, items: Sequence, *, batch_size: int, progress: Progress | None = None
    ) -> Iterator[Batch]:
        if not items:
            return
        work.setup(self.ws)
        done, total = 0, len(items)
        for index, part in enumerate(batched(items, batch_size)):
            batch = run_batch(work, index, part)
            done += len(part)
            if progress:
                progress(done, total)
            yield batch
