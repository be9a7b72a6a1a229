"""Dataset commands: ``kgsynth datasets list|show``, ``annotate``, ``review``, ``augment``, ``clean``
and ``export`` (thin wrappers over synth.annotate, synth.review, synth.augment, synth.clean and
synth.export)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kgsynth.app.cli import CliState, pass_state, progress_bar
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
    type=click.Choice(["majority", "label_model"]),
    default="majority",
    show_default=True,
    help="How to combine the weak labels in meta['votes'].",
)
@click.option("--name", help="Name of the new version (default: the input's name).")
@pass_state
def annotate_cmd(state: CliState, version: str, method: str, name: str | None) -> None:
    """Combine weak labels into one label and confidence per example."""
    from synth.annotate import annotate

    v = annotate(
        state.workspace(), version, method=method, name=name, progress=progress_bar("annotate")
    )
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
    click.echo(f"label={e.label}  confidence={e.confidence:.2f}  source={e.label_source}")
    for vote in e.meta.get("votes", []):
        conf = vote.get("confidence", 1.0)
        click.echo(f"  vote {vote.get('source')}: {vote.get('label')} ({conf:.2f})")


def _key() -> str:
    """One key press in a terminal; a line of input otherwise (scripts, tests)."""
    if sys.stdin.isatty():
        click.echo(KEYS + " ", nl=False)
        while (key := click.getchar().lower()) not in "arlesq":
            pass
        click.echo(key)
        return key
    return click.prompt(KEYS, type=click.Choice(list("arlesq")), show_choices=False)


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
    from synth.review import apply_reviews, decide, queue

    ws = state.workspace()
    v = ws.catalog.dataset(version)
    todo = queue(ws, v.id, limit=limit)
    made = 0
    for n, e in enumerate(todo, 1):
        _show(e, n, len(todo))
        key = _key()
        if key == "q":
            break
        if key == "s":
            continue
        action = {"a": "accept", "r": "reject", "l": "relabel", "e": "edit"}[key]
        label = click.prompt("label", default=e.label or "") if key == "l" else None
        text = click.prompt("input", default=e.input) if key == "e" else None
        output = (
            click.prompt("output", default=e.output)
            if key == "e" and e.output is not None
            else None
        )
        decide(ws, v.id, e.id, action, label=label, input=text, output=output, reviewer=reviewer)
        made += 1
    click.echo(f"{made} decisions saved")
    if made:
        _summary(apply_reviews(ws, v.id, rescore=rescore))


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
    from synth.augment import augment

    v = augment(
        state.workspace(),
        version,
        methods=_csv(methods),
        per_example=per_example,
        balance=balance,
        entity_swap=entity_swap,
        alpha=alpha,
        seed=seed,
        name=name,
        progress=progress_bar("augment"),
    )
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
    from synth.clean import clean

    result = clean(
        state.workspace(),
        version,
        filters=_csv(filters) or None,
        options=_options(options),
        eval_sets=[Path(p) for p in eval_sets],
        name=name,
        progress=progress_bar("clean"),
    )
    _summary(result.version)
    for f in result.report["filters"]:
        reasons = ", ".join(f"{k}={n}" for k, n in f["reasons"].items())
        click.echo(
            f"  {f['filter']:<15} removed {f['removed']:>5}  modified {f['modified']:>5}"
            + (f"  ({reasons})" if reasons else "")
        )
    click.echo(f"report: {result.report_md}")


@click.command("export")
@click.argument("version")
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(
        ["alpaca", "sharegpt", "openai", "classification-jsonl", "csv", "parquet", "hf"]
    ),
    help="Output format.",
)
@click.option("--out", type=click.Path(file_okay=False), help="Output directory.")
@click.option("--split", default="0.8,0.1,0.1", show_default=True, help="train,dev,test shares.")
@click.option("--seed", default=0, show_default=True)
@pass_state
def export_cmd(state: CliState, version, fmt, out, split, seed) -> None:
    """Write train/dev/test files, a dataset card and a LLaMA-Factory dataset_info.json."""
    from synth.export import export

    try:
        fractions = tuple(float(x) for x in _csv(split))
    except ValueError:
        fractions = ()
    if len(fractions) != 3 or abs(sum(fractions) - 1) > 1e-6:
        raise InputError(f"--split {split!r}: give three shares that add up to 1, e.g. 0.8,0.1,0.1")
    result = export(
        state.workspace(),
        version,
        format=fmt,
        out=Path(out) if out else None,
        split=fractions,
        seed=seed,
        progress=progress_bar("export"),
    )
    click.echo(
        f"exported to {result.path}: " + ", ".join(f"{k}={n}" for k, n in result.counts.items())
    )
    for f in result.files:
        click.echo(f"  {f}")


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
