"""Dataset commands: ``kgsynth datasets list|show``, ``annotate``, ``review``, ``augment``, ``clean``
and ``export`` (thin wrappers over synth.annotate, synth.review, synth.augment, synth.clean and
synth.export)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kgsynth.app.cli.choices import listed, of
from kgsynth.app.cli.state import CliState, pass_state
from kgsynth.errors import InputError
from kgsynth.types import DatasetVersion, Example


def _summary(v: DatasetVersion) -> None:
    parents = ",".join(v.parents) or "-"
    click.echo(
        f"dataset {v.id}  name={v.name}  stage={v.stage}  examples={v.count}  from={parents}"
    )
    for key in ("tasks", "labels"):
        if v.stats.get(key):
            click.echo(f"  {key}: " + ", ".join(f"{k}={n}" for k, n in v.stats[key].items()))


def _csv(value: str | None) -> list[str]:
    return [x.strip() for x in (value or "").split(",") if x.strip()]


# ------------------------------------------------------------------ datasets


@click.group("datasets")
def datasets_group() -> None:
    """List and inspect dataset versions."""


@datasets_group.command("list")
@pass_state
def datasets_list(state: CliState) -> None:
    """All dataset versions, oldest first."""
    versions = state.workspace().catalog.datasets()
    if not versions:
        click.echo("no dataset versions yet; build one with `kgsynth synth ...`")
    for v in versions:
        click.echo(f"{v.id}  {v.name:<20} {v.stage:<9} {v.count:>7}  {v.created_at}")


@datasets_group.command("show")
@click.argument("ref")
@click.option("--examples", "-n", default=3, show_default=True, help="Examples to print.")
@pass_state
def datasets_show(state: CliState, ref: str, examples: int) -> None:
    """One version (by id or name): lineage, params, stats and a few examples."""
    ws = state.workspace()
    v = ws.catalog.dataset(ref)
    click.echo(json.dumps(v.model_dump(mode="json"), indent=2, ensure_ascii=False))
    for e in ws.catalog.examples(v.id)[:examples]:
        click.echo(json.dumps(_brief(e), ensure_ascii=False))


def _brief(e: Example) -> dict:
    keep = ("id", "task", "input", "output", "label", "confidence", "label_source", "parent_id")
    return {k: getattr(e, k) for k in keep if getattr(e, k) is not None}


# ------------------------------------------------------------------ annotate and review


@click.command("annotate")
@click.argument("version")
@click.option(
    "--method",
    type=listed("synth.annotate", "METHODS"),
    default="majority",
    show_default=True,
    help="How to combine the weak labels in meta['votes'].",
)
@click.option("--name", help="Name of the new version (default: the input's name).")
@pass_state
def annotate_cmd(state: CliState, version: str, method: str, name: str | None) -> None:
    """Combine weak labels into one label and confidence per example."""
    result = state.run_job(
        "annotate", {"version": version, "method": method, "name": name}, "annotate"
    )
    v = state.workspace().catalog.dataset(result["version_id"])
    _summary(v)
    agreement = v.stats.get("agreement", {})
    for source, s in agreement.get("sources", {}).items():
        click.echo(f"  source {source}: " + ", ".join(f"{k}={n}" for k, n in s.items()))


KEYS = "[a]ccept [r]eject re[l]abel [e]dit [s]kip [q]uit"


def _show(e: Example, n: int, total: int) -> None:
    click.echo("")
    click.echo(click.style(f"[{n}/{total}] {e.id}  task={e.task}", bold=True))
    click.echo(e.input)
    if e.output is not None:
        click.echo(f"→ {e.output}")
    label = f"label={e.label}  " if e.label is not None else ""
    click.echo(f"{label}confidence={e.confidence:.2f}  source={e.label_source}")
    for vote in e.meta.get("votes", []):
        conf = vote.get("confidence", 1.0)
        click.echo(f"  vote {vote.get('source')}: {vote.get('label')} ({conf:.2f})")
    for sentence in e.provenance.evidence[:3]:
        click.echo(f"  evidence: {' '.join(sentence.split())[:300]}")


def _key() -> str:
    """One key press in a terminal; a line of input otherwise (scripts, tests)."""
    if sys.stdin.isatty():
        click.echo(KEYS + " ", nl=False)
        while (key := click.getchar().lower()) not in "arlesq":
            pass
        click.echo(key)
        return key
    return click.prompt(KEYS, type=click.Choice(list("arlesq")), show_choices=False)


def _ask_label(labels: list[str]) -> str | None:
    """A label from the version's labels, asked until valid; None (empty answer) goes back."""
    from synth.review import check_label

    while True:
        answer = click.prompt(
            f"new label ({', '.join(labels)}; empty: back)", default="", show_default=False
        ).strip()
        if not answer:
            return None
        try:
            return check_label(answer, labels)
        except InputError as e:
            click.echo(str(e))


