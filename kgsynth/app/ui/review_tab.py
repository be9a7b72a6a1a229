"""Review tab: the annotation queue (accept / reject / relabel / edit, from the keyboard) and agreement."""

from __future__ import annotations

import json

from kgsynth.app.ui import tables as t
from kgsynth.app.ui.context import Hooks, UIContext, friendly
from kgsynth.app.ui.jobpanel import JobPanel
from kgsynth.errors import InputError
from kgsynth.types import Job

# Single-key shortcuts for the review buttons (ignored while typing in a field).
KEYS = {
    "a": "review-accept",
    "r": "review-reject",
    "l": "review-relabel",
    "e": "review-edit",
    "s": "review-skip",
}
KEYS_HEAD = (
    "<script>document.addEventListener('keydown', (e) => {"
    " const el = e.target;"
    " if (el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.isContentEditable)) return;"
    " if (e.ctrlKey || e.metaKey || e.altKey) return;"
    f" const id = ({json.dumps(KEYS)})[e.key]; if (!id) return;"
    " const btn = document.getElementById(id);"
    " if (!btn || btn.offsetParent === null || btn.disabled) return;"
    " e.preventDefault(); btn.click(); });</script>"
)
QUEUE_LIMIT = 200
NO_VERSION = "Choose a dataset version above, then **Load queue**."
DONE = (
    "The queue is empty: every example of this version has a decision."
    " **Apply reviews** writes them into a new version."
)


def load_queue(ctx: UIContext, version: str) -> tuple[list[str], list[str], list[int]]:
    """(example ids to review, most uncertain first; the labels a reviewer may give; [examples
    already reviewed, in any session or the CLI, and all examples of the version])."""
    from synth.review import labels_of, progress_of, queue

    if not version:
        raise InputError("choose a dataset version to review")
    ids = [ex.id for ex in queue(ctx.ws, version, limit=QUEUE_LIMIT)]
    return ids, labels_of(ctx.ws, version), list(progress_of(ctx.ws, version))


def progress_line(ids: list[str], idx: int, counts: list[int]) -> str:
    """`2 of 5 in the queue reviewed in this session · 5 of the version's 10 examples were
    reviewed before (the CLI or an earlier session)`."""
    line = f"{min(idx, len(ids))} of {len(ids)} in the queue reviewed in this session"
    if counts and counts[0]:
        line += (
            f" · {counts[0]} of the version's {counts[1]} examples were reviewed before"
            " (the CLI or an earlier session)"
        )
    return line


def card(ctx: UIContext, ids: list[str], idx: int, labels: list[str], counts: list[int]):
    """(card markdown, label dropdown, input, output, progress markdown) for position idx."""
    import gradio as gr

    ex = ctx.ws.catalog.example(ids[idx]) if idx < len(ids) else None
    progress = progress_line(ids, idx, counts)
    if ex is None:
        return DONE, gr.Dropdown(choices=labels, value=None), "", "", progress
    choices = labels if ex.label in labels or not ex.label else [*labels, ex.label]
    return (
        t.example_markdown(ex, f"· {idx + 1}/{len(ids)}"),
        gr.Dropdown(choices=choices, value=ex.label),
        ex.input,
        ex.output or "",
        progress,
    )


def decide(
    ctx: UIContext, version: str, ex_id: str, action: str, label, text, output, reviewer
) -> str:
    from synth.review import decide as review_decide

    kwargs: dict = {"reviewer": reviewer or "anonymous"}
    if action == "relabel":
        if not label:
            raise InputError("choose the new label first")
        kwargs["label"] = label
    if action == "edit":
        kwargs |= {"input": text, "output": output or None}
    d = review_decide(ctx.ws, version, ex_id, action, **kwargs)
    return f"{d.action} · `{ex_id}`" + (f" → `{d.label}`" if d.label else "")


def agreement_markdown(ctx: UIContext, version: str) -> str:
    from synth.annotate import agreement

    if not version:
        raise InputError("choose a dataset version")
    lines = ["| measure | value |", "|---|---|"]
    for key, value in flatten(agreement(ctx.ws, version)).items():
        shown = f"{value:.4f}" if isinstance(value, float) else t.cell(value, 200)
        lines.append(f"| {_escape(key)} | {_escape(str(shown))} |")
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def flatten(stats: dict, prefix: str = "", depth: int = 3) -> dict:
    """Nested agreement statistics as dotted keys (sources.knn.coverage), for one table."""
    out = {}
    for key, value in stats.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth > 1:
            out |= flatten(value, f"{name}.", depth - 1)
        else:
            out[name] = value
    return out


