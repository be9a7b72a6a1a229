"""Fine-tune tab: pick an export, a model and hyper-parameters; live loss; the report; compare runs."""

from __future__ import annotations

import re
from pathlib import Path

from kgsynth.app.ui import tables as t
from kgsynth.app.ui.context import Hooks, UIContext, friendly
from kgsynth.app.ui.jobpanel import JobPanel
from kgsynth.errors import InputError
from kgsynth.types import Job

IMAGE_LINE = re.compile(r"^!\[[^\]]*\]\([^)]*\)\s*$", re.MULTILINE)
EPOCH_COLUMNS = ["epoch", "train_loss", "dev_macro_f1"]


def exports(ctx: UIContext) -> list[tuple[str, str]]:
    """The workspace's exports with a train split (catalog rows), newest first, as choices."""
    return [
        (f"{Path(e.path).name} · {e.format}", e.path)
        for e in ctx.ws.catalog.exports()
        if e.counts.get("train") and Path(e.path).is_dir()
    ]


def runs(ctx: UIContext) -> list[tuple[str, str]]:
    """Classifier runs that were evaluated (catalog rows), newest first, as (name, report) choices."""
    return [
        (Path(r.path).name, r.report)
        for r in ctx.ws.catalog.runs("train_classifier")
        if r.report and Path(r.report).is_file()
    ]


def epoch_rows(history: list[dict]) -> list[list]:
    """One row per epoch of a training history: its epoch, train loss and dev macro-F1."""
    return [[h.get(c) for c in EPOCH_COLUMNS] for h in history]


def live(job: Job):
    """(loss frame, epoch rows) from what the training job has published so far (its result)."""
    steps = job.result.get("steps") or []
    points = [(s["step"], s["loss"]) for s in steps]
    return t.loss_frame(points), epoch_rows(job.result.get("history") or [])


def report(job: Job) -> tuple[str, str | None]:
    """(report markdown without image links, confusion PNG path) of a finished training job."""
    arts = job.artifacts
    md = t.read_text(arts.get("eval_markdown")) or t.read_text(arts.get("model_card"))
    head = ""
    ev = job.result.get("eval")
    if ev:
        head = f"**Test macro-F1 {ev['macro_f1']:.4f}** · accuracy {ev['accuracy']:.4f}\n\n"
    return head + IMAGE_LINE.sub("", md), arts.get("eval_confusion_png")


def build(ctx: UIContext) -> Hooks:
    """Lay out the tab; returns its hooks."""
    import gradio as gr

    from finetune.classifier import TrainConfig

    with gr.Row():
        data = gr.Dropdown(
            label="Export (classification)", choices=[], elem_id="ft-export", scale=3
        )
        refresh = gr.Button("↻", elem_id="ft-refresh", size="sm", scale=0, min_width=40)
        model = gr.Textbox(label="Model (empty: MiniLM encoder)", elem_id="ft-model", scale=2)
        name = gr.Textbox(label="Run name", elem_id="ft-name", scale=1)
    defaults = TrainConfig()  # the fields start at the library's defaults and override them
    with gr.Row():
        epochs = gr.Number(defaults.epochs, label="Epochs", precision=0, elem_id="ft-epochs")
        lr = gr.Number(defaults.lr, label="Learning rate", elem_id="ft-lr")
        batch = gr.Number(defaults.batch_size, label="Batch size", precision=0, elem_id="ft-batch")
        max_len = gr.Number(
            defaults.max_length, label="Max length", precision=0, elem_id="ft-maxlen"
        )
    start = gr.Button("Start fine-tuning", variant="primary", elem_id="ft-start")
    panel = JobPanel(ctx, "ft")
    with gr.Row():
        loss = gr.LinePlot(x="step", y="loss", title="Training loss", elem_id="ft-loss")
        metrics = gr.Dataframe(
            headers=EPOCH_COLUMNS,
            label="Per epoch",
            elem_id="ft-metrics",
            interactive=False,
        )
    with gr.Row():
        report_md = gr.Markdown(elem_id="ft-report")
        confusion = gr.Image(label="Confusion matrix", elem_id="ft-confusion", interactive=False)
    gr.Markdown("### Compare runs")
    with gr.Row():
        chosen = gr.CheckboxGroup(label="Runs", choices=[], elem_id="ft-compare-runs")
        compare = gr.Button("Compare", elem_id="ft-compare")
    compare_md = gr.Markdown(elem_id="ft-compare-md")
    compare_img = gr.Image(label="Per-class F1", elem_id="ft-compare-img", interactive=False)

    @friendly
    def on_start(d, m, nm, ep, rate, bs, ml):
        if not d:
            raise InputError("choose an export to train on (Clean and export tab)")
        params = {
            "data": d,
            "epochs": int(ep),
            "lr": float(rate),
            "batch_size": int(bs),
            "max_length": int(ml),
        }
        if (m or "").strip():
            params["model"] = m.strip()
        if (nm or "").strip():
            params["name"] = nm.strip()
        return panel.started(ctx.submit("train_classifier", params))

    start.click(on_start, [data, model, name, epochs, lr, batch, max_len], panel.outputs)

    def on_tick(job: Job):
        return (*live(job), gr.skip(), gr.skip(), gr.skip())

    def on_finish(job: Job):
        frame, rows = live(job)
        if job.state != "succeeded":
            return (
                frame,
                rows,
                f"Training {job.state.value}: {job.error or job.message}",
                None,
                gr.skip(),
            )
        md, png = report(job)
        return frame, rows, md, png, gr.CheckboxGroup(choices=runs(ctx))

    panel.wire(on_finish, [loss, metrics, report_md, confusion, chosen], on_tick=on_tick)

    @friendly
    def on_compare(paths):
        from finetune.evaluate import compare_runs

        if not paths:
            raise InputError("tick at least one run to compare")
        md_path = compare_runs(list(paths), ctx.ws.dir("runs") / "_compare")
        png = md_path.parent / "compare.png"
        text = IMAGE_LINE.sub("", t.read_text(md_path))
        return text, str(png) if png.is_file() else None

    compare.click(on_compare, chosen, [compare_md, compare_img])

    @friendly
    def on_refresh():
        return gr.Dropdown(choices=exports(ctx)), gr.CheckboxGroup(choices=runs(ctx))

    refresh.click(on_refresh, None, [data, chosen])
    return Hooks(on_open=[(on_refresh, [], [data, chosen])])
