"""``kgsynth synth``: build QA sets, classification sets and graph tasks (thin wrappers over synth.*)."""

from __future__ import annotations

from pathlib import Path

import click

from kgsynth.app.cli.choices import listed
from kgsynth.app.cli.overrides import overrides
from kgsynth.app.cli.state import CliState, pass_state
from kgsynth.app.summary import version_lines
from kgsynth.errors import InputError

QA_TYPE_NAMES = listed("synth.qa", "QA_TYPES")
COUNT = click.IntRange(min=1)


def _build(state: CliState, kind: str, params: dict, label: str) -> dict:
    """Run a synthesis job kind here (a job row) and print the new version, with any shortfall;
    returns the job's result."""
    result = state.run_job(kind, params, label)
    for line in version_lines(state.workspace().catalog.dataset(result["version_id"])):
        click.echo(line)
    return result


@click.group("synth")
def synth_group() -> None:
    """Synthesize labeled examples from the knowledge graph."""


@synth_group.command("qa")
@click.option(
    "--types",
    "-t",
    multiple=True,
    type=QA_TYPE_NAMES,
    help="QA types to build (repeatable; default: all).",
)
@click.option(
    "--n",
    "-n",
    type=COUNT,
    default=100,
    show_default=True,
    help="Total QA pairs (split over types).",
)
@click.option("--generator", "-g", default="template", show_default=True, help="Generator name.")
@click.option("--lang", default=None, help="Only entities in this language (en, zh).")
@click.option("--per-entity-cap", default=3, show_default=True, help="Max pairs per entity.")
@click.option("--seed", default=0, show_default=True, help="Random seed.")
@click.option("--name", default=None, help="Dataset name (default: qa).")
@click.option(
    "--balance",
    is_flag=True,
    help="Aim at even coverage: per-entity caps from the budget, quotas per entity type; "
    "prints the figures before and after.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Only print the budget: pairs per type and stratum, model calls, tokens and cost.",
)
@pass_state
def qa_cmd(state, types, n, generator, lang, per_entity_cap, seed, name, balance, dry_run) -> None:
    """Build a QA dataset version from graph facts, checked against its evidence."""
    params = {"types": list(types) or None, "n": n, "generator": generator, "lang": lang}
    params |= {"per_entity_cap": per_entity_cap, "seed": seed}
    if dry_run:
        from synth.qa import plan

        report = plan(
            state.workspace(), **{k: v for k, v in params.items() if v is not None}, balance=balance
        )
        click.echo("\n".join(report.lines()))
        return
    params |= {"name": name, "balance": balance or None}
    result = _build(state, "synth_qa", params, "qa")
    if balance:
        figures = state.workspace().catalog.dataset(result["version_id"]).stats.get("balance")
        if figures:
            click.echo(f"  {'balance':<22} {'before':>8} {'after':>8}")
            for key, after in figures["after"].items():
                click.echo(f"    {key:<20} {figures['before'][key]:>8} {after:>8}")


@synth_group.command("preview")
@click.option("--types", "-t", multiple=True, type=QA_TYPE_NAMES, help="QA types.")
@click.option("--n", "-n", type=COUNT, default=2, show_default=True, help="Pairs per type.")
@click.option("--generator", "-g", default="template", show_default=True, help="Generator name.")
@click.option("--seed", default=0, show_default=True, help="Random seed.")
@click.option("--show-prompt", is_flag=True, help="Also print the prompt sent to the generator.")
@pass_state
def preview_cmd(state, types, n, generator, seed, show_prompt) -> None:
    """Show a few QA pairs (and their prompts) without saving anything."""
    from synth.qa import QA_TYPES, preview

    items = preview(
        state.workspace(), types=tuple(types) or QA_TYPES, n=n, generator=generator, seed=seed
    )
    for item in items:
        if show_prompt:
            click.echo(f"--- prompt\n{item.prompt}")
        if item.example is not None:
            e = item.example
            click.echo(f"[{e.task}] {e.input}\n  -> {e.output}")
            click.echo(f"  evidence: {' | '.join(e.provenance.evidence[:2])}")
        else:
            click.echo(f"[rejected: {item.rejected}]")
    if not items:
        raise InputError("no QA candidates: the graph has no facts yet; ingest documents first")


