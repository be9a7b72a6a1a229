"""The openai generator against a real `transformers serve` (SmolLM2), plus a local test double
for what a real local server will not do on demand: 429s, 5xx and hung connections."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kgsynth.errors import ConfigError, GeneratorError
from kgsynth.generators import Prompt, make_generator
from kgsynth.generators.openai import TokenBucket, backoff
from kgsynth.workspace import Workspace


@pytest.fixture
def ws(tmp_path):
    with Workspace(tmp_path / "ws") as w:
        yield w


def test_real_server_completion_usage_and_cache(ws, openai_server):
    kw = dict(base_url=openai_server.base_url, model=openai_server.model, temperature=0.0)
    kw.update(price_per_1k_input=0.5, price_per_1k_output=1.5, concurrency=2)
    gen = make_generator(ws, "openai", **kw)
    batch = [
        Prompt.user("Say hello.", max_new_tokens=8),
        Prompt.user("Count to three.", max_new_tokens=8),
    ]
    out = gen.generate(batch)
    assert all(c.text.strip() for c in out)
    usage = gen.usage
    assert (
        usage["calls"] == 2 and usage["prompt_tokens"] > 0 and 0 < usage["completion_tokens"] <= 16
    )
    expected = usage["prompt_tokens"] / 1000 * 0.5 + usage["completion_tokens"] / 1000 * 1.5
    assert usage["cost_usd"] == pytest.approx(expected, abs=1e-6)
    again = make_generator(ws, "openai", **kw)
    repeat = again.generate(batch)
    assert all(c.cached for c in repeat) and [c.text for c in repeat] == [c.text for c in out]
    assert again.usage["calls"] == 0 and again.usage["cost_usd"] == 0


class Script:
    """What the test double answers, in order; the last entry repeats."""

    def __init__(self, steps: list[tuple]):
        self.steps = steps
        self.hits = 0
        self.lock = threading.Lock()

    def next(self) -> tuple:
        with self.lock:
            step = self.steps[min(self.hits, len(self.steps) - 1)]
            self.hits += 1
            return step


OK_BODY = {
    "choices": [{"message": {"role": "assistant", "content": "fine"}, "finish_reason": "stop"}],
    "model": "double",
}


@pytest.fixture
def double():
    """A tiny HTTP server on 127.0.0.1 that follows a Script (errors only; see module docstring)."""
    state = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("content-length", 0)))
            status, headers, body, sleep = state["script"].next()
            if sleep:
                time.sleep(sleep)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            payload = json.dumps(body).encode()
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(steps):
        state["script"] = Script(steps)
        return f"http://127.0.0.1:{server.server_address[1]}/v1", state["script"]

    yield serve
    server.shutdown()
    server.server_close()


def openai_gen(ws, url, **kw):
    params = dict(base_url=url, model="double", retry_base_s=0.01, retry_max_s=2.0, concurrency=1)
    return make_generator(ws, "openai", **{**params, **kw})


def test_retries_429_honouring_retry_after(ws, double):
    url, script = double(
        [(429, {"Retry-After": "0.3"}, {"error": "slow down"}, 0), (200, {}, OK_BODY, 0)]
    )
    gen = openai_gen(ws, url)
    start = time.monotonic()
    out = gen.generate([Prompt.user("hi")])
    assert out[0].text == "fine" and script.hits == 2
    assert time.monotonic() - start >= 0.3
    assert gen.usage["retries"] == 1
    assert out[0].prompt_tokens > 0 and out[0].completion_tokens > 0  # estimated: no usage sent


def test_retries_5xx_then_gives_up(ws, double):
    url, script = double([(503, {}, {"error": "down"}, 0)])
    gen = openai_gen(ws, url, max_retries=2)
    with pytest.raises(GeneratorError, match="gave up after 3 attempts.*503"):
        gen.generate([Prompt.user("hi")])
    assert script.hits == 3 and gen.usage["errors"] == 1


def test_hung_connection_times_out_and_retries(ws, double):
    url, script = double([(200, {}, OK_BODY, 2.0), (200, {}, OK_BODY, 0)])
    gen = openai_gen(ws, url, timeout_s=0.3)
    assert gen.generate([Prompt.user("hi")])[0].text == "fine"
    assert script.hits == 2 and gen.usage["retries"] == 1


def test_client_error_is_not_retried(ws, double):
    url, script = double([(400, {}, {"error": "bad model"}, 0)])
    with pytest.raises(GeneratorError, match="HTTP 400"):
        openai_gen(ws, url).generate([Prompt.user("hi")])
    assert script.hits == 1


def test_missing_api_key_env_names_it(ws, monkeypatch):
    monkeypatch.delenv("KGSYNTH_TEST_KEY", raising=False)
    with pytest.raises(ConfigError, match="KGSYNTH_TEST_KEY"):
        openai_gen(ws, "http://127.0.0.1:9/v1", api_key_env="KGSYNTH_TEST_KEY")


def test_concurrency_runs_requests_in_parallel(ws, double):
    url, _ = double([(200, {}, OK_BODY, 0.3)])
    gen = openai_gen(ws, url, concurrency=4, batch_size=4)
    start = time.monotonic()
    gen.generate([Prompt.user(f"q{i}") for i in range(4)])
    assert time.monotonic() - start < 1.0  # serial would take 1.2 s


def test_token_bucket_limits_rate():
    bucket = TokenBucket(rate_per_min=600)  # 10 per second, burst 600
    bucket.tokens = 0
    start = time.monotonic()
    for _ in range(3):
        bucket.acquire(1)
    assert 0.2 <= time.monotonic() - start < 1.0


def test_backoff_grows_and_is_capped():
    assert 0.5 <= backoff(0, 1.0, 60) <= 1.0
    assert 4.0 <= backoff(3, 1.0, 60) <= 8.0
    assert backoff(20, 1.0, 5.0) <= 5.0
