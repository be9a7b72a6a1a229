"""A read-only or full disk: reading commands still work, writing ones fail with one line naming the
cause (and the disk), and nothing stored is lost. Real mounts (a read-only bind mount and a small
tmpfs, in a user+mount namespace) and the real `kgsynth` CLI in subprocesses."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kg.ingest import ingest
from kgsynth.workspace import Workspace
from tests.fixtures.corpus import bbc_files
from tests.fixtures.skips import skip_external

KGSYNTH = f"{sys.executable} -c 'from kgsynth.app.cli import main; main()'"


def in_namespace(script: str, timeout: float = 600) -> str:
    """Run a bash script as root of a new user+mount namespace (mounts stay private to it)."""
    if shutil.which("unshare") is None:
        skip_external("unshare (util-linux) is not installed")
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True
    )
    if probe.returncode != 0:
        skip_external("unprivileged user namespaces are disabled on this machine")
    proc = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert "MOUNT-FAILED" not in proc.stdout, proc.stdout + proc.stderr
    return proc.stdout


def runs(output: str) -> dict[str, tuple[int, str]]:
    """`== name` blocks of a script's output: name -> (exit code, output)."""
    out = {}
    for block in output.split("== ")[1:]:
        name, _, rest = block.partition("\n")
        text, _, rc = rest.rpartition("rc=")
        out[name.strip()] = (int(rc.split()[0]), text.strip())
    return out


def commands(ws: Path, *cmds: str) -> str:
    return "\n".join(
        f'echo "== {c}"; {KGSYNTH} -w {ws} {c} 2>&1 | tail -5; echo "rc=${{PIPESTATUS[0]}}"'
        for c in cmds
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, nlp) -> Path:
    root = tmp_path_factory.mktemp("disk")
    (root / "docs").mkdir()
    for path, label in bbc_files(1):
        shutil.copy(path, root / "docs" / f"{label}-{path.name}")
    (root / "more").mkdir()
    for path, label in bbc_files(2, offset=1):
        shutil.copy(path, root / "more" / f"{label}-{path.name}")
    with Workspace(root / "ws") as ws:
        assert ingest(ws, [root / "docs"]).documents == 5
    return root


def _one_line_error(result: tuple[int, str], *words: str) -> None:
    rc, text = result
    last = text.splitlines()[-1]
    assert rc == 1 and last.startswith("error: ") and "Traceback" not in text, text
    assert all(w in last for w in words), text


def test_read_only_workspace_reads_and_refuses_writes(workspace):
    ws = workspace / "ws"
    out = in_namespace(
        f"mount --bind {ws} {ws} && mount -o remount,bind,ro {ws} || echo MOUNT-FAILED\n"
        + commands(ws, "datasets list", "graph stats", "synth preview")
        + "\n"
        + commands(ws, f"ingest {workspace / 'more'}", "synth qa -n 3")
    )
    result = runs(out)
    for reading in ("datasets list", "graph stats", "synth preview"):
        assert result[reading][0] == 0, result[reading]
    assert "entities:" in result["graph stats"][1]
    _one_line_error(result[f"ingest {workspace / 'more'}"], "ead-only")
    _one_line_error(result["synth qa -n 3"], "ead-only")


def test_full_disk_fails_with_one_line_and_loses_nothing(workspace, tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    ws = mnt / "ws"
    more = workspace / "more"
    fill = f"dd if=/dev/zero of={mnt}/filler bs=64k 2>/dev/null"
    leave = (
        f"rm {mnt}/filler; A=$(df -B1 --output=avail {mnt} | tail -1); "
        f"dd if=/dev/zero of={mnt}/filler bs=1k count=$(( (A - 200*1024) / 1024 )) 2>/dev/null"
    )
    out = in_namespace(
        f"mount -t tmpfs -o size=48m tmpfs {mnt} || echo MOUNT-FAILED\n"
        f"cp -r {workspace / 'ws'} {ws}\n{fill}\n"
        + commands(ws, "datasets list", "synth qa -n 3")
        + f"\n{leave}\n"
        + commands(ws, f"ingest {more}")
        + f"\nrm {mnt}/filler\n"
        + commands(ws, f"ingest {more}", "graph stats")
        + f"\ncp -r {ws} {tmp_path}/after"
    )
    result = runs(out.replace(f"ingest {more}", "ingest", 1))
    assert result["datasets list"][0] == 0
    _one_line_error(result["synth qa -n 3"], "no space left", f"mounted at {mnt}")
    _one_line_error(result["ingest"], "no space left", f"mounted at {mnt}")
    rc, text = result[f"ingest {more}"]  # space freed: the same ingest completes
    assert rc == 0 and "skipped" in text, text
    with Workspace(tmp_path / "after") as after:
        assert after.catalog.count("documents") == 5 + 10
        assert after.store.stats().entities > 0
        log = list(after.catalog.graph_log(after.store.identity, 0))
        assert log == []  # every committed batch reached the graph
