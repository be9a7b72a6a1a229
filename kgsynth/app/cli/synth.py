"""``kgsynth synth``: build QA sets, classification sets and graph tasks (thin wrappers over synth.*)."""

from __future__ import annotations

import json

import click

from kgsynth.app.cli import pass_state, progress_bar
from kgsynth.types import DatasetVersion

QA_TYPE_NAMES = ("single_fact", "multi_hop", "aggregation", "comparison", "yes_no", "extractive")


def _report(version: DatasetVersion) -> None:
    stats = version.stats
    click.echo(f"dataset {version.id}  name={version.name}  examples={version.count}")
    for key in ("tasks", "labels"):
        if stats.get(key):
            click.echo(f"  {key}: " + ", ".join(f"{k}={v}" for k, v in sorted(stats[key].items())))
    rejected = stats.get("rejected") or {}
    total = stats.get("rejected_total", sum(rejected.values()) if rejected else 0)
    click.echo(f"  rejected: {total}" + (f" ({json.dumps(rejected)})" if rejected else ""))


@click.group("synth")
def synth_group() -> None:
    """Synthesize labeled examples from the knowledge graph."""


@synth_group.command("qa")
@click.option(
    "--types",
    "-t",
    multiple=True,
    type=click.Choice(QA_TYPE_NAMES),
    help="QA types to build (repeatable; default: all).",
)
@click.option(
    "--n", "-n", default=100, show_default=True, help="Total QA pairs (split over types)."
)
@click.option("--generator", "-g", default="template", show_default=True, help="Generator name.")
@click.option("--lang", default=None, help="Only entities in this language (en, zh).")
@click.option("--per-entity-cap", default=3, show_default=True, help="Max pairs per entity.")
@click.option("--seed", default=0, show_default=True, help="Random seed.")
@click.option("--name", default=None, help="Dataset name (default: qa).")
@pass_state
def qa_cmd(state, types, n, generator, lang, per_entity_cap, seed, name) -> None:
    """Build a QA dataset version from graph facts, checked against its evidence."""
    from synth.qa import QA_TYPES, build_qa

    version = build_qa(
        state.workspace(),
        types=tuple(types) or QA_TYPES,
        n=n,
        generator=generator,
        lang=lang,
        per_entity_cap=per_entity_cap,
        seed=seed,
        name=name,
        progress=progress_bar("qa"),
    )
    _report(version)


@synth_group.command("preview")
@click.option("--types", "-t", multiple=True, type=click.Choice(QA_TYPE_NAMES), help="QA types.")
@click.option("--n", "-n", default=2, show_default=True, help="Pairs per type.")
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
        click.echo("no QA candidates: is the graph empty? (kgsynth ingest ...)")


@synth_group.command("classify")
@click.option(
    "--schema",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Label schema (YAML).",
)
@click.option("--per-label", default=200, show_default=True, help="Examples per label.")
@click.option("--unit", default="document", show_default=True, help="document | chunk.")
@click.option(
    "--selection",
    default="spread",
    show_default=True,
    help="spread: units over the whole confidence range; top: the most confident only.",
)
@click.option(
    "--drop-uncertain",
    default=0.1,
    show_default=True,
    help="With spread: fraction of each label's least confident units never used.",
)
@click.option("--generator", "-g", default=None, help="Generator for extra examples (optional).")
@click.option("--generated-per-label", default=0, show_default=True, help="Generated per label.")
@click.option("--seed", default=0, show_default=True, help="Random seed.")
@click.option("--name", default=None, help="Dataset name.")
@pass_state
def classify_cmd(
    state,
    schema,
    per_label,
    unit,
    selection,
    drop_uncertain,
    generator,
    generated_per_label,
    seed,
    name,
):
    """Build a weakly labeled classification set from a label schema and seeds."""
    from synth.classify import build_classification

    version = build_classification(
        state.workspace(),
        schema,
        per_label=per_label,
        unit=unit,
        selection=selection,
        drop_uncertain=drop_uncertain,
        generator=generator,
        generated_per_label=generated_per_label,
        seed=seed,
        name=name,
        progress=progress_bar("classify"),
    )
    _report(version)


@synth_group.command("entity-typing")
@click.option("--n", "-n", default=200, show_default=True, help="Examples.")
@click.option("--per-label", default=None, type=int, help="Cap per type (default: n / types).")
@click.option("--seed", default=0, show_default=True, help="Random seed.")
@click.option("--name", default=None, help="Dataset name (default: entity-typing).")
@pass_state
def entity_typing_cmd(state, n, per_label, seed, name) -> None:
    """Build an entity-typing set: a marked mention in its sentence → its type."""
    from synth.graph_tasks import build_entity_typing

    version = build_entity_typing(
        state.workspace(),
        n=n,
        per_label=per_label,
        seed=seed,
        name=name,
        progress=progress_bar("entity typing"),
    )
    _report(version)


@synth_group.command("relations")
@click.option("--n", "-n", default=200, show_default=True, help="Examples.")
@click.option("--per-label", default=None, type=int, help="Cap per predicate.")
@click.option("--no-negative", is_flag=True, help="Leave out no_relation (co-occurrence) examples.")
@click.option("--seed", default=0, show_default=True, help="Random seed.")
@click.option("--name", default=None, help="Dataset name (default: relations).")
@pass_state
def relations_cmd(state, n, per_label, no_negative, seed, name) -> None:
    """Build a relation-classification set: two marked entities → the predicate."""
    from synth.graph_tasks import build_relation_classification

    version = build_relation_classification(
        state.workspace(),
        n=n,
        per_label=per_label,
        include_negative=not no_negative,
        seed=seed,
        name=name,
        progress=progress_bar("relations"),
    )
    _report(version)


def register(cli: click.Group) -> None:
    """Add the ``synth`` group to the main CLI."""
    cli.add_command(synth_group)
