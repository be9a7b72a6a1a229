"""The Ray engine: a stage's batch work as a Ray Data pipeline on a Ray cluster (``engine = "ray"``).

Each call turns the batches into one Ray Dataset (one row per batch, its items pickled), maps a
pool of actors over it (``map_batches`` with a callable class: every actor unpickles the Work and
runs its ``setup`` once, so a model loads once per worker, not per batch) and streams the results
back to the driver, which hands them on in input order. Ray restarts an actor that dies and retries
its batch; the driver keeps one result per batch index, so a retried batch is never counted twice.

Workers import kgsynth, so every node runs the same kgsynth (the compose image, or the same
virtual environment); they never open the workspace: the driver commits everything they return.
"""

from __future__ import annotations

import logging
import math
import os
import pickle
import socket
from collections.abc import Iterator, Sequence

import numpy as np

from kgsynth.engine import (
    ENGINES,
    Batch,
    Engine,
    LocalEngine,
    Progress,
    Work,
    WorkerView,
    batched,
    run_batch,
)
from kgsynth.errors import EngineError, require

# Passed from the driver to the workers: offline model loading must hold on every node.
PASSED_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_UPDATE_CHECK")


@ENGINES.register("ray")
class RayEngine(Engine):
    """Runs batches on the Ray cluster at ``[ray] address`` (connects on first use)."""

    name = "ray"

    def __init__(self, ws):
        super().__init__(ws)
        self._ray = None
        self._started_here = False
        self.small_work_here = True  # False: every call goes to the cluster (tests)

    # ------------------------------------------------------------ the cluster

    def connect(self):
        """The ``ray`` module, connected to the configured cluster."""
        if self._ray is not None:
            return self._ray
        ray = require("ray", extra="ray")
        require("ray.data", extra="ray")
        if not ray.is_initialized():
            self._init(ray)
            self._started_here = True
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the stage reports progress itself
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # failures raise; no chatter
        self._ray = ray
        return ray

    def _init(self, ray) -> None:
        cfg = self.ws.config.ray
        env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
        options = {
            "logging_level": logging.WARNING,
            "log_to_driver": False,
            "namespace": "kgsynth",
            "runtime_env": {"env_vars": env} if env else None,
        }
        if cfg.address == "local":
            options |= {"num_cpus": cfg.num_cpus, "include_dashboard": False}
        address = None if cfg.address == "local" else cfg.address
        try:
            _probe(cfg.address)
            ray.init(address=address, **options)
        except (ConnectionError, RuntimeError, ValueError, OSError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else e
            raise EngineError(
                f"cannot reach the Ray cluster at {cfg.address!r} ({reason}); start one with"
                " `ray start --head`, or set [ray] address, $KGSYNTH_RAY_ADDRESS or --ray-address"
            ) from e

    @property
    def workers(self) -> int:
        configured = self.ws.config.ray.workers
        if configured:
            return configured
        cpus = self.connect().cluster_resources().get("CPU", 1)
        return max(1, int(cpus))

    def task_size(self, n: int) -> int:
        """Two batches per worker, so a slow batch does not leave the others idle."""
        return max(1, math.ceil(n / (2 * self.workers)))

    def close(self) -> None:
        if self._ray is not None and self._started_here:
            self._ray.shutdown()
        self._ray, self._started_here = None, False

    # ------------------------------------------------------------ running work

    def batches(
        self, work: Work, items: Sequence, *, batch_size: int, progress: Progress | None = None
    ) -> Iterator[Batch]:
        if self.small_work_here and len(items) < work.local_below:
            yield from LocalEngine(self.ws).batches(
                work, items, batch_size=batch_size, progress=progress
            )
            return
        parts = batched(items, batch_size)
        if not parts:
            return
        ray = self.connect()
        workers = max(1, min(int(self.workers // max(work.num_cpus, 1e-9)), len(parts)))
        rows = [{"index": k, "payload": pickle.dumps(p)} for k, p in enumerate(parts)]
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            _Worker,
            fn_constructor_args=(_dumps(work), self.ws.config, workers),
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=work.num_cpus,
        )
        yield from _in_order(ray, dataset.iter_rows(), parts, progress)


def _probe(address: str, timeout: float = 5.0) -> None:
    """Fail fast when nothing listens at a "host:port" address (ray.init would retry forever)."""
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return
    with socket.create_connection((host, int(port)), timeout=timeout):
        pass


def _dumps(work: Work) -> bytes:
    import cloudpickle  # Ray's own dependency; pickles Work classes defined in tests and scripts

    return cloudpickle.dumps(work)


def _in_order(ray, rows, parts: list[list], progress: Progress | None) -> Iterator[Batch]:
    """Batches in index order as their results arrive (the first result of a batch counts)."""
    waiting: dict[int, Batch] = {}
    next_index, done, total = 0, 0, sum(len(p) for p in parts)
    try:
        for row in rows:
            index = int(row["index"])
            if index < next_index or index in waiting:
                continue
            results, error = pickle.loads(row["payload"])
            waiting[index] = Batch(index, parts[index], results, error)
            done += len(parts[index])
            if progress:
                progress(done, total)
            while next_index in waiting:
                yield waiting.pop(next_index)
                next_index += 1
    except ray.exceptions.RayError as e:
        raise EngineError(f"the Ray pipeline failed: {_first_line(e)}") from e
    if next_index != len(parts):
        raise EngineError(f"the Ray pipeline returned {next_index} of {len(parts)} batches")


def _first_line(e: Exception) -> str:
    lines = [line for line in str(e).splitlines() if line.strip()]
    return lines[-1] if lines else type(e).__name__


class _Worker:
    """One Ray actor: builds the Work once, then runs every batch it is given."""

    def __init__(self, work: bytes, config, workers: int):
        self.work: Work = pickle.loads(work)
        self.work.setup(WorkerView(config, workers=workers))

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = []
        for index, payload in zip(batch["index"], batch["payload"], strict=True):
            done = run_batch(self.work, int(index), pickle.loads(payload))
            out.append(pickle.dumps((done.results, done.error)))
        return {"index": batch["index"], "payload": np.array(out, dtype=object)}
