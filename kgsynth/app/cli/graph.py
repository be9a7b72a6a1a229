"""``kgsynth ingest`` and ``kgsynth graph stats|show|path|search|merges|export``: thin commands."""

from __future__ import annotations

from pathlib import Path

import click

from kgsynth.app.cli.choices import of
from kgsynth.app.cli.state import CliState, pass_state
from kgsynth.errors import InputError


def register(cli: click.Group) -> None:
    """Add this module's commands to the main group."""
    cli.add_command(ingest_cmd)
    cli.add_command(graph)


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--extractor",
    "extractors",
    multiple=True,
    type=of("extractors"),
    help="Extractor(s) to use (repeatable; default from config).",
)
@click.option("--text-col", default="text", show_default=True, help="CSV column holding the text.")
@click.option("--field", default="text", show_default=True, help="JSONL field holding the text.")
@click.option(
    "--on-error",
    type=click.Choice(["skip", "raise"]),
    default="skip",
    show_default=True,
    help="Skip bad files (with a reason) or stop at the first.",
)
@click.option(
    "--sync",
    is_flag=True,
    help="Also remove documents ingested before from these paths whose files are gone.",
)
@pass_state
def ingest_cmd(state: CliState, paths, extractors, text_col, field, on_error, sync) -> None:
    """Ingest files or folders (.txt .md .html .pdf .csv .jsonl) into the knowledge graph.

    Unchanged documents are skipped, changed ones replaced; each batch's graph changes are
    recorded, so `kgsynth synth update` can refresh datasets built before."""
    from kg.ingest import IngestReport

    params = {"paths": [str(Path(p).resolve()) for p in paths], "text_col": text_col}
    params |= {"extractors": list(extractors) or None, "field": field, "on_error": on_error}
    params |= {"sync": sync or None}
    result = state.run_job("ingest", params, "ingest", create=True)
    report = IngestReport.model_validate({k: v for k, v in result.items() if k != "job_id"})
    click.echo(report.summary())
    if not report.documents and not report.unchanged and not report.removed:
        raise InputError("nothing was ingested: every input was skipped (reasons above)")


@click.group("graph")
def graph() -> None:
    """Inspect the knowledge graph: stats, entities, facts, paths, merges, exports."""


@graph.command("stats")
@pass_state
def stats_cmd(state: CliState) -> None:
    """Counts of entities, relations, types and predicates."""
    s = state.workspace().store.stats()
    click.echo(
        f"entities: {s.entities}\nrelations: {s.relations}\nco-occurrences: {s.cooccurrences}"
    )
    click.echo("entity types: " + ", ".join(f"{k} {v}" for k, v in _top(s.entity_types)))
    click.echo("predicates: " + ", ".join(f"{k} {v}" for k, v in _top(s.predicates, 15)))


@graph.command("show")
@click.argument("entity")
@click.option("--limit", default=20, show_default=True, help="Most typed facts to show.")
@click.option(
    "--cooccurrences",
    default=10,
    show_default=True,
    help="Strongest co-occurrences (untyped: sharing sentences) to list after the facts; 0: none.",
)
@pass_state
def show_cmd(state: CliState, entity: str, limit: int, cooccurrences: int) -> None:
    """An entity's facts, then its strongest co-occurrences, with evidence sentences and sources."""
    from kg.explore import show_entity

    view = show_entity(state.workspace(), entity, limit=limit, cooccurrences=cooccurrences)
    e = view.entity
    click.echo(f"{e.name} [{e.type}] {e.id} ({e.mentions} mentions)")
    if e.aliases:
        click.echo("aliases: " + ", ".join(e.aliases))
    for f in view.facts:
        click.echo(
            f"- {f.source.name} -[{f.relation.predicate}]-> {f.target.name} (x{f.relation.weight:g})"
        )
        for ev in f.relation.evidence[:3]:
            click.echo(f'    "{ev.sentence}"  ({view.sources.get(ev.doc_id, ev.doc_id)})')
    if not view.facts:
        click.echo("(no typed facts)")
    if view.cooccurrences:
        click.echo("co-occurs with (same sentences, relation not typed):")
    for f in view.cooccurrences:
        other = f.target if f.source.id == e.id else f.source
        click.echo(f"~ {other.name} [{other.type}] (x{f.relation.weight:g})")
        for ev in f.relation.evidence[:2]:
            click.echo(f'    "{ev.sentence}"  ({view.sources.get(ev.doc_id, ev.doc_id)})')


@graph.command("path")
@click.argument("a")
@click.argument("b")
@click.option("--max-hops", default=3, show_default=True, help="Longest path to look for.")
@click.option(
    "--cooccurrence/--typed-only",
    default=None,
    help="Also walk co-occurrence edges (marked ~[co-occurs]~); by default only when typed "
    "relations join nothing.",
)
@pass_state
def path_cmd(state: CliState, a: str, b: str, max_hops: int, cooccurrence: bool | None) -> None:
    """Shortest paths between two entities."""
    from kg.explore import describe_path, find_paths

    paths = find_paths(state.workspace(), a, b, max_hops=max_hops, cooccurrence=cooccurrence)
    for p in paths:
        click.echo(describe_path(p))
    if not paths:
        click.echo(f"no path within {max_hops} hops")


@graph.command("search")
@click.argument("query")
@click.option("--limit", default=10, show_default=True, help="Most entities to list.")
@click.option("--type", "type_", default=None, help="Only this entity type (PERSON, ORG, ...).")
@pass_state
def search_cmd(state: CliState, query: str, limit: int, type_: str | None) -> None:
    """Entities whose name or alias matches QUERY."""
    hits = state.workspace().store.search(query, limit=limit, type=type_)
    for e in hits:
        click.echo(f"{e.name} [{e.type}] {e.id} ({e.mentions} mentions)")
    if not hits:
        click.echo("(no match)")


@graph.command("merges")
@click.option("--limit", default=100, show_default=True, help="Most merges to list.")
@pass_state
def merges_cmd(state: CliState, limit: int) -> None:
    """Entity-resolution decisions: which names were merged into which entity, and why."""
    merges = state.workspace().catalog.merges(limit=limit)
    for m in merges:
        click.echo(f"{m.reason:<10} {m.merged_name} -> {m.kept_name} ({m.kept_id}, {m.score:.2f})")
    if not merges:
        click.echo("(no merges)")


@graph.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["graphml", "jsonl"]),
    default="jsonl",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Output file (default: <workspace>/exports/graph.<format>).",
)
@pass_state
def export_cmd(state: CliState, fmt: str, out: str | None) -> None:
    """Write the whole graph to a file."""
    from kg.explore import export_graph

    click.echo(str(export_graph(state.workspace(), fmt, out)))


@graph.command("query")
@click.argument("text")
@click.option("--limit", default=50, show_default=True, help="Most rows to print.")
@pass_state
def query_cmd(state: CliState, text: str, limit: int) -> None:
    """Run a read-only console query (Neo4j: Cypher; embedded: `search X`, `facts X`, ...)."""
    import json

    for row in state.workspace().store.query(text, limit=limit):
        click.echo(json.dumps(row, ensure_ascii=False, default=str))


def _top(counts: dict[str, int], n: int = 10) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: -kv[1])[:n]
