"""Smoke test of the quality benchmark: a tiny --quick run writes JSON, Markdown and a plot."""

from __future__ import annotations

import json

from bench.quality import main
from bench.quality_data import Row, dedup, draw_seeds, split


def test_split_and_seed_draws():
    rows = dedup([Row(f"text {i}", "ab"[i % 2]) for i in range(40)] + [Row("text 0", "b")])
    assert len(rows) == 40  # the exact duplicate (with another label) is dropped
    data = split(rows, 0.25, seed=0)
    assert len(data.test) == 10 and len(data.pool) == 30
    assert not {r.text for r in data.test} & {r.text for r in data.pool}
    seeds = draw_seeds(data.pool, 3, draw=0)
    assert {lab: len(idx) for lab, idx in seeds.items()} == {"a": 3, "b": 3}
    assert all(data.pool[i].label == lab for lab, idx in seeds.items() for i in idx)
    assert draw_seeds(data.pool, 3, draw=1) != seeds


def test_quick_bench_smoke(tmp_path):
    out = tmp_path / "out"
    code = main(
        [
            "--quick",
            "--max-pool",
            "40",
            "--max-test",
            "20",
            "--k",
            "2",
            "--per-label",
            "6",
            "--epochs",
            "1",
            "--min-steps",
            "2",
            "--max-length",
            "48",
            "--out",
            str(out),
            "--workdir",
            str(tmp_path / "cache"),
        ]
    )
    assert code == 0
    result = json.loads((out / "results.json").read_text())
    arms = {r["arm"] for r in result["runs"] if "macro_f1" in r}
    assert {"seeds", "kgsynth", "gold"} <= arms
    kg = next(r for r in result["runs"] if r["arm"] == "kgsynth")
    assert kg["pool_label_accuracy"] > 0.4  # 5 labels: chance is 0.2
    for r in result["runs"]:
        if "macro_f1" in r:
            assert 0.0 <= r["macro_f1"] <= 1.0 and r["seconds"] > 0
    md = (out / "results.md").read_text()
    assert "(c) kgsynth" in md and "Macro-F1" in md
    assert (out / "quality.png").stat().st_size > 1000
