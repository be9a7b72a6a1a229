"""`kgsynth ingest` and `kgsynth graph ...` through click's CliRunner, on a real workspace."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from kgsynth.app.cli import cli, main
from kgsynth.errors import NotFoundError

TEXT = (
    "Tim Cook, the CEO of Apple, visited Berlin. Apple is a technology company.\n\n"
    "Siemens is based in Munich. Microsoft acquired GitHub in 2018. Tim Cook met Satya Nadella of Microsoft."
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, nlp):
    root = tmp_path_factory.mktemp("cli")
    (root / "docs").mkdir()
    (root / "docs" / "news.txt").write_text(TEXT, encoding="utf-8")
    (root / "docs" / "rows.csv").write_text(
        'id,body\n1,"Cook later flew to Munich."\n', encoding="utf-8"
    )
    result = CliRunner().invoke(
        cli, ["-w", str(root / "ws"), "ingest", str(root / "docs"), "--text-col", "body"]
    )
    assert result.exit_code == 0, result.output
    assert "2 new" in result.output
    return root / "ws"


def run(ws, *args):
    result = CliRunner().invoke(cli, ["-w", str(ws), *args])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_stats_search_show(workspace):
    out = run(workspace, "graph", "stats")
    assert "entities:" in out and "ORG" in out and "is_a" in out
    assert "Apple [ORG]" in run(workspace, "graph", "search", "appl")
    show = run(workspace, "graph", "show", "Tim Cook")
    assert "Tim Cook [PERSON]" in show and "-[ceo_of]-> Apple" in show
    assert '"Tim Cook, the CEO of Apple, visited Berlin."' in show and "news.txt" in show
    assert "Cook" in show  # alias merged from the CSV row


def test_path_merges_export(workspace, tmp_path):
    assert "Tim Cook -[ceo_of]-> Apple" in run(workspace, "graph", "path", "Tim Cook", "Apple")
    assert "alias" in run(workspace, "graph", "merges") and "Cook -> Tim Cook" in run(
        workspace, "graph", "merges"
    )
    out = tmp_path / "g.graphml"
    run(workspace, "graph", "export", "--format", "graphml", "-o", str(out))
    g = nx.read_graphml(out)
    assert any(d["name"] == "Siemens" for _, d in g.nodes(data=True))
    jsonl = run(workspace, "graph", "export", "--format", "jsonl").strip()
    rows = [json.loads(line) for line in Path(jsonl).read_text(encoding="utf-8").splitlines()]
    assert {r["record"] for r in rows} == {"entity", "relation"}


def test_cooccurrences_are_shown_and_walked(workspace):
    show = run(workspace, "graph", "show", "Tim Cook")
    typed, _, co = show.partition("co-occurs with")
    assert "~ Microsoft [ORG]" in co and '"Tim Cook met Satya Nadella of Microsoft."' in co
    assert "~ Berlin" not in co  # already joined by a typed fact
    assert "co-occurs with" not in run(
        workspace, "graph", "show", "Tim Cook", "--cooccurrences", "0"
    )
    walked = run(workspace, "graph", "path", "Berlin", "GitHub")
    assert "~[co-occurs x1]~ Microsoft -[acquire]-> GitHub" in walked
    assert "no path" in run(workspace, "graph", "path", "Berlin", "GitHub", "--typed-only")


def test_errors_are_one_line(workspace, capsys):
    result = CliRunner().invoke(cli, ["-w", str(workspace), "graph", "show", "Nobody Atall"])
    assert isinstance(result.exception, NotFoundError)
    with pytest.raises(SystemExit) as e:
        main(["-w", str(workspace), "graph", "show", "Nobody Atall"])
    assert e.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: no entity matches 'Nobody Atall'") and "\n" not in err
