"""The job runner shared by the CLI and the UI: long stages run as catalog-tracked jobs.

A job kind is a function ``fn(ctx: JobContext, **params) -> dict`` registered with
``@job_kind("name")``; each stage registers its kinds in its ``jobs`` module, which the
``kgsynth.plugins`` entry point imports (see :func:`kgsynth.registry.load_plugins`). ``submit`` starts a detached worker process (``python -m kgsynth.worker
<workspace> <job_id>``, its own process group, output in ``<ws>/jobs/<job_id>.log``); ``run_inline``
runs in this process. Progress, logs, state and artefacts live in the workspace catalog, so any
process can watch a job. ``cancel`` raises a flag (and SIGTERMs a worker); ``refresh`` marks jobs
whose worker died as failed; ``resume`` re-runs a failed or cancelled job with the same params and
checkpoint directory (``<ws>/jobs/<job_id>/``), so the kind continues from its last checkpoint.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kgsynth.errors import JobError, KgsynthError
from kgsynth.redact import redact
from kgsynth.registry import Registry
from kgsynth.types import Job, JobState, utcnow
from kgsynth.workspace import Workspace

KindFn = Callable[..., dict]
JOB_KINDS: Registry[KindFn] = Registry("job_kinds")
TERMINAL = {JobState.succeeded, JobState.failed, JobState.cancelled}
_children: dict[str, subprocess.Popen] = {}


class JobCancelled(JobError):
    """Raised inside a job when its cancel flag is set (or its worker got SIGTERM)."""


def job_kind(name: str) -> Callable[[KindFn], KindFn]:
    """Register `fn(ctx, **params) -> dict` as the job kind `name`."""
    return JOB_KINDS.register(name)


def load_kinds() -> list[str]:
    """The registered kind names (each stage registers its own through the plugin entry point)."""
    return JOB_KINDS.names()


class JobContext:
    """What a running job sees: its workspace, record, checkpoint dir, progress and log sinks."""

    def __init__(
        self,
        ws: Workspace,
        job: Job,
        min_interval: float = 0.5,
        echo: Callable[[str], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ):
        self.ws = ws
        self.job = job
        self.echo = echo
        self.on_progress = on_progress
        self.checkpoint_dir = checkpoint_dir(ws, job.id)
        self._min_interval = min_interval
        self._last = 0.0
        self._published = 0.0

    def progress(self, done: int, total: int, message: str = "") -> None:
        """Record progress (throttled) and stop here if the job was cancelled; `on_progress`
        (a terminal bar, for a job run in the CLI) sees every call."""
        if self.on_progress:
            self.on_progress(done, total)
        now = time.monotonic()
        if now - self._last < self._min_interval and done < total:
            return
        self._last = now
        changes: dict[str, Any] = {"done": done, "total": total}
        if message:
            changes["message"] = message
        self.job = self.ws.catalog.update_job(self.job.id, **changes)
        self.check_cancelled()

    def publish(self, values: dict[str, Any]) -> None:
        """Show what the job has so far (e.g. a training history) as its result while it runs,
        at most every `min_interval` seconds; the result it returns replaces it."""
        now = time.monotonic()
        if now - self._published < self._min_interval:
            return
        self._published = now
        self.job = self.ws.catalog.update_job(self.job.id, result=values)

    def log(self, msg: str) -> None:
        self.ws.catalog.log(self.job.id, msg)
        if self.echo:
            self.echo(msg)

    def check_cancelled(self) -> None:
        if self.ws.catalog.cancel_requested(self.job.id):
            raise JobCancelled(f"job {self.job.id} was cancelled")

    def artifact(self, name: str, path: str | Path) -> None:
        """Record an output file or directory of this job."""
        arts = dict(self.job.artifacts) | {name: str(path)}
        self.job = self.ws.catalog.update_job(self.job.id, artifacts=arts)

    def path(self, p: str | Path) -> Path:
        """A user path: absolute as is; relative to the workspace if it exists there, else to cwd."""
        p = Path(p).expanduser()
        if p.is_absolute():
            return p
        return self.ws.path / p if (self.ws.path / p).exists() else p.resolve()


# ---------------------------------------------------------------- running


def checkpoint_dir(ws: Workspace, job_id: str) -> Path:
    d = ws.dir("jobs") / job_id
    d.mkdir(parents=True, exist_ok=True)
    return d


def log_file(ws: Workspace, job_id: str) -> Path:
    return ws.dir("jobs") / f"{job_id}.log"


def create_job(ws: Workspace, kind: str, params: dict | None = None) -> Job:
    """A queued job record (the kind must exist; params must be JSON-serialisable)."""
    load_kinds()
    JOB_KINDS.get(kind)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    job = Job(id=f"job-{stamp}-{uuid.uuid4().hex[:6]}", kind=kind, params=dict(params or {}))
    try:
        job.model_dump_json()
    except ValueError as e:
        if "surrogates not allowed" in str(e):  # a path from argv that is not UTF-8
            raise JobError(
                "a file name is not valid UTF-8 (made on another system?): rename it, or pass "
                "the folder that holds it"
            ) from e
        raise JobError(f"job params must be JSON values (strings, numbers, lists): {e}") from e
    job.artifacts["checkpoint_dir"] = str(checkpoint_dir(ws, job.id))
    ws.catalog.save_job(job)
    return job


def execute(
    ws: Workspace,
    job_id: str,
    echo: Callable[[str], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    reraise: bool = False,
) -> Job:
    """Run a job's kind in this process and record the outcome; returns the final record.
    `reraise` raises a failure after recording it (the CLI shows it as its own error)."""
    load_kinds()
    job = ws.catalog.update_job(
        job_id,
        state=JobState.running,
        pid=os.getpid(),
        started_at=utcnow(),
        finished_at=None,
        error=None,
    )
    ctx = JobContext(ws, job, echo=echo, on_progress=on_progress)
    ctx.log(f"started {job.kind} (pid {os.getpid()})")
    try:
        ctx.check_cancelled()
        result = JOB_KINDS.get(job.kind)(ctx, **job.params) or {}
    except JobCancelled:
        ctx.log("cancelled")
        return ws.catalog.update_job(job_id, state=JobState.cancelled, finished_at=utcnow())
    except KeyboardInterrupt:
        ctx.log("interrupted")
        ws.catalog.update_job(job_id, state=JobState.cancelled, finished_at=utcnow())
        raise
    except Exception as e:
        # the traceback goes to the job's log (`kgsynth jobs logs`), never to the terminal
        ws.catalog.log(job_id, redact(traceback.format_exc().rstrip()))
        msg = redact(str(e) if isinstance(e, KgsynthError) else f"{type(e).__name__}: {e}")
        failed = ws.catalog.update_job(
            job_id, state=JobState.failed, error=msg, finished_at=utcnow()
        )
        if reraise:
            raise
        return failed
    ctx.log("succeeded")
    job = ws.catalog.job(job_id)
    return ws.catalog.update_job(
        job_id,
        state=JobState.succeeded,
        result=result,
        done=max(job.done, job.total),
        finished_at=utcnow(),
    )


def run_inline(
    ws: Workspace,
    kind: str,
    params: dict | None = None,
    echo: Callable[[str], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    reraise: bool = False,
) -> Job:
    """Create a job and run it in this process (the CLI, tests, `--wait`): a job row like the
    app's. `echo` also gets its log lines, `on_progress` its progress; see :func:`execute`."""
    job = create_job(ws, kind, params)
    return execute(ws, job.id, echo=echo, on_progress=on_progress, reraise=reraise)


