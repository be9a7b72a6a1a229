"""Run a local OpenAI-compatible server (``transformers serve``) for a model directory.

Used by tests and benchmarks, and handy for pointing the ``openai`` generator at a local model.
Needs the ``transformers[serving]`` extras (fastapi, uvicorn, openai).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from kgsynth.errors import GeneratorError


@dataclass
class LocalServer:
    base_url: str  # http://127.0.0.1:PORT/v1
    model: str  # the served path: requests must name it
    process: subprocess.Popen
    log: IO[bytes]  # the server's stdout and stderr

    def output(self, tail: int = 2000) -> str:
        """The last characters the server printed."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-tail:]

    def stop(self) -> None:
        """Terminate the server (kill it after 10 s)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def transformers_cli() -> list[str]:
    """The `transformers` command of this environment."""
    exe = Path(sys.executable).parent / "transformers"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("transformers")
    if found:
        return [found]
    return [sys.executable, "-c", "from transformers.cli.transformers import main; main()"]


def start_transformers_serve(
    model_dir: Path | str,
    *,
    continuous_batching: bool = False,
    threads: int | None = 1,
    timeout: float = 120.0,
) -> LocalServer:
    """Start `transformers serve <dir>` on a free 127.0.0.1 port, offline; wait for /health."""
    port = free_port()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_UPDATE_CHECK": "1",
    }
    if threads:  # on a shared CPU, more threads than free cores makes generation crawl
        env["OMP_NUM_THREADS"] = str(threads)
    cmd = transformers_cli() + ["serve", str(model_dir), "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--device", "cpu"] + (["--continuous-batching"] if continuous_batching else [])
    # a file, not a pipe (a full pipe would block the server); LocalServer.stop closes it
    log = tempfile.TemporaryFile()  # noqa: SIM115
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = LocalServer(f"http://127.0.0.1:{port}/v1", str(model_dir), proc, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = server.output(1500)
            server.log.close()
            raise GeneratorError(f"transformers serve exited with {proc.returncode}: {tail}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.stop()
    raise GeneratorError(f"transformers serve did not answer /health within {timeout:.0f} s")