def build(ctx: UIContext) -> Hooks:
    """Lay out the tab; returns its hooks."""
    import gradio as gr

    with gr.Row():
        version = gr.Dropdown(
            label="Dataset version", choices=[], elem_id="review-version", scale=3
        )
        refresh = gr.Button("↻", elem_id="review-refresh", size="sm", scale=0, min_width=40)
        reviewer = gr.Textbox("expert", label="Reviewer", elem_id="review-reviewer", scale=1)
        load = gr.Button("Load queue", variant="primary", elem_id="review-load", scale=1)
    with gr.Accordion("Combine weak labels (annotate)", open=False):
        with gr.Row():
            method = gr.Dropdown(
                ["majority", "label_model"],
                value="majority",
                label="Method",
                elem_id="review-method",
            )
            annotate_btn = gr.Button("Annotate", elem_id="review-annotate")
        panel = JobPanel(ctx, "review-annotate")
    ids, idx, labels, counts = gr.State([]), gr.State(0), gr.State([]), gr.State([])
    progress = gr.Markdown(elem_id="review-progress")
    card_md = gr.Markdown(NO_VERSION, elem_id="review-card")
    with gr.Row():
        label = gr.Dropdown(label="Label", choices=[], elem_id="review-label")
    with gr.Accordion("Edit", open=False):
        text = gr.Textbox(label="Input", lines=4, elem_id="review-input")
        output = gr.Textbox(label="Output", lines=2, elem_id="review-output")
    with gr.Row():
        buttons = {
            "accept": gr.Button("Accept [a]", variant="primary", elem_id="review-accept"),
            "reject": gr.Button("Reject [r]", variant="stop", elem_id="review-reject"),
            "relabel": gr.Button("Relabel [l]", elem_id="review-relabel"),
            "edit": gr.Button("Save edit [e]", elem_id="review-edit"),
            "skip": gr.Button("Skip [s]", elem_id="review-skip"),
        }
    last = gr.Markdown(elem_id="review-last")
    with gr.Row():
        agree_btn = gr.Button("Agreement statistics", elem_id="review-agreement-btn")
        apply_btn = gr.Button("Apply reviews → new version", elem_id="review-apply")
    agreement = gr.Markdown(elem_id="review-agreement")
    apply_panel = JobPanel(ctx, "review-apply")
    applied = gr.Markdown(elem_id="review-applied")
    card_out = [card_md, label, text, output, progress]

    @friendly
    def on_load(v):
        q, labs, cnt = load_queue(ctx, v)
        return q, 0, labs, cnt, *card(ctx, q, 0, labs, cnt)

    load.click(on_load, version, [ids, idx, labels, counts, *card_out])

    def make_action(action: str):
        @friendly
        def act(v, q, i, labs, cnt, lab, txt, out, who):
            if not q:
                raise InputError("load a queue first: choose a dataset version, then Load queue")
            if i >= len(q):
                return i, *card(ctx, q, i, labs, cnt), "Nothing left in the queue."
            msg = (
                "skipped" if action == "skip" else decide(ctx, v, q[i], action, lab, txt, out, who)
            )
            return i + 1, *card(ctx, q, i + 1, labs, cnt), msg

        return act

    for action, btn in buttons.items():
        btn.click(
            make_action(action),
            [version, ids, idx, labels, counts, label, text, output, reviewer],
            [idx, *card_out, last],
        )

    agree_btn.click(friendly(lambda v: agreement_markdown(ctx, v)), version, agreement)

    @friendly
    def on_apply(v):
        if not v:
            raise InputError("choose a dataset version")
        return apply_panel.started(ctx.submit("review_apply", {"version": v}))

    apply_btn.click(on_apply, version, apply_panel.outputs)

    def on_applied(job: Job):
        if job.state != "succeeded":
            return f"Applying reviews {job.state.value}: {job.error or job.message}", gr.skip()
        r = job.result
        new = ctx.ws.catalog.dataset(r["version_id"])
        md = f"New version **{new.name}** `{new.id}` ({new.stage}): {new.count} examples"
        md += f", {new.stats.get('rescored', 0)} re-scored."
        return md, gr.Dropdown(choices=ctx.versions(), value=new.id)

    apply_panel.wire(on_applied, [applied, version])

    @friendly
    def on_annotate(v, m):
        if not v:
            raise InputError("choose a dataset version")
        return panel.started(ctx.submit("annotate", {"version": v, "method": m}))

    annotate_btn.click(on_annotate, [version, method], panel.outputs)

    def on_annotated(job: Job):
        if job.state != "succeeded":
            return (gr.skip(),)
        return (gr.Dropdown(choices=ctx.versions(), value=job.result["version_id"]),)

    panel.wire(on_annotated, [version])

    @friendly
    def on_refresh():
        return gr.Dropdown(choices=ctx.versions())

    refresh.click(on_refresh, None, version)
    return Hooks(on_open=[(on_refresh, [], [version])])
