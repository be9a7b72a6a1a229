"""The workspace write lock: one process writes a workspace's graph at a time.

An ingest holds it from reading which documents changed until its last batch is in the graph, so two
ingests into one workspace cannot interleave (each would resolve against a graph the other is
rewriting). A second writer fails at once with one line naming the holder (a job id, else a pid);
``wait`` seconds lets it wait its turn instead. The lock is an ``flock`` on ``<workspace>/.write.lock``:
the kernel drops it when its process dies, even by SIGKILL, so a crash never leaves it stuck.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kgsynth.errors import WorkspaceError
from kgsynth.types import utcnow

LOCK_FILE = ".write.lock"


@contextmanager
def write_lock(workspace: Path, holder: str, wait: float = 0.0) -> Iterator[None]:
    """Hold the workspace's write lock for the block; `holder` says who (e.g. "job job-…")."""
    path = Path(workspace) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise WorkspaceError(f"cannot write to the workspace {workspace}: {e.strerror or e}") from e
    try:
        _acquire(fd, path, wait)
        info = {"holder": holder, "pid": os.getpid(), "since": utcnow()}
        with contextlib.suppress(OSError):  # the note is informative; the flock is the lock
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise WorkspaceError(busy_message(path)) from None
            time.sleep(0.2)
        except OSError as e:
            raise WorkspaceError(f"cannot lock {path}: {e.strerror or e}") from e


def busy_message(path: Path) -> str:
    """One line naming the process that holds the lock and how to get past it."""
    who = holder(path)
    workspace = path.parent
    if who is None:
        return f"another process is writing the workspace {workspace}; retry when it is done"
    text = f"{who.get('holder', 'a process')} (pid {who.get('pid', '?')}, since {who.get('since', '?')})"
    hint = "wait for it to finish"
    if str(who.get("holder", "")).startswith("job "):
        job = who["holder"].split()[1]
        hint += f" (kgsynth jobs show {job}) or cancel it (kgsynth jobs cancel {job})"
    return f"the workspace {workspace} is being written by {text}; {hint}"


def holder(path: Path) -> dict | None:
    """What the lock file says about its holder (None when unreadable or empty)."""
    try:
        data = json.loads(path.read_text() or "null")
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
