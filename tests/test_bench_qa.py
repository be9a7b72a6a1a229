"""The QA benchmark in quick mode on SQuAD v1.1 dev (fetched from the bigbench sdist on PyPI): each arm
trains the real reader; the report files say how the arms compare and how their questions read."""

from __future__ import annotations

import json

from bench.qa_data import articles, fetch, halves
from bench.qa_quality import main


def test_halves_split_articles_and_keep_questions_apart():
    h = halves(articles(fetch("squad")), seed=0)
    assert len(h.target) == 24 and len(h.other) == 24
    target = {p for a in h.target for p in a.paragraphs}
    assert not target & {p for a in h.other for p in a.paragraphs}
    assert all(q.context in target for q in h.test)


def test_quick_qa_bench(tmp_path):
    result = main(["--quick", "--max-test", "60", "--n-train", "80", "--out", str(tmp_path)])
    arms = result["arms"]
    assert set(arms) == {"cloze", "kgsynth", "gold"}
    for arm in arms.values():
        assert arm["n_train"] == 80 and 0 <= arm["f1"] <= 100 and arm["em"] <= arm["f1"]
    assert set(result["ratios"]) >= {"kgsynth_f1_over_gold", "kgsynth_f1_minus_cloze"}
    kg = result["kgsynth"]["kgsynth"]
    assert kg["exported"] >= 80 and kg["built"] >= kg["after_clean"] >= kg["exported"]
    quality = result["quality"]["kgsynth"]
    assert 0 <= quality["answerable_correct"] <= 1 and quality["distinct_2"] > 0.3
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["arms"] == arms
    assert (tmp_path / "results.md").read_text().startswith("# kgsynth QA quality")
    assert (tmp_path / "qa_quality.png").stat().st_size > 1000