def _spawn(ws: Workspace, job: Job) -> Job:
    logf = log_file(ws, job.id)
    job = ws.catalog.update_job(job.id, artifacts=dict(job.artifacts) | {"log": str(logf)})
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    with logf.open("a") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kgsynth.worker", str(ws.path), job.id],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
    _children[job.id] = proc
    return ws.catalog.update_job(job.id, pid=proc.pid)


def submit(ws: Workspace, kind: str, params: dict | None = None) -> Job:
    """Create a job and start it in a detached background worker process."""
    return _spawn(ws, create_job(ws, kind, params))


# ---------------------------------------------------------------- control


def _is_worker(job: Job) -> bool:
    return "log" in job.artifacts


def is_alive(job: Job) -> bool:
    """Whether the process running `job` still exists (zombies and reused pids count as dead)."""
    if job.pid is None:
        return False
    proc = _children.get(job.id)
    if proc is not None and proc.pid == job.pid:
        return proc.poll() is None
    proc_dir = Path(f"/proc/{job.pid}")
    if Path("/proc/self").exists():
        try:
            stat = (proc_dir / "stat").read_text()
            cmdline = (proc_dir / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return False
        if stat.rsplit(")", 1)[-1].split()[0] == "Z":
            return False
        return job.id in cmdline if _is_worker(job) else True
    try:
        os.kill(job.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def log_tail(ws: Workspace, job: Job, lines: int = 20) -> str:
    """The last lines of a job's worker output (else of its catalog log)."""
    path = Path(job.artifacts.get("log", ""))
    if job.artifacts.get("log") and path.exists():
        text = path.read_text(errors="replace").strip()
        if text:
            return "\n".join(text.splitlines()[-lines:])
    return "\n".join(ws.catalog.logs(job.id, tail=lines))


def refresh(ws: Workspace) -> list[Job]:
    """Mark queued/running jobs whose process is gone as failed (with their log tail)."""
    changed = []
    for job in ws.catalog.jobs(limit=1000):
        if job.state in TERMINAL or job.pid is None or is_alive(job):
            continue
        tail = log_tail(ws, job)
        ws.catalog.log(job.id, f"worker process {job.pid} died; marked failed")
        changed.append(
            ws.catalog.update_job(
                job.id,
                state=JobState.failed,
                error=redact(f"worker process {job.pid} died without finishing; log tail:\n{tail}"),
                finished_at=utcnow(),
            )
        )
    return changed


def cancel(ws: Workspace, job_id: str, wait: float = 10.0) -> Job:
    """Ask a job to stop: set its flag, SIGTERM its worker, wait up to `wait` s for it to end."""
    job = ws.catalog.job(job_id)
    if job.state in TERMINAL:
        raise JobError(f"job {job_id} is already {job.state.value}; nothing to cancel")
    ws.catalog.set_cancel_requested(job_id)
    ws.catalog.log(job_id, "cancel requested")
    if is_alive(job) and _is_worker(job) and job.pid != os.getpid():
        with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
            os.killpg(job.pid, signal.SIGTERM)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and is_alive(job):
            time.sleep(0.1)
    job = ws.catalog.job(job_id)
    if job.state not in TERMINAL and not is_alive(job):
        job = ws.catalog.update_job(job_id, state=JobState.cancelled, finished_at=utcnow())
    return job


def resume(
    ws: Workspace,
    job_id: str,
    *,
    background: bool = True,
    echo: Callable[[str], None] | None = None,
) -> Job:
    """Re-run a failed or cancelled job with its params and checkpoint dir (same job id)."""
    refresh(ws)
    job = ws.catalog.job(job_id)
    if job.state not in (JobState.failed, JobState.cancelled):
        raise JobError(f"job {job_id} is {job.state.value}; only failed or cancelled jobs resume")
    ws.catalog.set_cancel_requested(job_id, False)
    ws.catalog.log(job_id, "resuming from its checkpoint directory")
    job = ws.catalog.update_job(
        job_id, state=JobState.queued, error=None, finished_at=None, pid=None, message="resuming"
    )
    return _spawn(ws, job) if background else execute(ws, job_id, echo=echo)


def wait(ws: Workspace, job_id: str, timeout: float = 600.0, poll: float = 0.2) -> Job:
    """Block until a job ends (refreshing dead workers); returns the final record."""
    deadline = time.monotonic() + timeout
    while True:
        job = ws.catalog.job(job_id)
        if job.state in TERMINAL:
            return job
        if job.pid is not None and not is_alive(job):
            refresh(ws)
            continue
        if time.monotonic() > deadline:
            raise JobError(f"job {job_id} still {job.state.value} after {timeout:.0f} s")
        time.sleep(poll)


def eta_seconds(job: Job) -> float | None:
    """Seconds left, extrapolated from progress since started_at (None when unknown)."""
    if job.state != JobState.running or not job.started_at or job.done <= 0 or not job.total:
        return None
    elapsed = (datetime.now(UTC) - datetime.fromisoformat(job.started_at)).total_seconds()
    return max(0.0, elapsed / job.done * (job.total - job.done))


# ---------------------------------------------------------------- built-in kinds


@job_kind("sleep_count")
def sleep_count(ctx: JobContext, n: int = 10, delay: float = 0.2) -> dict:
    """Count to `n`, one line per step in <checkpoint_dir>/count.txt (the checkpoint itself)."""
    path = ctx.checkpoint_dir / "count.txt"
    done = _complete_lines(path)
    resumed_from = len(done)
    with path.open("a") as f:
        for i in range(len(done) + 1, n + 1):
            ctx.check_cancelled()
            time.sleep(delay)
            f.write(f"{i}\n")
            f.flush()
            os.fsync(f.fileno())
            ctx.progress(i, n, f"counted {i}")
    ctx.artifact("count_file", path)
    return {"count_file": str(path), "steps": n, "resumed_from": resumed_from}


def _complete_lines(path: Path) -> list[str]:
    """Whole lines of a file; a torn last line (no newline) is cut off the file."""
    if not path.exists():
        return []
    text = path.read_text()
    keep = text[: text.rfind("\n") + 1]
    if keep != text:
        path.write_text(keep)
    return keep.splitlines()
