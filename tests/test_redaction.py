"""A server that echoes the API key in its errors never gets the key printed or stored: a real HTTP
server answering 401 with the Authorization header, the openai generator, the job runner and the
`kgsynth ingest --extractor model` CLI in a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kgsynth import jobs
from kgsynth.config import generator_options
from kgsynth.errors import GeneratorError
from kgsynth.generators import Message, Prompt
from kgsynth.generators.openai import OpenAIGenerator, OpenAIOptions
from kgsynth.jobs import job_kind
from kgsynth.redact import redact, remember
from kgsynth.types import JobState
from kgsynth.workspace import Workspace

SECRET = "sk-test-SECRET123"


class _Echo(BaseHTTPRequestHandler):
    """Answers every request 401, quoting the key it was sent (as some servers do)."""

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("content-length") or 0))
        auth = self.headers.get("authorization", "")
        body = {"error": {"message": f"Incorrect API key provided: {auth}", "key": auth[7:]}}
        data = json.dumps(body).encode()
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def echo_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def _config(url: str) -> OpenAIOptions:
    return generator_options(
        kind="openai", base_url=url, model="m", api_key_env="TEST_API_KEY", max_retries=0
    )


def test_generator_error_masks_the_echoed_key(echo_server, monkeypatch):
    monkeypatch.setenv("TEST_API_KEY", SECRET)
    gen = OpenAIGenerator(_config(echo_server))
    with pytest.raises(GeneratorError) as err:
        gen.generate([Prompt(messages=[Message(role="user", content="hi")])])
    message = str(err.value)
    assert "HTTP 401" in message and "Incorrect API key" in message and "[redacted]" in message
    assert "SECRET123" not in message and "\n" not in message


@job_kind("redaction-test")
def _call_the_server(ctx, url: str) -> dict:
    """A real job kind that calls the echoing server through the openai generator."""
    OpenAIGenerator(_config(url)).generate([Prompt(messages=[Message(role="user", content="x")])])
    return {}


def test_job_error_logs_and_catalog_hold_no_key(echo_server, monkeypatch, tmp_path):
    monkeypatch.setenv("TEST_API_KEY", SECRET)
    with Workspace(tmp_path / "ws") as ws:
        job = jobs.run_inline(ws, "redaction-test", {"url": echo_server})
        assert job.state == JobState.failed and "[redacted]" in job.error
        logs = "\n".join(ws.catalog.logs(job.id))
        assert "Traceback" in logs and "HTTP 401" in logs
        assert "SECRET123" not in job.error + logs
        ws.catalog.close()
    assert b"SECRET123" not in (tmp_path / "ws" / "catalog.sqlite").read_bytes()


def test_cli_error_and_job_rows_hold_no_key(echo_server, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "kgsynth.toml").write_text(
        '[ingest]\nmodel_generator = "echo"\n'
        f'[generators.echo]\nkind = "openai"\nbase_url = "{echo_server}"\nmodel = "m"\n'
        'api_key_env = "TEST_API_KEY"\nmax_retries = 0\n',
        encoding="utf-8",
    )
    doc = tmp_path / "doc.txt"
    doc.write_text("Siemens is based in Munich.", encoding="utf-8")
    env = dict(os.environ, TEST_API_KEY=SECRET)
    proc = subprocess.run(
        [sys.executable, "-c", "from kgsynth.app.cli import main; main()"]
        + ["-w", str(ws), "ingest", str(doc), "--extractor", "model", "--on-error", "raise"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "HTTP 401" in out and "Traceback" not in out, out
    assert "SECRET123" not in out
    stored = b"".join(p.read_bytes() for p in ws.rglob("*") if p.is_file())
    assert b"SECRET123" not in stored


def test_redact_masks_remembered_secrets_and_token_shapes():
    remember("a-long-neo4j-password")
    text = redact(
        "auth failed for a-long-neo4j-password; Authorization: Bearer abc.DEF-123_x; "
        '{"api_key": "k3y-value-9"}; sk-live-ABCDEFGH; ask-me about task-force-two'
    )
    assert "a-long-neo4j-password" not in text and "abc.DEF" not in text
    assert "k3y-value" not in text and "ABCDEFGH" not in text
    assert "ask-me about task-force-two" in text
