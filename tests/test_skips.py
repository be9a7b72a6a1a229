"""The test run fails when a test is skipped without a declared reason (tests/fixtures/skips.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CASES = """
import pytest
from tests.fixtures.skips import skip_external

def test_in_tree_import_is_not_optional():
    pytest.importorskip("synth.no_such_module")

def test_bare_skip():
    pytest.skip("not now")

def test_missing_server_is_declared():
    skip_external("no server here")

@pytest.mark.xfail(reason="known")
def test_xfail_is_fine():
    assert False
"""


def test_undeclared_skips_fail(tmp_path):
    (tmp_path / "test_cases.py").write_text(CASES)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.fixtures.skips",
            "-rA",
            str(tmp_path / "test_cases.py"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    out = run.stdout
    assert run.returncode == 1, out
    assert "2 failed, 1 skipped, 1 xfailed" in out, out
    assert "FAILED" in out and "test_in_tree_import_is_not_optional" in out
    assert "skipped without a declared reason" in out
