"""Progress for long steps: a live bar on a terminal, plain periodic lines anywhere else.

A progress callback is ``fn(done, total)``; every long library function takes one, and the CLI passes
:func:`progress_bar`. In a log file a redrawn bar is carriage-return noise, so when the stream is not
a terminal the callback writes one line at most every ``every_s`` seconds, and a last one at the end.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import IO

Progress = Callable[[int, int], None]


def progress_bar(label: str, stream: IO[str] | None = None, every_s: float = 10.0) -> Progress:
    """A progress callback for `label`: a tqdm bar on a terminal, else plain lines."""
    stream = stream or sys.stderr
    if _is_terminal(stream):
        return _tqdm_bar(label, stream)
    return _line_printer(label, stream, every_s)


def quiet_library_bars(stream: IO[str]) -> None:
    """Off a terminal, turn off the tqdm bars of the libraries underneath (model loading in
    transformers, Hugging Face downloads, the Trainer): they would be carriage-return noise in a
    log. Environment variables are those libraries' own switch, read when they start a bar."""
    if not _is_terminal(stream):
        os.environ.setdefault("TQDM_DISABLE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _is_terminal(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _tqdm_bar(label: str, stream: IO[str]) -> Progress:
    from tqdm import tqdm

    bar: tqdm | None = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=label, leave=False, file=stream)
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def _line_printer(label: str, stream: IO[str], every_s: float) -> Progress:
    started = time.monotonic()
    last = -every_s
    finished = False

    def update(done: int, total: int) -> None:
        nonlocal last, finished
        now = time.monotonic()
        end = total > 0 and done >= total
        if finished or (now - last < every_s and not end):
            return
        last, finished = now, end
        stream.write(progress_line(label, done, total, now - started) + "\n")
        stream.flush()

    return update


def progress_line(label: str, done: int, total: int, elapsed_s: float) -> str:
    """``ingest: 120/400 (30%), 42 s elapsed, about 98 s left``."""
    if total <= 0:
        return f"{label}: {done} done, {elapsed_s:.0f} s elapsed"
    line = f"{label}: {done}/{total} ({100 * done // total}%), {elapsed_s:.0f} s elapsed"
    if 0 < done < total:
        line += f", about {elapsed_s / done * (total - done):.0f} s left"
    return line
