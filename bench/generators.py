"""Generator benchmarks, baseline side by side in one run; prints ratios.

1. The catalog cache: the transformers generator (SmolLM2) uncached vs. the same prompts cached.
2. The openai generator against a real `transformers serve` (SmolLM2, continuous batching):
   concurrency 1 vs. concurrency 4 on distinct prompts (fresh caches, so every prompt is a call).

Usage: python bench/generators.py [--prompts 8] [--tokens 16]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from kgsynth.generators import Prompt, make_generator
from kgsynth.generators.models import smollm2_dir
from kgsynth.generators.serve import start_transformers_serve
from kgsynth.workspace import Workspace

TOPICS = ["tea", "rivers", "chess", "volcanoes", "bread", "owls", "trains", "glass", "maps", "bees"]


def prompts(n: int, tokens: int, tag: str) -> list[Prompt]:
    return [
        Prompt.user(
            f"In one sentence, what is {TOPICS[i % len(TOPICS)]}? ({tag} {i})",
            max_new_tokens=tokens,
        )
        for i in range(n)
    ]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_cache(n: int, tokens: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, Workspace(tmp) as ws:
        kw = dict(model=str(smollm2_dir()), temperature=0.0, batch_size=4, threads=1)
        batch = prompts(n, tokens, "cache")
        make_generator(ws, "transformers", **kw).generate(prompts(1, 2, "warm-up"))
        uncached_gen = make_generator(ws, "transformers", **kw)
        uncached = timed(lambda: uncached_gen.generate(batch))
        cached_gen = make_generator(ws, "transformers", **kw)
        cached = timed(lambda: cached_gen.generate(batch))
        assert cached_gen.usage["calls"] == 0 and cached_gen.usage["cached"] == n
    print(f"cache   transformers uncached: {n / uncached:8.2f} prompts/s ({uncached:.2f} s)")
    print(f"cache   transformers cached:   {n / cached:8.2f} prompts/s ({cached:.4f} s)")
    print(f"cache   speed-up (cached/uncached throughput): {uncached / cached:.0f}x")


def bench_concurrency(n: int, tokens: int) -> None:
    with start_transformers_serve(smollm2_dir(), continuous_batching=True) as server:
        times = {}
        for concurrency in (1, 4, 1, 4):  # interleaved, so load changes hit both
            with tempfile.TemporaryDirectory() as tmp, Workspace(tmp) as ws:
                gen = make_generator(
                    ws,
                    "openai",
                    base_url=server.base_url,
                    model=server.model,
                    temperature=0.0,
                    concurrency=concurrency,
                    batch_size=n,
                )
                gen.generate(prompts(1, 2, f"warm-up {concurrency}"))
                batch = prompts(n, tokens, f"c{concurrency}")
                times.setdefault(concurrency, []).append(
                    timed(lambda g=gen, b=batch: g.generate(b))
                )
                usage = gen.usage
        t1, t4 = min(times[1]), min(times[4])
    print(f"openai  concurrency 1: {n / t1:8.2f} prompts/s ({t1:.2f} s)")
    print(f"openai  concurrency 4: {n / t4:8.2f} prompts/s ({t4:.2f} s)")
    print(f"openai  speed-up (concurrency 4 / 1 throughput): {t1 / t4:.2f}x")
    print(f"openai  last run usage: {usage}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=16)
    args = parser.parse_args()
    bench_cache(args.prompts, args.tokens)
    bench_concurrency(args.prompts, args.tokens)


if __name__ == "__main__":
    main()
