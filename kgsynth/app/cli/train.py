"""CLI: fine-tuning, evaluation, run comparison and the job runner (thin over finetune.*)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from finetune.classifier import CLASS_WEIGHTS
from kgsynth.app.cli.overrides import overrides
from kgsynth.app.cli.state import CliState

pass_state = click.make_pass_decorator(CliState)
DATA = click.Path(exists=True, resolve_path=True)


def _run(state: CliState, kind: str, params: dict, wait: bool) -> None:
    """Run a job kind in this process (--wait) or in a background worker, and print the outcome."""
    from kgsynth import jobs

    ws = state.workspace(create=True)  # a run may start a project
    params = {k: v for k, v in params.items() if v is not None}
    if not wait:
        job = jobs.submit(ws, kind, params)
        click.echo(
            f"submitted {job.id} (pid {job.pid}); follow it with `kgsynth jobs show {job.id}`"
        )
        return
    job = jobs.run_inline(ws, kind, params, echo=click.echo)
    _print_outcome(job)


def _print_outcome(job) -> None:
    click.echo(f"job {job.id}: {job.state.value}")
    if job.error:
        raise click.ClickException(job.error.splitlines()[0])
    shown = {k: v for k, v in job.result.items() if k not in ("history", "steps", "loss_steps")}
    click.echo(json.dumps(shown, indent=1, default=str))


@click.group("train")
def train_group() -> None:
    """Fine-tune models on exported datasets."""


def run_options(command):
    """--name, --out and --wait/--background: where a training run goes and how it runs."""
    command = click.option(
        "--wait/--background", default=True, help="Run here, or in a background job."
    )(command)
    command = click.option(
        "--out", type=click.Path(resolve_path=True), help="Output directory (overrides --name)."
    )(command)
    return click.option("--name", help="Run name (output in <workspace>/runs/<name>).")(command)


def model_dir(text: str):
    """--model: the model directory to start from (an option model's `model` field)."""
    return click.option("--model", type=click.Path(exists=True, resolve_path=True), help=text)


@train_group.command("classifier")
@click.argument("data", type=DATA)
@model_dir("Encoder dir (default: MiniLM).")
@overrides(
    "finetune.classifier.TrainConfig",
    *("epochs", "lr", "batch_size", "max_length", "patience", "class_weight", "seed"),
    patience="Early-stopping epochs.",
    class_weight={
        "type": click.Choice(CLASS_WEIGHTS),
        "help": "Weigh each label's loss by its rarity (balanced) or not (none).",
    },
)
@run_options
@pass_state
def train_classifier_cmd(state: CliState, data, name, out, wait, **hyper):
    """Fine-tune a text classifier on DATA (an export dir or a jsonl/csv file); the flags
    override finetune.classifier.TrainConfig."""
    _run(state, "train_classifier", dict(data=data, name=name, out=out, **hyper), wait)


@train_group.command("reader")
@click.argument("data", type=DATA)
@click.option(
    "--eval", "eval_", type=DATA, help="SQuAD .json/.jsonl to score (default: test split)."
)
@model_dir("Encoder dir (default: MiniLM).")
@overrides("finetune.reader.ReaderConfig", "epochs", "lr", "batch_size", "max_length", "seed")
@run_options
@pass_state
def train_reader_cmd(state: CliState, data, eval_, name, out, wait, **hyper):
    """Fine-tune an extractive QA reader on DATA (a squad export dir or a SQuAD .json/.jsonl).

    Reports SQuAD EM/F1 overall and per question type on --eval (or the export's test split).
    """
    params = dict(data=data, eval=eval_, name=name, out=out, **hyper)
    _run(state, "train_reader", params, wait)


@train_group.command("sft")
@click.argument("data", type=DATA)
@model_dir("Causal LM dir (default: SmolLM2-135M).")
@overrides(
    "finetune.sft.SFTConfig",
    *("epochs", "lr", "batch_size", "max_length", "max_steps", "lora_r", "eval_n", "seed"),
    max_steps="Stop after N steps (0: no cap).",
    eval_n="Held-out questions to score.",
)
@run_options
@pass_state
def train_sft_cmd(state: CliState, data, name, out, wait, **hyper):
    """LoRA-tune a causal LM on a QA export (OpenAI messages or alpaca jsonl); the flags
    override finetune.sft.SFTConfig."""
    _run(state, "train_sft", dict(data=data, name=name, out=out, **hyper), wait)


@click.command("evaluate")
@click.argument("model_dir", type=click.Path(exists=True, file_okay=False, resolve_path=True))
@click.argument("data", type=DATA)
@click.option(
    "--out", type=click.Path(resolve_path=True), help="Report dir (default: MODEL_DIR/eval)."
)
def evaluate_cmd(model_dir, data, out):
    """Score a fine-tuned classifier on held-out DATA (an export's test split or a file)."""
    from finetune.evaluate import evaluate_classifier

    report = evaluate_classifier(model_dir, data, out)
    click.echo(Path(report.files["markdown"]).read_text())
    click.echo(f"report: {report.files['markdown']}")


@click.command("compare")
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, resolve_path=True))
@click.option(
    "--out",
    type=click.Path(resolve_path=True),
    help="Output dir (default: <workspace>/runs/compare).",
)
@pass_state
def compare_cmd(state: CliState, runs, out):
    """Compare evaluated runs side by side (run dirs or report.json files)."""
    from finetune.evaluate import compare_runs

    md = compare_runs(list(runs), out or state.workspace().dir("runs") / "compare")
    click.echo(md.read_text())
    click.echo(f"written: {md}")


