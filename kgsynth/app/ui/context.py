"""What every tab shares: the open workspace, job submission, and turning errors into one line."""

from __future__ import annotations

import functools
import html
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from kgsynth.errors import KgsynthError
from kgsynth.types import Job, JobState
from kgsynth.workspace import Workspace, open_workspace

F = TypeVar("F", bound=Callable[..., Any])
FINISHED = {JobState.succeeded, JobState.failed, JobState.cancelled}


@dataclass
class Hooks:
    """What a tab runs when it is opened (and on page load) or left: (fn, inputs, outputs) each."""

    on_open: list[tuple[Callable, list, list]] = field(default_factory=list)
    on_leave: list[tuple[Callable, list, list]] = field(default_factory=list)


class UIContext:
    """The workspace the app works on; it can be switched from the Settings tab."""

    def __init__(self, workspace: str | Path | None = None, store: str | None = None):
        self._path = workspace
        self._store_kind = store
        self._ws: Workspace | None = None
        self._lock = threading.RLock()
        self._store_stamp: str | None = None

    @property
    def ws(self) -> Workspace:
        with self._lock:
            if self._ws is None:
                self._ws = open_workspace(self._path, store=self._store_kind)
            return self._ws

    def switch(self, path: str | Path, store: str | None = None) -> Workspace:
        """Open another workspace (or re-open this one after its config changed)."""
        with self._lock:
            old, self._ws = self._ws, None
            self._path, self._store_kind, self._store_stamp = path, store, None
            if old is not None:
                old.close()
            return self.ws

    def store(self):
        """The graph store, re-opened after an ingest job (a worker process) changed the graph."""
        ws = self.ws
        stamp = self._graph_stamp(ws)
        with self._lock:
            if stamp != self._store_stamp and "store" in ws.__dict__:
                ws.__dict__.pop("store").close()
            self._store_stamp = stamp
            return ws.store

    @staticmethod
    def _graph_stamp(ws: Workspace) -> str:
        done = [
            j.finished_at or ""
            for j in ws.catalog.jobs(limit=200)
            if j.kind == "ingest" and j.state == JobState.succeeded
        ]
        return max(done, default="")

    def submit(self, kind: str, params: dict[str, Any]) -> Job:
        """Start a job in the background worker (kgsynth.jobs)."""
        from kgsynth import jobs

        return jobs.submit(self.ws, kind, params)

    def job(self, job_id: str) -> Job:
        return self.ws.catalog.job(job_id)

    def versions(self) -> list[tuple[str, str]]:
        """Dataset versions as dropdown choices (label, id), newest first."""
        return [
            (f"{v.name} · {v.stage} · {v.count} ex · {v.id[:10]}", v.id)
            for v in reversed(self.ws.catalog.datasets())
        ]


def friendly(fn: F) -> F:
    """Show a KgsynthError as one readable line in the app instead of a traceback."""
    import gradio as gr

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except KgsynthError as e:
            raise gr.Error(html.escape(str(e)), print_exception=False) from e

    return wrapper  # type: ignore[return-value]
