"""The living dataset: ``kgsynth datasets coverage`` and ``kgsynth improve`` (thin wrappers over
synth.coverage and finetune.improve). ``kgsynth synth update`` lives with the other synth commands."""

from __future__ import annotations

import click

from kgsynth.app.cli.data import datasets_group
from kgsynth.app.cli.state import CliState, pass_state


@datasets_group.command("coverage")
@click.argument("version")
@click.option("--top", default=10, show_default=True, help="Rows per list in the table.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every list, up to 50 rows).")
@pass_state
def coverage_cmd(state: CliState, version: str, top: int, as_json: bool) -> None:
    """How a version covers the graph: examples per entity, entity type, relation type, document,
    QA type and label; the share of entities and facts used; over-used and uncovered entities."""
    from synth.coverage import coverage

    report = coverage(state.workspace(), version, top=max(top, 50) if as_json else top)
    click.echo(report.model_dump_json(indent=1) if as_json else "\n".join(report.lines(top)))


def register(cli: click.Group) -> None:
    """The coverage command joins the ``datasets`` group when this module is imported."""
