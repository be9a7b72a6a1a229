"""The ``openai`` generator: any OpenAI-compatible ``/v1/chat/completions`` server.

vLLM, Ollama, llama.cpp server, ``transformers serve`` or OpenAI itself. Requests run on a thread pool
(``concurrency``), under RPM/TPM token buckets, with retries (exponential backoff + jitter, honouring
Retry-After) on 429, 5xx, timeouts and dropped connections. Usage comes from the response, else it is
estimated; cost uses the configured prices per 1,000 tokens.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from kgsynth.config import secret
from kgsynth.errors import ConfigError, GeneratorError
from kgsynth.generators.base import GENERATORS, Completion, Generator, ModelOptions, Prompt
from kgsynth.generators.usage import Usage, estimate_tokens, prompt_text
from kgsynth.redact import redact

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


class TokenBucket:
    """Allows `rate_per_min` units a minute, with bursts up to one minute's worth."""

    def __init__(self, rate_per_min: float):
        self.capacity = float(rate_per_min)
        self.tokens = float(rate_per_min)
        self.rate = rate_per_min / 60.0
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def acquire(self, amount: float = 1.0) -> float:
        """Block until `amount` units are available; return the seconds waited."""
        amount = min(amount, self.capacity)
        waited = 0.0
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= amount:
                    self.tokens -= amount
                    return waited
                delay = (amount - self.tokens) / self.rate
            time.sleep(delay)
            waited += delay


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date), if any."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _said(r: httpx.Response) -> str:
    """What a server answered, for an error: one line, short, with keys and tokens masked (a
    server may echo the request's Authorization header)."""
    return redact(" ".join(r.text.split()))[:300]


def backoff(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with jitter: base * 2**attempt, capped, times a factor in [0.5, 1]."""
    return min(cap, base * 2**attempt) * random.uniform(0.5, 1.0)


class OpenAIOptions(ModelOptions):
    """A server: where it is, its key's variable, and the limits and prices to keep."""

    kind: str = "openai"
    base_url: str | None = None
    api_key_env: str | None = None  # e.g. "OPENAI_API_KEY"
    concurrency: int = 4
    timeout_s: float = 60.0
    max_retries: int = 4
    rpm: int | None = None
    tpm: int | None = None
    price_per_1k_input: float = 0.0
    price_per_1k_output: float = 0.0
    retry_base_s: float = 1.0  # first backoff delay; doubles per retry, with jitter
    retry_max_s: float = 60.0  # cap on one backoff delay (and on an honoured Retry-After)

    def shared_by(self, workers: int) -> OpenAIOptions:
        """These options for one of `workers` processes calling the same server at once: each
        gets its share of the concurrency and of the RPM/TPM limits, so together they keep them."""
        if workers <= 1:
            return self

        def share(limit: int | None) -> int | None:
            return None if limit is None else max(1, limit // workers)

        return self.model_copy(
            update={
                "concurrency": share(self.concurrency),
                "rpm": share(self.rpm),
                "tpm": share(self.tpm),
            }
        )


@GENERATORS.register("openai")
class OpenAIGenerator(Generator):
    """Chat completions over HTTP with a concurrency limit, retries, rate limits and accounting."""

    name = "openai"
    Options = OpenAIOptions

    def __init__(self, config: OpenAIOptions):
        if not config.base_url:
            raise ConfigError("the openai generator needs base_url, e.g. http://127.0.0.1:8000/v1")
        if not config.model:
            raise ConfigError("the openai generator needs model: the model name the server serves")
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        headers = {"content-type": "application/json"}
        if config.api_key_env:
            headers["authorization"] = f"Bearer {secret(config.api_key_env)}"
        self.client = httpx.Client(headers=headers, timeout=config.timeout_s)
        self.meter = Usage(config.price_per_1k_input, config.price_per_1k_output)
        self.rpm = TokenBucket(config.rpm) if config.rpm else None
        self.tpm = TokenBucket(config.tpm) if config.tpm else None

    def params(self) -> dict[str, Any]:
        c = self.config
        return {
            "name": self.name,
            "base_url": self.base_url,
            "model": c.model,
            "max_new_tokens": c.max_new_tokens,
            "temperature": c.temperature,
            "seed": c.seed,
        }

    def generate(self, prompts: list[Prompt]) -> list[Completion]:
        workers = max(1, min(self.config.concurrency, len(prompts)))
        if workers == 1:
            return [self._complete(p) for p in prompts]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(self._complete, prompts))

    def body(self, prompt: Prompt) -> dict[str, Any]:
        """The JSON request for one prompt."""
        temp = self.config.temperature if prompt.temperature is None else prompt.temperature
        sample = prompt.meta.get("sample", 0)
        return {
            "model": self.config.model,
            "messages": [m.model_dump() for m in prompt.messages],
            "max_tokens": prompt.max_new_tokens or self.config.max_new_tokens,
            "temperature": temp,
            "seed": self.config.seed + (sample if isinstance(sample, int) else 0),
        }

    def _complete(self, prompt: Prompt) -> Completion:
        body = self.body(prompt)
        if self.rpm:
            self.rpm.acquire(1)
        if self.tpm:
            self.tpm.acquire(estimate_tokens(prompt_text(prompt)) + body["max_tokens"])
        data = self._post(body)
        completion = self._parse(data, prompt)
        self.meter.add(completion)
        return completion

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/chat/completions"
        c = self.config
        last = ""
        for attempt in range(c.max_retries + 1):
            try:
                r = self.client.post(url, json=body)
            except (httpx.TimeoutException, httpx.TransportError) as e:
                last, wait = f"{type(e).__name__}: {redact(str(e))}", None
            else:
                if r.status_code < 300:
                    try:
                        return r.json()
                    except ValueError as e:
                        raise GeneratorError(f"{url}: response is not JSON: {_said(r)}") from e
                if r.status_code not in RETRY_STATUS:
                    self.meter.count("errors")
                    raise GeneratorError(f"{url}: HTTP {r.status_code}: {_said(r)}")
                last, wait = f"HTTP {r.status_code}: {_said(r)}", retry_after(r)
            if attempt == c.max_retries:
                break
            self.meter.count("retries")
            delay = backoff(attempt, c.retry_base_s, c.retry_max_s)
            time.sleep(min(c.retry_max_s, wait) if wait is not None else delay)
        self.meter.count("errors")
        raise GeneratorError(
            f"{url}: gave up after {c.max_retries + 1} attempts ({last}); check the server or"
            " raise generators.*.max_retries/timeout_s"
        )

    def _parse(self, data: dict[str, Any], prompt: Prompt) -> Completion:
        try:
            choice = data["choices"][0]
            text = choice["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as e:
            raise GeneratorError(
                f"unexpected chat completion response: {redact(str(data))[:300]}"
            ) from e
        usage = data.get("usage") or {}
        return Completion(
            text=text,
            prompt_tokens=usage.get("prompt_tokens") or estimate_tokens(prompt_text(prompt)),
            completion_tokens=usage.get("completion_tokens") or estimate_tokens(text),
            model=str(data.get("model") or self.config.model),
            finish_reason=choice.get("finish_reason"),
        )

    def close(self) -> None:
        self.client.close()
