"""The background job worker: ``python -m kgsynth.worker <workspace> <job_id>``.

Started by :func:`kgsynth.jobs.submit` in its own process group; SIGTERM (from ``cancel``) stops the
job at the next Python instruction and records it as cancelled.
"""

from __future__ import annotations

import os
import signal
import sys

from kgsynth.jobs import JobCancelled, execute
from kgsynth.progress import quiet_library_bars
from kgsynth.workspace import Workspace


def _on_sigterm(signum, frame) -> None:
    raise JobCancelled("worker received SIGTERM")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m kgsynth.worker <workspace> <job_id>", file=sys.stderr)
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    quiet_library_bars(sys.stdout)  # the worker writes to its log file
    signal.signal(signal.SIGTERM, _on_sigterm)
    ws = Workspace(args[0], create=False)
    print(f"worker pid {os.getpid()} running job {args[1]}", flush=True)
    try:
        job = execute(ws, args[1])
    finally:
        ws.close()
    print(f"job {job.id} {job.state.value}", flush=True)
    return 0 if job.state.value == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