@click.group("jobs")
def jobs_group() -> None:
    """List, inspect, cancel and resume background jobs."""


@jobs_group.command("list")
@click.option("--limit", type=int, default=20, show_default=True)
@pass_state
def jobs_list(state: CliState, limit):
    """Jobs, newest first (dead workers are marked failed)."""
    from kgsynth import jobs

    ws = state.workspace()
    jobs.refresh(ws)
    for job in ws.catalog.jobs(limit=limit):
        click.echo(
            f"{job.id}  {job.kind:<18} {job.state.value:<10} {job.done}/{job.total}  {job.message}"
        )


@jobs_group.command("show")
@click.argument("job_id")
@pass_state
def jobs_show(state: CliState, job_id):
    """One job's record as JSON."""
    from kgsynth import jobs

    ws = state.workspace()
    jobs.refresh(ws)
    click.echo(ws.catalog.job(job_id).model_dump_json(indent=1))


@jobs_group.command("logs")
@click.argument("job_id")
@click.option("--tail", type=int, default=0, help="Only the last N lines.")
@pass_state
def jobs_logs(state: CliState, job_id, tail):
    """A job's log lines."""
    ws = state.workspace()
    ws.catalog.job(job_id)
    for line in ws.catalog.logs(job_id, tail=tail or None):
        click.echo(line)


@jobs_group.command("cancel")
@click.argument("job_id")
@pass_state
def jobs_cancel(state: CliState, job_id):
    """Stop a queued or running job."""
    from kgsynth import jobs

    job = jobs.cancel(state.workspace(), job_id)
    click.echo(f"job {job.id}: {job.state.value}")


@jobs_group.command("resume")
@click.argument("job_id")
@click.option("--wait/--background", default=False, help="Run here, or in a background worker.")
@pass_state
def jobs_resume(state: CliState, job_id, wait):
    """Re-run a failed or cancelled job from its last checkpoint."""
    from kgsynth import jobs

    job = jobs.resume(
        state.workspace(), job_id, background=not wait, echo=click.echo if wait else None
    )
    if wait:
        _print_outcome(job)
    else:
        click.echo(f"resumed {job.id} (pid {job.pid})")


def register(cli: click.Group) -> None:
    """Add this module's commands to the main group."""
    cli.add_command(train_group)
    cli.add_command(evaluate_cmd)
    cli.add_command(compare_cmd)
    cli.add_command(jobs_group)
