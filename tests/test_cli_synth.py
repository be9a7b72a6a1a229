"""`kgsynth synth ...` on the real BBC graph workspace: thin commands that print version, counts, rejections."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from kgsynth.app.cli import cli, main

COMMANDS = ["qa", "preview", "classify", "entity-typing", "relations"]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_command_has_help(command):
    args = ["synth"] + ([command] if command else []) + ["--help"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and len(result.output.splitlines()) > 4


def _run(ws_dir, *args) -> str:
    result = CliRunner().invoke(cli, ["-w", str(ws_dir), "synth", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_qa_prints_version_counts_and_rejections(graph_ws, graph_workspace_dir):
    out = _run(
        graph_workspace_dir,
        "qa",
        "-t",
        "single_fact",
        "-t",
        "yes_no",
        "-n",
        "8",
        "--name",
        "cli-qa",
    )
    version_id = re.search(r"dataset (ds_\w+)", out).group(1)
    assert "name=cli-qa" in out and "rejected: 0" in out
    assert re.search(r"qa\.single_fact=\d+", out) and re.search(r"qa\.yes_no=\d+", out)
    version = graph_ws.catalog.dataset("cli-qa")
    assert version.id == version_id and f"examples={version.count}" in out
    assert version.params["types"] == ["single_fact", "yes_no"]


def test_preview_and_graph_tasks(graph_workspace_dir):
    out = _run(graph_workspace_dir, "preview", "-t", "extractive", "-n", "2", "--show-prompt")
    assert "--- prompt" in out and "[qa.extractive] Context:" in out and "evidence:" in out
    out = _run(graph_workspace_dir, "entity-typing", "-n", "10", "--name", "cli-et")
    assert "name=cli-et" in out and "entity_typing=" in out and "labels:" in out
    out = _run(graph_workspace_dir, "relations", "-n", "10", "--no-negative")
    assert "relation_cls=" in out and "no_relation" not in out


def test_errors_are_one_line(graph_workspace_dir, tmp_path, capsys):
    bad = tmp_path / "schema.yaml"
    bad.write_text("labels: 3\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["-w", str(graph_workspace_dir), "synth", "classify", "--schema", str(bad)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1
    assert err.startswith("error: ") and "labels" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit):
        main(["-w", str(tmp_path / "empty"), "synth", "entity-typing"])
    assert "ingest" in capsys.readouterr().err


def test_cli_type_choices_match_the_library():
    from kgsynth.app.cli.synth import QA_TYPE_NAMES
    from synth.qa import QA_TYPES

    assert QA_TYPE_NAMES.choices == QA_TYPES
