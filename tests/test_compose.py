"""compose.yaml (production: Neo4j 5.26 community + the app) is valid and wired as documented."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.fixtures.skips import skip_external

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def docker_compose_config(
    *args: str, env_file: str = ".env.example"
) -> subprocess.CompletedProcess:
    exe = shutil.which("docker-compose")
    if exe is None:
        skip_external("docker-compose is not installed (scripts/test.sh installs it)")
    return subprocess.run(
        [exe, "--env-file", env_file, "-f", "compose.yaml", "config", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "KGSYNTH_"))},
    )


def test_docker_compose_validates_and_interpolates_env_file():
    proc = docker_compose_config()
    assert proc.returncode == 0, proc.stderr
    config = yaml.safe_load(proc.stdout)
    env = config["services"]["neo4j"]["environment"]
    assert env["NEO4J_AUTH"] == "neo4j/change-me-neo4j"  # from .env.example
    assert config["services"]["app"]["environment"]["NEO4J_PASSWORD"] == "change-me-neo4j"


def test_docker_compose_refuses_missing_passwords(tmp_path):
    empty = tmp_path / "empty.env"
    empty.write_text("")
    proc = docker_compose_config(env_file=str(empty))
    assert proc.returncode != 0
    assert "NEO4J_PASSWORD" in proc.stderr


def test_neo4j_service(compose):
    neo = compose["services"]["neo4j"]
    assert neo["image"] == "neo4j:5.26-community"
    assert "${NEO4J_PASSWORD" in neo["environment"]["NEO4J_AUTH"]
    assert {v.split(":")[1] for v in neo["volumes"]} == {"/data", "/logs"}
    check = neo["healthcheck"]
    assert "cypher-shell" in " ".join(check["test"])
    assert check["retries"] >= 3
    assert all(p.startswith("127.0.0.1:") for p in neo["ports"])  # not exposed publicly


def test_app_service(compose):
    app = compose["services"]["app"]
    assert app["build"]["dockerfile"] == "Dockerfile"
    assert app["depends_on"]["neo4j"]["condition"] == "service_healthy"
    env = app["environment"]
    assert {"KGSYNTH_UI_USER", "KGSYNTH_UI_PASSWORD", "NEO4J_PASSWORD"} <= set(env)
    assert "healthcheck" in app
    assert set(compose["volumes"]) == {"neo4j-data", "neo4j-logs", "kgsynth-workspace"}


def test_dockerfile_runs_the_ui_against_neo4j():
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install" in text and "kgsynth ui --host 0.0.0.0" in text
    assert 'uri = "bolt://neo4j:7687"' in text
    assert 'password_env = "NEO4J_PASSWORD"' in text


def test_env_example_names_every_required_variable(compose):
    names = {
        line.split("=")[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert {"NEO4J_PASSWORD", "KGSYNTH_UI_USER", "KGSYNTH_UI_PASSWORD"} <= names


def _ray_start_args(service: dict) -> list[str]:
    """The `ray start` options of a service, each ${VAR:-default} at its default."""
    import re
    import shlex

    words = shlex.split(re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", service["command"]))
    assert words[:2] == ["ray", "start"]
    return words[2:]


def test_ray_services_start_a_cluster_the_app_drives(compose):
    """ray-head and ray-worker run the app's image; every `ray start` option is one Ray knows;
    the app joins the cluster as a CPU-less node and runs its stages on it."""
    from ray.scripts.scripts import start

    head, worker = compose["services"]["ray-head"], compose["services"]["ray-worker"]
    app = compose["services"]["app"]
    assert head["image"] == worker["image"] == app["image"]
    for service in (head, worker):
        start.make_context("start", _ray_start_args(service))  # raises on an unknown option
        assert service["volumes"] == ["kgsynth-workspace:/data/workspace:ro"]
        assert "ports" not in service and "container_name" not in service  # --scale works
    assert "--head" in _ray_start_args(head) and "--block" in _ray_start_args(worker)
    assert "ray-head:6379" in worker["command"]
    assert worker["depends_on"]["ray-head"]["condition"] == "service_healthy"
    assert app["depends_on"]["ray-head"]["condition"] == "service_healthy"
    env = app["environment"]
    assert env["KGSYNTH_RAY_HEAD"] == "ray-head:6379" and env["KGSYNTH_RAY_ADDRESS"] == "auto"
    assert '--address \\"$KGSYNTH_RAY_HEAD\\" --num-cpus 0' in (ROOT / "Dockerfile").read_text()


def test_docker_compose_scales_ray_workers():
    proc = docker_compose_config("--services")
    assert proc.returncode == 0, proc.stderr
    assert {"neo4j", "app", "ray-head", "ray-worker"} <= set(proc.stdout.split())
    config = yaml.safe_load(docker_compose_config().stdout)
    assert config["services"]["app"]["environment"]["KGSYNTH_ENGINE"] == "ray"
