"""CLI: fine-tuning, evaluation, run comparison and the job runner (thin over finetune.*)."""

from __future__ import annotations

import json
from pathlib import Path

import click

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
    click.echo(
        json.dumps({k: v for k, v in job.result.items() if k != "history"}, indent=1, default=str)
    )


@click.group("train")
def train_group() -> None:
    """Fine-tune models on exported datasets."""


@train_group.command("classifier")
@click.argument("data", type=DATA)
@click.option(
    "--model",
    type=click.Path(exists=True, resolve_path=True),
    help="Encoder dir (default: MiniLM).",
)
@click.option("--epochs", type=int, default=3, show_default=True)
@click.option("--lr", type=float, default=5e-5, show_default=True)
@click.option("--batch-size", type=int, default=16, show_default=True)
@click.option("--max-length", type=int, default=256, show_default=True)
@click.option("--patience", type=int, default=2, show_default=True, help="Early-stopping epochs.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--name", help="Run name (output in <workspace>/runs/<name>).")
@click.option(
    "--out", type=click.Path(resolve_path=True), help="Output directory (overrides --name)."
)
@click.option("--wait/--background", default=True, help="Run here, or in a background job.")
@pass_state
def train_classifier_cmd(
    state: CliState,
    data,
    model,
    epochs,
    lr,
    batch_size,
    max_length,
    patience,
    seed,
    name,
    out,
    wait,
):
    """Fine-tune a text classifier on DATA (an export dir or a jsonl/csv file)."""
    params = dict(data=data, model=model, epochs=epochs, lr=lr, batch_size=batch_size)
    params |= dict(max_length=max_length, patience=patience, seed=seed, name=name, out=out)
    _run(state, "train_classifier", params, wait)


def _reader_default(field: str):
    from finetune.reader import ReaderConfig

    return ReaderConfig.model_fields[field].default


@train_group.command("reader")
@click.argument("data", type=DATA)
@click.option(
    "--eval", "eval_", type=DATA, help="SQuAD .json/.jsonl to score (default: test split)."
)
@click.option(
    "--model",
    type=click.Path(exists=True, resolve_path=True),
    help="Encoder dir (default: MiniLM).",
)
@click.option("--epochs", type=int, help=f"[default: {_reader_default('epochs')}]")
@click.option("--lr", type=float, help=f"[default: {_reader_default('lr')}]")
@click.option("--batch-size", type=int, help=f"[default: {_reader_default('batch_size')}]")
@click.option("--max-length", type=int, help=f"[default: {_reader_default('max_length')}]")
@click.option("--seed", type=int, help=f"[default: {_reader_default('seed')}]")
@click.option("--name", help="Run name (output in <workspace>/runs/<name>).")
@click.option(
    "--out", type=click.Path(resolve_path=True), help="Output directory (overrides --name)."
)
@click.option("--wait/--background", default=True, help="Run here, or in a background job.")
@pass_state
def train_reader_cmd(
    state: CliState, data, eval_, model, epochs, lr, batch_size, max_length, seed, name, out, wait
):
    """Fine-tune an extractive QA reader on DATA (a squad export dir or a SQuAD .json/.jsonl).

    Reports SQuAD EM/F1 overall and per question type on --eval (or the export's test split).
    """
    params = dict(data=data, eval=eval_, model=model, epochs=epochs, lr=lr, batch_size=batch_size)
    params |= dict(max_length=max_length, seed=seed, name=name, out=out)
    _run(state, "train_reader", params, wait)


@train_group.command("sft")
@click.argument("data", type=DATA)
@click.option(
    "--model",
    type=click.Path(exists=True, resolve_path=True),
    help="Causal LM dir (default: SmolLM2-135M).",
)
@click.option("--epochs", type=int, default=1, show_default=True)
@click.option("--lr", type=float, default=2e-4, show_default=True)
@click.option("--batch-size", type=int, default=4, show_default=True)
@click.option("--max-length", type=int, default=256, show_default=True)
@click.option(
    "--max-steps", type=int, default=0, show_default=True, help="Stop after N steps (0: no cap)."
)
@click.option("--lora-r", type=int, default=8, show_default=True)
@click.option(
    "--eval-n", type=int, default=20, show_default=True, help="Held-out questions to score."
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--name", help="Run name (output in <workspace>/runs/<name>).")
@click.option(
    "--out", type=click.Path(resolve_path=True), help="Output directory (overrides --name)."
)
@click.option("--wait/--background", default=True, help="Run here, or in a background job.")
@pass_state
def train_sft_cmd(
    state: CliState,
    data,
    model,
    epochs,
    lr,
    batch_size,
    max_length,
    max_steps,
    lora_r,
    eval_n,
    seed,
    name,
    out,
    wait,
):
    """LoRA-tune a causal LM on a QA export (OpenAI messages or alpaca jsonl)."""
    params = dict(data=data, model=model, epochs=epochs, lr=lr, batch_size=batch_size)
    params |= dict(max_length=max_length, max_steps=max_steps, lora_r=lora_r, eval_n=eval_n)
    params |= dict(seed=seed, name=name, out=out)
    _run(state, "train_sft", params, wait)


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
