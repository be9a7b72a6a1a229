"""Jobs tab: every job with state, progress and logs; cancel and resume."""

from __future__ import annotations

from kgsynth.app.ui import tables as t
from kgsynth.app.ui.context import Hooks, UIContext, friendly
from kgsynth.errors import InputError

LOG_LINES = 200


def job_table(ctx: UIContext) -> list[list]:
    from kgsynth import jobs

    jobs.refresh(ctx.ws)
    return t.job_rows(ctx.ws.catalog.jobs(limit=200))


def job_choices(rows: list[list]) -> list[tuple[str, str]]:
    return [(f"{r[0]} · {r[1]}", r[0]) for r in rows]


def job_detail(ctx: UIContext, job_id: str | None) -> tuple[dict, str]:
    """(job record as JSON, log tail) of one job."""
    from kgsynth.jobs import log_tail

    if not job_id:
        return {}, ""
    job = ctx.job(job_id)
    return job.model_dump(mode="json"), log_tail(ctx.ws, job, lines=LOG_LINES)


def build(ctx: UIContext) -> Hooks:
    """Lay out the tab; returns its hooks."""
    import gradio as gr

    timer = gr.Timer(2.0, active=False)
    with gr.Row():
        auto = gr.Checkbox(True, label="Auto-refresh every 2 s", elem_id="jobs-auto")
        refresh = gr.Button("Refresh", elem_id="jobs-refresh", size="sm")
    table = gr.Dataframe(
        headers=t.JOB_COLUMNS, label="Jobs", elem_id="jobs-table", interactive=False
    )
    with gr.Row():
        selected = gr.Dropdown(label="Job", choices=[], elem_id="jobs-select", scale=3)
        cancel = gr.Button("Cancel", variant="stop", elem_id="jobs-cancel", scale=1)
        resume = gr.Button("Resume", elem_id="jobs-resume", scale=1)
    message = gr.Markdown(elem_id="jobs-message")
    with gr.Row():
        logs = gr.Textbox(label="Log", lines=14, max_lines=30, elem_id="jobs-logs", autoscroll=True)
        detail = gr.JSON(label="Job", elem_id="jobs-detail")

    known = gr.State([])  # job ids in the dropdown: re-render it only when new jobs appear

    @friendly
    def on_refresh(job_id, ids):
        rows = job_table(ctx)
        choices = job_choices(rows)
        new_ids = [c[1] for c in choices]
        value = job_id if job_id in new_ids else None
        dropdown = gr.skip() if new_ids == ids else gr.Dropdown(choices=choices, value=value)
        return rows, dropdown, new_ids, *job_detail(ctx, value)

    outs = [table, selected, known, detail, logs]
    refresh.click(on_refresh, [selected, known], outs)
    timer.tick(on_refresh, [selected, known], outs, show_progress="hidden")
    auto.change(lambda on: gr.Timer(active=on), auto, timer)
    selected.input(friendly(lambda j: job_detail(ctx, j)), selected, [detail, logs])

    def make(action: str):
        @friendly
        def act(job_id):
            from kgsynth import jobs

            if not job_id:
                raise InputError("choose a job first")
            job = jobs.cancel(ctx.ws, job_id) if action == "cancel" else jobs.resume(ctx.ws, job_id)
            return f"Job `{job.id}` is now **{job.state.value}**.", *on_refresh(job_id, [])

        return act

    cancel.click(make("cancel"), selected, [message, *outs])
    resume.click(make("resume"), selected, [message, *outs])

    def on_open(on, job_id):
        return gr.Timer(active=bool(on)), *on_refresh(job_id, [])

    stop = (lambda: gr.Timer(active=False), [], [timer])
    return Hooks(on_open=[(on_open, [auto, selected], [timer, *outs])], on_leave=[stop])
