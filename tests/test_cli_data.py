"""The dataset CLI end to end on real BBC sentences: list, show, annotate, review, augment, clean,
export; every command has --help."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from kgsynth.app.cli import cli
from kgsynth.types import DatasetVersion
from kgsynth.workspace import Workspace
from tests.test_annotate import voted_examples

COMMANDS = [
    ["datasets"],
    ["datasets", "list"],
    ["datasets", "show"],
    ["annotate"],
    ["review"],
    ["augment"],
    ["clean"],
    ["export"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_help(args):
    result = CliRunner().invoke(cli, [*args, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
    assert len(result.output.split("\n")) > 4


@pytest.fixture
def wsdir(tmp_path):
    path = tmp_path / "ws"
    with Workspace(path) as ws:
        examples, _ = voted_examples(40, seed=2)
        ws.catalog.save_dataset(DatasetVersion(id="ds_votes", name="news", stage="synth"), examples)
    return path


def _run(wsdir, *args, input=None):
    result = CliRunner().invoke(cli, ["-w", str(wsdir), *args], input=input)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_pipeline_through_the_cli(wsdir, tmp_path):
    out = _run(wsdir, "datasets", "list")
    assert "ds_votes" in out and "news" in out
    out = _run(wsdir, "annotate", "news", "--method", "label_model")
    assert "stage=annotate" in out and "source good" in out
    shown = _run(wsdir, "datasets", "show", "news", "-n", "1")
    assert '"stage": "annotate"' in shown
    # review: accept, relabel, skip, reject, edit, quit
    keys = "a\nl\ntech\ns\nr\ne\nA new text for this one.\nq\n"
    out = _run(wsdir, "review", "news", "--reviewer", "ana", "--no-rescore", input=keys)
    assert "4 decisions saved" in out and "stage=review" in out
    with Workspace(wsdir) as ws:
        v = ws.catalog.dataset("news")
        assert v.stage == "review" and v.stats["reviews"] == {
            "accept": 1,
            "reject": 1,
            "relabel": 1,
            "edit": 1,
        }
        assert {d.reviewer for d in ws.catalog.reviews()} == {"ana"}
        assert any(e.input == "A new text for this one." for e in ws.catalog.examples(v.id))
    out = _run(wsdir, "augment", "news", "--methods", "swap,delete", "--no-balance")
    assert "stage=augment" in out
    assert int(re.search(r"augmented: (\d+)", out).group(1)) >= 35
    evals = tmp_path / "eval.txt"
    with Workspace(wsdir) as ws:
        first = ws.catalog.examples(ws.catalog.dataset("news").id)[0].input
    evals.write_text(first + "\n")
    out = _run(
        wsdir,
        "clean",
        "news",
        "--filters",
        "normalize,exact_dedup,near_dedup,decontam",
        "--eval-set",
        str(evals),
        "--option",
        "near_dedup.threshold=0.9",
    )
    assert "stage=clean" in out and "contaminated" in out and "report:" in out
    out = _run(wsdir, "export", "news", "--format", "alpaca", "--out", str(tmp_path / "alp"))
    assert "exported to" in out
    rows = (tmp_path / "alp" / "train.jsonl").read_text().splitlines()
    assert rows and set(json.loads(rows[0])) == {"instruction", "input", "output", "id", "meta"}
    args = (
        "export",
        "news",
        "--format",
        "alpaca",
        "--no-provenance",
        "--out",
        str(tmp_path / "a2"),
    )
    _run(wsdir, *args)
    rows = (tmp_path / "a2" / "train.jsonl").read_text().splitlines()
    assert rows and set(json.loads(rows[0])) == {"instruction", "input", "output"}


def test_errors_are_one_line(wsdir):
    from kgsynth.app.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["-w", str(wsdir), "export", "nope", "--format", "csv"])
    assert exc.value.code == 1
    result = CliRunner().invoke(
        cli, ["-w", str(wsdir), "export", "news", "--format", "csv", "--split", "0.5,0.5"]
    )
    assert result.exit_code != 0 and "three shares" in str(result.exception)


def test_clean_under_two_names_makes_two_versions(wsdir):
    """Issue 14: the second name used to reuse the first version's id ("name=c1" twice)."""
    first = _run(wsdir, "clean", "news", "--filters", "normalize", "--name", "c1")
    second = _run(wsdir, "clean", "news", "--filters", "normalize", "--name", "c2")
    assert "name=c1" in first and "name=c2" in second
    shown = _run(wsdir, "datasets", "show", "c2", "-n", "0")
    assert '"name": "c2"' in shown
    with Workspace(wsdir) as ws:
        c1, c2 = ws.catalog.dataset("c1"), ws.catalog.dataset("c2")
        assert c1.id != c2.id and c1.parents == c2.parents == ["ds_votes"]
        assert c2.stats["report_md"] != c1.stats["report_md"]