def _decision(e: Example, labels: list[str]) -> dict | None:
    """Ask for one example's decision: the arguments of synth.review.decide, or None to skip;
    raises _Quit for q (or the end of the input)."""
    while True:
        try:
            key = _key()
        except click.exceptions.Abort:
            raise _Quit() from None
        if key == "q":
            raise _Quit()
        if key == "s":
            return None
        if key == "l":
            if not labels:
                click.echo("these examples have no labels; use [e]dit to change the text")
                continue
            label = _ask_label(labels)
            if label is None:
                continue
            return {"action": "relabel", "label": label}
        if key == "e":
            text = click.prompt("input", default=e.input)
            out = click.prompt("output", default=e.output) if e.output is not None else None
            return {"action": "edit", "input": text, "output": out}
        return {"action": {"a": "accept", "r": "reject"}[key]}


class _Quit(Exception):
    """The reviewer pressed q (or the input ended)."""


@click.command("review")
@click.argument("version")
@click.option("--reviewer", default="anonymous", show_default=True, help="Who is reviewing.")
@click.option("--limit", default=50, show_default=True, help="Examples to show at most.")
@click.option(
    "--rescore/--no-rescore",
    default=True,
    show_default=True,
    help="Re-score the unreviewed examples after the session.",
)
@pass_state
def review_cmd(state: CliState, version: str, reviewer: str, limit: int, rescore: bool) -> None:
    """Review the most uncertain examples in the terminal; keys a/r/l/e/s/q. Decisions are saved
    as you go; at the end a new version applies them (reviewed labels win)."""
    from synth.review import decide, labels_of, progress_of, queue

    ws = state.workspace()
    v = ws.catalog.dataset(version)
    todo = queue(ws, v.id, limit=limit)
    labels = labels_of(ws, v)
    reviewed, total = progress_of(ws, v.id)
    click.echo(
        f"{v.name} ({v.id}): {total} examples, {reviewed} already reviewed;"
        f" showing the {len(todo)} most uncertain"
    )
    made = 0
    for n, e in enumerate(todo, 1):
        _show(e, n, len(todo))
        try:
            choice = _decision(e, labels)
        except _Quit:
            break
        if choice is not None:
            decide(ws, v.id, e.id, reviewer=reviewer, **choice)
            made += 1
    click.echo(f"{made} decisions saved")
    if made:
        what = ", re-scoring the unreviewed examples" if rescore else ""
        click.echo(f"writing a new version with the reviewed labels{what}…")
        params = {"version": v.id, "rescore": rescore}
        result = state.run_job("review_apply", params, "re-score")
        _summary(ws.catalog.dataset(result["version_id"]))


# ------------------------------------------------------------------ augment, clean, export


@click.command("augment")
@click.argument("version")
@click.option(
    "--methods",
    default="synonym,insert,swap,delete",
    show_default=True,
    help="EDA methods, comma separated.",
)
@click.option("--per-example", default=1, show_default=True, help="New examples per example.")
@click.option(
    "--balance/--no-balance",
    default=True,
    show_default=True,
    help="Give minority labels more augmented examples.",
)
@click.option("--entity-swap", is_flag=True, help="QA: swap an entity for another of its type.")
@click.option("--alpha", default=0.1, show_default=True, help="Share of words changed.")
@click.option("--seed", default=0, show_default=True)
@click.option("--name", help="Name of the new version (default: the input's name).")
@pass_state
def augment_cmd(
    state: CliState, version, methods, per_example, balance, entity_swap, alpha, seed, name
) -> None:
    """Add EDA variants (and entity swaps) of the examples, linked to their parents."""
    params = {"version": version, "methods": _csv(methods), "per_example": per_example}
    params |= {"balance": balance, "entity_swap": entity_swap, "alpha": alpha, "seed": seed}
    result = state.run_job("augment", params | {"name": name}, "augment")
    v = state.workspace().catalog.dataset(result["version_id"])
    _summary(v)
    click.echo(f"  augmented: {v.stats.get('augmented', 0)} {v.stats.get('by_method', {})}")