@synth_group.command("classify")
@click.option(
    "--schema",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Label schema (YAML).",
)
@overrides(
    "synth.classify.ClassifyOptions",
    *("per_label", "unit", "selection", "drop_uncertain", "generator", "generated_per_label"),
    "seed",
    per_label={"type": COUNT, "help": "Examples per label."},
    unit={"type": listed("synth.classify", "UNITS"), "help": "What one example is."},
    selection={
        "type": listed("synth.classify", "SELECTIONS"),
        "help": "spread: units over the whole confidence range; top: the most confident only.",
    },
    drop_uncertain="With spread: fraction of each label's least confident units never used.",
    generator={"flags": ("-g",), "help": "Generator for extra examples (optional)."},
    generated_per_label="Generated per label.",
    seed="Random seed.",
)
@click.option("--name", default=None, help="Dataset name.")
@pass_state
def classify_cmd(state, schema, name, **options):
    """Build a weakly labeled classification set from a label schema and seeds; the flags
    override synth.classify.ClassifyOptions."""
    from synth.schema import load_schema, schema_warnings

    for line in schema_warnings(load_schema(schema)):
        click.echo(f"warning: {line}", err=True)
    params = {"schema": str(Path(schema).resolve()), "name": name, **options}
    _build(state, "synth_classify", params, "classify")


@synth_group.command("entity-typing")
@click.option("--n", "-n", type=COUNT, default=200, show_default=True, help="Examples.")
@click.option("--per-label", default=None, type=int, help="Cap per type (default: n / types).")
@click.option("--seed", default=0, show_default=True, help="Random seed.")
@click.option("--name", default=None, help="Dataset name (default: entity-typing).")
@pass_state
def entity_typing_cmd(state, n, per_label, seed, name) -> None:
    """Build an entity-typing set: a marked mention in its sentence → its type."""
    params = {"n": n, "per_label": per_label, "seed": seed, "name": name}
    _build(state, "synth_entity_typing", params, "entity typing")


@synth_group.command("relations")
@click.option("--n", "-n", type=COUNT, default=200, show_default=True, help="Examples.")
@click.option("--per-label", default=None, type=int, help="Cap per predicate.")
@click.option("--no-negative", is_flag=True, help="Leave out no_relation (co-occurrence) examples.")
@click.option("--seed", default=0, show_default=True, help="Random seed.")
@click.option("--name", default=None, help="Dataset name (default: relations).")
@pass_state
def relations_cmd(state, n, per_label, no_negative, seed, name) -> None:
    """Build a relation-classification set: two marked entities → the predicate."""
    params = {"n": n, "per_label": per_label, "include_negative": not no_negative}
    _build(state, "synth_relations", params | {"seed": seed, "name": name}, "relations")


@synth_group.command("update")
@click.argument("version")
@click.option("--name", default=None, help="Name of the new version (default: the old one's).")
@pass_state
def update_cmd(state, version, name) -> None:
    """Bring a dataset version up to date after ingesting a changed corpus: drop the examples
    whose documents, facts or entities changed, make new ones for the new material with the
    version's settings, replay its cleaning steps on them, keep every other example as it is."""
    from synth.update import UpdateReport

    result = state.run_job("synth_update", {"version": version, "name": name}, "update")
    report = UpdateReport.model_validate({k: v for k, v in result.items() if k != "job_id"})
    click.echo("\n".join(report.lines()))


def register(cli: click.Group) -> None:
    """Add the ``synth`` group to the main CLI."""
    cli.add_command(synth_group)


@synth_group.command("qa-report")
@click.argument("version")
@click.option(
    "--reader",
    type=click.Path(exists=True, file_okay=False),
    help="A reader trained on human questions: adds the answerable-and-correct rate.",
)
@click.option("--fluency", is_flag=True, help="Add question perplexity under SmolLM2-135M.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def qa_report_cmd(state, version, reader, fluency, as_json) -> None:
    """Quality of a QA dataset version: answer in context, overlap, diversity, wh-words."""
    from kgsynth.generators.models import smollm2_dir
    from synth.qa_report import qa_quality
    from synth.versions import load

    _, examples = load(state.workspace(), version)
    report = qa_quality(examples, reader=reader, fluency_model=smollm2_dir() if fluency else None)
    click.echo(report.model_dump_json(indent=1) if as_json else "\n".join(report.lines()))
