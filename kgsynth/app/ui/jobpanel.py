"""Live job progress inside a tab: the job id in a State, a status bar, and a Timer polling the catalog.

The timer is active only while the tab's job runs, so an idle app sends no requests.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

from kgsynth.app.ui.context import FINISHED, UIContext
from kgsynth.types import Job


def progress_html(job: Job | None) -> str:
    """A status line and progress bar; data-state lets tests and CSS see the state."""
    if job is None:
        return '<div class="kg-job" data-state="none">No job started yet.</div>'
    pct = (
        round(100 * job.done / job.total) if job.total else (100 if job.state == "succeeded" else 0)
    )
    parts = [
        f'<div class="kg-job" data-state="{job.state.value}" data-job="{html.escape(job.id)}">',
        f"<b>{html.escape(job.kind)}</b> · <span class='kg-job-state'>{job.state.value}</span>",
        f" · {job.done}/{job.total} ({pct}%)" if job.total else "",
        f" · {html.escape(job.message)}" if job.message else "",
        f'<br><progress max="100" value="{pct}" style="width:100%"></progress>',
    ]
    if job.error:
        parts.append(f'<div class="kg-job-error" style="color:#b00">{html.escape(job.error)}</div>')
    parts.append(f"<small>job {html.escape(job.id)}</small></div>")
    return "".join(parts)


def reap(ctx: UIContext, job: Job) -> Job:
    """Mark the job failed if its worker process died (kgsynth.jobs.refresh)."""
    from kgsynth import jobs

    if job.pid is not None and not jobs.is_alive(job):
        jobs.refresh(ctx.ws)
        return ctx.job(job.id)
    return job


class JobPanel:
    """Create inside a Blocks context; call :meth:`started` from the start handler, then :meth:`wire`."""

    def __init__(self, ctx: UIContext, prefix: str, interval: float = 1.0):
        import gradio as gr

        self.ctx = ctx
        self.job_id = gr.State(None)
        self.status = gr.HTML(progress_html(None), elem_id=f"{prefix}-job")
        self.timer = gr.Timer(interval, active=False)

    def started(self, job: Job) -> tuple:
        """Outputs for (job_id, status, timer) right after a job was submitted."""
        import gradio as gr

        return job.id, progress_html(job), gr.Timer(active=True)

    @property
    def outputs(self) -> list:
        return [self.job_id, self.status, self.timer]

    def wire(
        self,
        on_finish: Callable[[Job], Sequence[Any]] | None = None,
        outputs: Sequence[Any] = (),
        on_tick: Callable[[Job], Sequence[Any]] | None = None,
    ) -> None:
        """Poll the job each tick; when it finishes, stop the timer and fill `outputs`.

        `on_tick` (optional) fills the same `outputs` while the job runs (e.g. a live loss curve).
        """
        import gradio as gr

        n = len(outputs)

        def tick(job_id: str | None):
            if not job_id:
                return (progress_html(None), gr.Timer(active=False), *[gr.skip()] * n)
            job = self.ctx.job(job_id)
            if job.state not in FINISHED:
                job = reap(self.ctx, job)
            if job.state in FINISHED:
                extra = tuple(on_finish(job)) if on_finish else (gr.skip(),) * n
                return (progress_html(job), gr.Timer(active=False), *extra)
            extra = tuple(on_tick(job)) if on_tick else (gr.skip(),) * n
            return (progress_html(job), gr.skip(), *extra)

        self.timer.tick(
            tick,
            inputs=self.job_id,
            outputs=[self.status, self.timer, *outputs],
            show_progress="hidden",
        )
