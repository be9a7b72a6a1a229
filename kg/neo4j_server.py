"""Run a real Neo4j 5.26 server (Maven Central jars, Java 17) on 127.0.0.1 for tests and development.

    with Neo4jServer(tmp_dir) as server:
        store = Neo4jStore(server.uri, "neo4j", server.password)

The jars come from ``bash scripts/neo4j.sh fetch`` (run automatically when missing); the server is
``neo4j/src/main/java/org/kgsynth/neo4j/Launcher.java``. Production uses compose.yaml instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from kgsynth.errors import StoreError

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = "org.kgsynth.neo4j.Launcher"
# Small machines, short-lived test servers: serial GC and the quick JIT start fastest.
FAST_START = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
FULL_SPEED = ("-XX:+UseSerialGC",)
MIN_PASSWORD = 8  # Neo4j's dbms.security.auth_minimum_password_length


def java17() -> str:
    """The java binary to use: OpenJDK 17 if installed (5.26 runs on 17), else JAVA_HOME or PATH."""
    for pattern in ("/usr/lib/jvm/java-17-openjdk-*/bin/java", "/usr/lib/jvm/openjdk-17/bin/java"):
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    home = os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", "java").exists():
        return str(Path(home, "bin", "java"))
    java = shutil.which("java")
    if not java:
        raise StoreError(
            "java not found; install Java 17 (apt-get install openjdk-17-jre-headless)"
        )
    return java


def jars_ready(root: Path = ROOT) -> bool:
    """The jars are fetched and the launcher is compiled from its current source."""
    lib = root / "neo4j" / "lib"
    launcher = (
        root / "neo4j" / "target" / "classes" / "org" / "kgsynth" / "neo4j" / "Launcher.class"
    )
    source = (
        root / "neo4j" / "src" / "main" / "java" / "org" / "kgsynth" / "neo4j" / "Launcher.java"
    )
    if not launcher.exists() or not any(lib.glob("neo4j-5.26.*.jar")):
        return False
    return not source.exists() or source.stat().st_mtime <= launcher.stat().st_mtime


def ensure_jars(root: Path = ROOT) -> str:
    """Fetch the jars and compile the launcher if needed; return the Java classpath."""
    if not jars_ready(root):
        script = root / "scripts" / "neo4j.sh"
        proc = subprocess.run(["bash", str(script), "fetch"], capture_output=True, text=True)
        if proc.returncode != 0 or not jars_ready(root):
            tail = (proc.stderr or proc.stdout).strip()[-500:]
            raise StoreError(f"`bash scripts/neo4j.sh fetch` failed (needs mvn + Java 17): {tail}")
    return f"{root / 'neo4j' / 'lib'}/*{os.pathsep}{root / 'neo4j' / 'target' / 'classes'}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Neo4jServer:
    """A Neo4j process on 127.0.0.1 with its data in `home_dir`; a context manager."""

    def __init__(
        self,
        home_dir: Path | str,
        bolt_port: int | None = None,
        password: str | None = "kgsynth-dev",
        heap: str = "512m",
        root: Path = ROOT,
        java_opts: tuple[str, ...] = FAST_START,
    ):
        self.home = Path(home_dir)
        self.port = bolt_port or free_port()
        self.password = password
        self.heap = heap
        self.root = root
        self.java_opts = java_opts
        self.proc: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.home / "launcher.log"

    def start(self, timeout: float = 90.0) -> Neo4jServer:
        """Start the server and wait until it prints READY and Bolt accepts connections."""
        if self.password and len(self.password) < MIN_PASSWORD:
            raise StoreError(
                f"the Neo4j password is too short: Neo4j needs at least {MIN_PASSWORD} characters"
            )
        classpath = ensure_jars(self.root)
        self.home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k != "NEO4J_PASSWORD"}
        if self.password:
            env["NEO4J_PASSWORD"] = self.password
        cmd = [
            java17(),
            f"-Xmx{self.heap}",
            *self.java_opts,
            "-cp",
            classpath,
            LAUNCHER,
            "--port",
            str(self.port),
            "--data",
            str(self.home / "data"),
            "--watch-stdin",
        ]
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, env=env
        )
        log.close()
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise StoreError(f"Neo4j exited at start: {self._reason()} (log: {self.log_path})")
            if b"READY" in self.log_path.read_bytes() and self._port_open():
                return
            time.sleep(0.3)
        self.stop()
        raise StoreError(f"Neo4j did not start within {timeout:.0f}s; see {self.log_path}")

    def _port_open(self) -> bool:
        with socket.socket() as s:
            s.settimeout(1)
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def _log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-800:]

    def _reason(self) -> str:
        """The launcher's one ``error:`` line, else the end of its log."""
        lines = self._log_tail().splitlines()
        return next((ln for ln in reversed(lines) if ln.startswith("error:")), " ".join(lines[-3:]))

    def stop(self) -> None:
        """Shut it down (stdin close, then SIGTERM, then SIGKILL)."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self) -> Neo4jServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
