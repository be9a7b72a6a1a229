"""bench/extract_quality.py: gold parsing and name/literal matching, and its quick mode end to end
(real WebNLG items and BBC articles through a real ingest, no baseline)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.append(str(BENCH))

from extract_quality_data import matches, parse_triples, task_file  # noqa: E402


def test_gold_triples_and_matching():
    gold = parse_triples(
        "(Aleksandr_Prudnikov | height | 185.0 (centimetres)), (Abilene,_Texas | isPartOf | Texas)"
    )
    assert [(g.subject, g.predicate, g.object) for g in gold] == [
        ("Aleksandr_Prudnikov", "height", "185.0 (centimetres)"),
        ("Abilene,_Texas", "isPartOf", "Texas"),
    ]
    assert matches("Abilene,_Texas", ["Abilene"]) and matches("United_States", ["U.S."])
    assert matches("Estádio_Municipal", ["the Estadio Municipal"])
    assert matches("1964-10-13", ["October 13th, 1964"]) and matches("1986-04-15", ["15/04/1986"])
    assert not matches("1964-10-13", ["October 14, 1964"])
    assert matches("185.0 (centimetres)", ["185 cm"]) and not matches("185.0", ["186"])
    assert not matches("Tom_Simon", ["Tom Sizemore"])


@pytest.mark.timeout(240)
def test_quick_mode_runs_and_scores(tmp_path):
    if not task_file().exists():  # pragma: no cover - fetched by the bench itself
        pytest.fail("WebNLG task file missing")
    out = tmp_path / "out"
    cmd = [sys.executable, str(BENCH / "extract_quality.py"), "--quick", "--baseline", "none"]
    run = subprocess.run(
        [*cmd, "--out", str(out)], capture_output=True, text=True, timeout=230, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "entity-pair precision" in run.stdout and "news typed relations" in run.stdout
    (score, web, news) = json.loads((out / "scores.json").read_text())["kgsynth"]
    assert score["gold_triples"] > 100 and 0.4 < score["entity_recall"] <= 1
    assert 0.1 < score["pair_recall"] <= 1 and 0.3 < score["pair_precision"] <= 1
    assert web["per_100"] > 30 and news["sentences"] > 100 and news["typed"] > 0
    facts = (out / "news_facts_kgsynth.txt").read_text().splitlines()
    assert facts and facts[0].startswith("(")
