"""Coverage tab: how a dataset version covers the graph, and keeping it alive.

Coverage (synth.coverage) with plots and the uncovered entities, a button that synthesizes QA pairs
about them; the budget of a (balanced) QA build before running it (synth.qa.plan); `synth update`
after an ingest changed the corpus (synth.update); and the closed loop from a fine-tuning run
(finetune.improve). Every long action is a background job.
"""

from __future__ import annotations

from pathlib import Path

from kgsynth.app.ui.context import Hooks, UIContext, friendly
from kgsynth.app.ui.jobpanel import JobPanel
from kgsynth.errors import InputError
from kgsynth.types import Job

UNCOVERED_SHOWN = 50
PLOT_ROWS = 15


def coverage_view(ctx: UIContext, version: str):
    """(summary markdown, per-entity histogram, per entity type bars, per relation type bars,
    uncovered rows, over-used rows) of a version."""
    import pandas as pd

    from synth.coverage import coverage

    if not version:
        raise InputError("choose a dataset version")
    c = coverage(ctx.ws, version, top=UNCOVERED_SHOWN)
    md = "\n".join(f"    {line}" for line in c.lines(top=0)[:7])
    uses = sorted(c.per_entity.items())
    hist = pd.DataFrame(
        {"examples per entity": [str(k) for k, _ in uses], "entities": [v for _, v in uses]}
    )
    types = pd.DataFrame(
        [[k, s.examples] for k, s in list(c.entity_types.items())[:PLOT_ROWS]],
        columns=["entity type", "examples"],
    )
    preds = pd.DataFrame(
        [[k, s.examples] for k, s in list(c.predicates.items())[:PLOT_ROWS]],
        columns=["relation type", "examples"],
    )
    uncovered = [[u.name, u.type, u.mentions] for u in c.uncovered]
    over = [[u.name, u.type, u.examples, u.mentions] for u in c.over_used]
    return md, hist, types, preds, uncovered, over


