"""The living dataset: ``kgsynth datasets coverage`` and ``kgsynth improve`` (thin wrappers over
synth.coverage and kgsynth.app.improve). ``kgsynth synth update`` lives with the other synth commands."""

from __future__ import annotations

from pathlib import Path

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


@click.command("improve")
@click.argument("run")
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Targeted examples to add.",
)
@click.option(
    "--dev",
    type=click.Path(exists=True),
    help="Labeled rows to find weaknesses on (default: the run's export dev split); "
    "rows without labels are scored by disagreement.",
)
@click.option(
    "--eval",
    "eval_",
    type=click.Path(exists=True),
    help="Held-out rows both models are scored on (default: the export's test split).",
)
@click.option(
    "--samples",
    default=8,
    show_default=True,
    help="Sampled predictions per row when the rows have no labels.",
)
@click.option("--name", default=None, help="Name of the improved dataset version.")
@pass_state
def improve_cmd(state: CliState, run, budget, dev, eval_, samples, name) -> None:
    """Close the loop on a fine-tuning run: find where the model is weak, synthesize examples aimed
    there, retrain with the same settings and print the scores before and after."""
    from kgsynth.app.improve import ImproveReport

    params = {"run": run, "budget": budget, "samples": samples, "name": name}
    params |= {"dev": str(Path(dev).resolve()) if dev else None}
    params |= {"eval": str(Path(eval_).resolve()) if eval_ else None}
    result = state.run_job("improve", params, "improve")
    report = ImproveReport.model_validate({k: v for k, v in result.items() if k != "job_id"})
    click.echo("\n".join(report.lines()))


def register(cli: click.Group) -> None:
    """Add ``improve``; the coverage command joins the ``datasets`` group on import."""
    cli.add_command(improve_cmd)