def _options(pairs: tuple[str, ...]) -> dict[str, dict]:
    """--option near_dedup.threshold=0.8 → {"near_dedup": {"threshold": 0.8}} (JSON values)."""
    out: dict[str, dict] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        name, dot, field = key.partition(".")
        if not (sep and dot and field):
            raise InputError(
                f"--option {pair!r}: use FILTER.KEY=VALUE, e.g. near_dedup.threshold=0.8"
            )
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out.setdefault(name, {})[field] = value
    return out


@click.command("clean")
@click.argument("version")
@click.option("--filters", help="Filters in order, comma separated (default: the standard chain).")
@click.option(
    "--eval-set",
    "eval_sets",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Evaluation set to decontaminate against (jsonl/csv/txt); repeatable.",
)
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="FILTER.KEY=VALUE",
    help="A filter option, e.g. pii.mode=drop; repeatable.",
)
@click.option("--name", help="Name of the new version (default: the input's name).")
@pass_state
def clean_cmd(state: CliState, version, filters, eval_sets, options, name) -> None:
    """Run cleaning filters; writes a new version and a JSON + Markdown report."""
    params = {"version": version, "filters": _csv(filters) or None, "options": _options(options)}
    params["eval_sets"] = [str(Path(p).resolve()) for p in eval_sets]
    result = state.run_job("clean", params | {"name": name}, "clean")
    _summary(state.workspace().catalog.dataset(result["version_id"]))
    report = json.loads(Path(result["report_json"]).read_text(encoding="utf-8"))
    for f in report["filters"]:
        reasons = ", ".join(f"{k}={n}" for k, n in f["reasons"].items())
        click.echo(
            f"  {f['filter']:<15} removed {f['removed']:>5}  modified {f['modified']:>5}"
            + (f"  ({reasons})" if reasons else "")
        )
    click.echo(f"report: {result['report_md']}")


@click.command("export")
@click.argument("version")
@click.option(
    "--format",
    "fmt",
    required=True,
    type=of("exporters"),
    help="Output format (an exporter's name).",
)
@click.option("--out", type=click.Path(file_okay=False), help="Output directory.")
@click.option("--split", default="0.8,0.1,0.1", show_default=True, help="train,dev,test shares.")
@click.option("--seed", default=0, show_default=True)
@click.option(
    "--provenance/--no-provenance",
    default=True,
    show_default=True,
    help="Carry each example's sources (documents, chunks, evidence, facts, template, generator).",
)
@pass_state
def export_cmd(state: CliState, version, fmt, out, split, seed, provenance) -> None:
    """Write train/dev/test files, a dataset card and a LLaMA-Factory dataset_info.json."""
    from synth.export import split_shares

    params = {"version": version, "format": fmt, "split": list(split_shares(split)), "seed": seed}
    params |= {"out": str(Path(out).resolve()) if out else None, "provenance": provenance}
    result = state.run_job("export", params, "export")
    counts = ", ".join(f"{k}={n}" for k, n in result["counts"].items())
    click.echo(f"exported to {result['path']}: {counts}")
    for f in result["files"]:
        click.echo(f"  {f}")
    for warning in result["warnings"]:
        click.echo(f"warning: {warning}", err=True)


def register(cli: click.Group) -> None:
    """Add this module's commands to the main group."""
    cli.add_command(datasets_group)
    # a hidden alias: the catalog's not-found message says `kgsynth data list`
    alias = click.Group(
        "data", commands=datasets_group.commands, hidden=True, help=datasets_group.help
    )
    cli.add_command(alias)
    for command in (annotate_cmd, review_cmd, augment_cmd, clean_cmd, export_cmd):
        cli.add_command(command)
