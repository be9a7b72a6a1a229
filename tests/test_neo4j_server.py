"""The real Neo4j 5.26 test/dev server: launcher, auth, config, the dev script."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from kg.neo4j_server import ROOT, free_port
from kgsynth.config import Neo4jConfig, StoreConfig
from kgsynth.errors import ConfigError, StoreError
from kgsynth.store import open_store

pytestmark = pytest.mark.neo4j


def test_server_is_neo4j_5_26_community(neo4j_store):
    rows = neo4j_store.query("CALL dbms.components() YIELD versions, edition RETURN *")
    assert rows[0]["versions"][0].startswith("5.26.")
    assert rows[0]["edition"] == "community"


def test_wrong_password_is_refused(neo4j_server):
    with pytest.raises(StoreError, match="cannot connect to Neo4j"):
        from kg.stores.neo4j import Neo4jStore

        Neo4jStore(neo4j_server.uri, "neo4j", "wrong-password")


def test_open_store_from_config_reads_password_env(neo4j_server, monkeypatch, tmp_path):
    cfg = StoreConfig(
        kind="neo4j", neo4j=Neo4jConfig(uri=neo4j_server.uri, password_env="KGSYNTH_TEST_NEO4J_PW")
    )
    monkeypatch.delenv("KGSYNTH_TEST_NEO4J_PW", raising=False)
    with pytest.raises(ConfigError, match="KGSYNTH_TEST_NEO4J_PW"):
        open_store(cfg, tmp_path)
    monkeypatch.setenv("KGSYNTH_TEST_NEO4J_PW", neo4j_server.password)
    with open_store(cfg, tmp_path) as store:
        assert store.name == "neo4j"
        assert store.stats().entities >= 0


def test_unreachable_server_says_how_to_fix(monkeypatch, tmp_path):
    from kg.stores.neo4j import Neo4jStore

    with pytest.raises(StoreError, match="scripts/neo4j.sh start"):
        Neo4jStore(f"bolt://127.0.0.1:{free_port()}", "neo4j", "x")


def test_dev_script_starts_and_stops_on_sigterm(neo4j_server, tmp_path):
    """`scripts/neo4j.sh start` (auth off when NEO4J_PASSWORD is unset) serves Bolt; SIGTERM stops it."""
    import neo4j

    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "NEO4J_JAVA_OPTS": "-XX:TieredStopAtLevel=1",
    }
    proc = subprocess.Popen(
        [
            "bash",
            str(ROOT / "scripts" / "neo4j.sh"),
            "start",
            "--port",
            str(port),
            "--data",
            str(tmp_path / "d"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith(f"READY bolt://127.0.0.1:{port}"), line + proc.stderr.read()
        assert "auth=none" in line
        with neo4j.GraphDatabase.driver(f"bolt://127.0.0.1:{port}", auth=("neo4j", "any")) as d:
            assert d.execute_query("RETURN 41 + 1 AS x").records[0]["x"] == 42
        proc.send_signal(signal.SIGTERM)
        start = time.monotonic()
        proc.wait(timeout=60)
        assert time.monotonic() - start < 60
        assert (tmp_path / "d" / "data" / "databases" / "neo4j").is_dir()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_short_password_stops_the_launcher_with_its_reason(tmp_path):
    """A password under Neo4j's 8-character minimum: one line and a non-zero exit, no JVM left."""
    from kg.neo4j_server import Neo4jServer

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NEO4J_PASSWORD": "abc"}
    script = str(ROOT / "scripts" / "neo4j.sh")
    cmd = ["bash", script, "start", "--port", str(free_port()), "--data", str(tmp_path / "d")]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode != 0
    assert "error: NEO4J_PASSWORD is too short" in proc.stderr and "Exception" not in proc.stderr
    with pytest.raises(StoreError, match="too short"):
        Neo4jServer(tmp_path / "py", password="abc").start()