def build(ctx: UIContext) -> Hooks:
    """Lay out the tab; returns its hooks."""
    import gradio as gr

    from synth.qa_candidates import QA_TYPES

    with gr.Row():
        version = gr.Dropdown(label="Dataset version", choices=[], elem_id="cov-version", scale=3)
        refresh = gr.Button("↻", elem_id="cov-refresh", size="sm", scale=0, min_width=40)
        show = gr.Button("Show coverage", variant="primary", elem_id="cov-show", scale=1)
    summary = gr.Markdown(elem_id="cov-summary")
    with gr.Row():
        hist = gr.BarPlot(
            x="examples per entity",
            y="entities",
            title="Entities by how many examples use them",
            elem_id="cov-hist",
        )
        types = gr.BarPlot(
            x="entity type", y="examples", title="Examples per entity type", elem_id="cov-types"
        )
    preds = gr.BarPlot(
        x="relation type",
        y="examples",
        title="Examples per relation type",
        elem_id="cov-preds",
        x_label_angle=-45,
    )
    with gr.Row():
        uncovered = gr.Dataframe(
            headers=["entity", "type", "mentions"],
            label="Uncovered entities, most mentioned first",
            elem_id="cov-uncovered",
            interactive=False,
            max_height=320,
        )
        over = gr.Dataframe(
            headers=["entity", "type", "examples", "mentions"],
            label="Over-used entities",
            elem_id="cov-over",
            interactive=False,
            max_height=320,
        )
    with gr.Row():
        n_uncovered = gr.Number(50, label="QA pairs", precision=0, elem_id="cov-unc-n")
        k_uncovered = gr.Number(20, label="Uncovered entities", precision=0, elem_id="cov-unc-k")
        fill = gr.Button("Synthesize for uncovered entities", elem_id="cov-fill")
    fill_panel = JobPanel(ctx, "cov-fill")
    fill_md = gr.Markdown(elem_id="cov-fill-result")

    gr.Markdown("### Plan a QA build")
    with gr.Row():
        qa_types = gr.CheckboxGroup(
            list(QA_TYPES), value=list(QA_TYPES), label="QA types", elem_id="cov-plan-types"
        )
        n = gr.Number(200, label="Pairs", precision=0, elem_id="cov-plan-n")
        generator = gr.Textbox("template", label="Generator", elem_id="cov-plan-generator")
        balance = gr.Checkbox(True, label="Balance coverage", elem_id="cov-plan-balance")
    with gr.Row():
        dry = gr.Button("Dry run (budget, tokens, cost)", elem_id="cov-plan-dry")
        run = gr.Button("Build", variant="primary", elem_id="cov-plan-run")
    plan_md = gr.Markdown(elem_id="cov-plan")
    build_panel = JobPanel(ctx, "cov-build")

    gr.Markdown("### Update after the corpus changed")
    upd = gr.Button("Update the chosen version (synth update)", elem_id="cov-update")
    upd_panel = JobPanel(ctx, "cov-update")
    upd_md = gr.Markdown(elem_id="cov-update-result")

    gr.Markdown("### Close the loop on a fine-tuning run (kgsynth improve)")
    with gr.Row():
        loop_run = gr.Dropdown(label="Classifier or reader run", choices=[], elem_id="cov-loop-run")
        loop_budget = gr.Number(200, label="Targeted examples", precision=0, elem_id="cov-loop-n")
        loop = gr.Button("Find weaknesses, add examples, retrain", elem_id="cov-loop")
    loop_panel = JobPanel(ctx, "cov-loop")
    loop_md = gr.Markdown(elem_id="cov-loop-result")

    @friendly
    def on_show(v):
        return coverage_view(ctx, v)

    show.click(on_show, [version], [summary, hist, types, preds, uncovered, over])

    @friendly
    def on_fill(v, pairs, entities):
        if not v:
            raise InputError("choose a dataset version")
        params = {"version": v, "n": int(pairs or 50), "entities": int(entities or 20)}
        return fill_panel.started(ctx.submit("synth_uncovered", params))

    fill.click(on_fill, [version, n_uncovered, k_uncovered], fill_panel.outputs)
    fill_panel.wire(lambda job: [_version_md(job, "Built")], [fill_md])

    def _qa_params(ty, count, gen, bal) -> dict:
        if not ty:
            raise InputError("choose at least one question type")
        return {"types": list(ty), "n": int(count or 0), "generator": gen or "template"} | {
            "balance": bool(bal)
        }

    @friendly
    def on_dry(ty, count, gen, bal):
        from synth.qa import plan

        report = plan(ctx.ws, **_qa_params(ty, count, gen, bal))
        return "```text\n" + "\n".join(report.lines()) + "\n```"

    dry.click(on_dry, [qa_types, n, generator, balance], [plan_md])

    @friendly
    def on_build(ty, count, gen, bal):
        return build_panel.started(ctx.submit("synth_qa", _qa_params(ty, count, gen, bal)))

    run.click(on_build, [qa_types, n, generator, balance], build_panel.outputs)
    build_panel.wire(lambda job: [_version_md(job, "Built")], [plan_md])

    @friendly
    def on_update(v):
        if not v:
            raise InputError("choose a dataset version")
        return upd_panel.started(ctx.submit("synth_update", {"version": v}))

    upd.click(on_update, [version], upd_panel.outputs)

    def on_updated(job: Job):
        if job.state != "succeeded":
            return [f"Update {job.state.value}: {job.error or job.message}"]
        from synth.update import UpdateReport

        report = UpdateReport.model_validate(job.result)
        return ["```text\n" + "\n".join(report.lines()) + "\n```"]

    upd_panel.wire(on_updated, [upd_md])

    @friendly
    def on_loop(run_path, budget):
        if not run_path:
            raise InputError("choose a fine-tuning run")
        params = {"run": run_path, "budget": int(budget or 200)}
        return loop_panel.started(ctx.submit("improve", params))

    loop.click(on_loop, [loop_run, loop_budget], loop_panel.outputs)
    loop_panel.wire(lambda job: [improve_md(job)], [loop_md])

    @friendly
    def on_refresh():
        return gr.Dropdown(choices=ctx.versions()), gr.Dropdown(choices=loop_runs(ctx.ws))

    refresh.click(on_refresh, None, [version, loop_run])
    return Hooks(on_open=[(on_refresh, [], [version, loop_run])])


def loop_runs(ws) -> list[tuple[str, str]]:
    """Runs the loop can improve (classifier and reader runs), newest first, as (name, path)."""
    from kgsynth.app.improve import KINDS

    return [
        (f"{Path(r.path).name} · {r.kind}", r.path) for r in ws.catalog.runs() if r.kind in KINDS
    ]


def improve_md(job: Job) -> str:
    """The loop's report: weaknesses, what was added, scores before and after."""
    if job.state != "succeeded":
        return f"Improve {job.state.value}: {job.error or job.message}"
    from kgsynth.app.improve import ImproveReport

    report = ImproveReport.model_validate(job.result)
    return "```text\n" + "\n".join(report.lines()) + "\n```"


def _version_md(job: Job, verb: str) -> str:
    if job.state != "succeeded":
        return f"{verb} failed: {job.error or job.message}"
    r = job.result
    return f"{verb} **{r['count']}** examples in **{r['name']}** `{r['version_id']}`."
