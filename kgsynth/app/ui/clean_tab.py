"""Clean and export tab: choose filters, run the cleaning job, read its report; export and download."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from kgsynth.app.ui import tables as t
from kgsynth.app.ui.context import Hooks, UIContext, friendly
from kgsynth.app.ui.jobpanel import JobPanel
from kgsynth.errors import InputError
from kgsynth.types import Job
from synth.clean import DEFAULT_FILTERS, FILTERS, load_builtin_filters
from synth.export import EXPORTERS


def filter_choices() -> tuple[list[str], list[str]]:
    """(all filter names, the default chain)."""
    load_builtin_filters()
    defaults = [f for f in DEFAULT_FILTERS if f in FILTERS]
    return defaults + [f for f in FILTERS.names() if f not in defaults], defaults


def export_formats() -> list[str]:
    return EXPORTERS.names()


def parse_options(text: str) -> dict:
    """Filter options as JSON: {"filter name": {"option": value}}."""
    if not (text or "").strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"filter options: invalid JSON at line {e.lineno}: {e.msg}") from e
    if not isinstance(data, dict):
        raise InputError('filter options: expected an object like {"length": {"min_chars": 20}}')
    return data


def zip_export(path: Path) -> Path:
    """A zip of an export directory next to it, for the download button."""
    if path.is_file():
        return path
    return Path(shutil.make_archive(str(path), "zip", root_dir=path))


def counts_rows(counts: dict) -> list[list]:
    return [[k, t.cell(v)] for k, v in counts.items()]


def build(ctx: UIContext) -> Hooks:
    """Lay out the tab; returns its hooks."""
    import gradio as gr

    names, defaults = filter_choices()
    gr.Markdown("### Clean")
    with gr.Row():
        version = gr.Dropdown(label="Dataset version", choices=[], elem_id="clean-version", scale=3)
        refresh = gr.Button("↻", elem_id="clean-refresh", size="sm", scale=0, min_width=40)
    filters = gr.CheckboxGroup(
        names, value=defaults, label="Filters (run in the order shown)", elem_id="clean-filters"
    )
    options = gr.Textbox(
        label="Filter options (JSON, optional)",
        placeholder='{"length": {"min_chars": 20}}',
        elem_id="clean-options",
    )
    run = gr.Button("Run cleaning", variant="primary", elem_id="clean-run")
    panel = JobPanel(ctx, "clean")
    report = gr.Markdown(elem_id="clean-report")
    gr.Markdown("### Export")
    with gr.Row():
        ex_version = gr.Dropdown(
            label="Dataset version", choices=[], elem_id="export-version", scale=3
        )
        fmt = gr.Dropdown(
            export_formats(), value="classification-jsonl", label="Format", elem_id="export-format"
        )
        seed = gr.Number(0, label="Split seed", precision=0, elem_id="export-seed")
    with gr.Row():
        train = gr.Slider(
            0.5, 1.0, value=0.8, step=0.05, label="Train share", elem_id="export-train"
        )
        dev = gr.Slider(0.0, 0.25, value=0.1, step=0.05, label="Dev share", elem_id="export-dev")
        provenance = gr.Checkbox(
            True,
            label="Provenance",
            info="each example's documents, evidence, facts, template and generator",
            elem_id="export-provenance",
        )
    ex_run = gr.Button("Export", variant="primary", elem_id="export-run")
    ex_panel = JobPanel(ctx, "export")
    ex_md = gr.Markdown(elem_id="export-result")
    ex_counts = gr.Dataframe(
        headers=["split", "examples"], label="Counts", elem_id="export-counts", interactive=False
    )
    download = gr.File(label="Download", elem_id="export-download", interactive=False)

    @friendly
    def on_clean(v, chosen, opts):
        if not v:
            raise InputError("choose a dataset version to clean")
        if not chosen:
            raise InputError("choose at least one filter")
        ordered = sorted(chosen, key=lambda f: names.index(f) if f in names else len(names))
        params = {"version": v, "filters": ordered, "options": parse_options(opts)}
        return panel.started(ctx.submit("clean", params))

    run.click(on_clean, [version, filters, options], panel.outputs)

    def on_cleaned(job: Job):
        if job.state != "succeeded":
            return f"Cleaning {job.state.value}: {job.error or job.message}", gr.skip(), gr.skip()
        r = job.result
        md = f"Kept **{r['count']}** examples in **{r['name']}** `{r['version_id']}`.\n\n"
        md += t.read_text(r.get("report_md") or job.artifacts.get("report_md"))
        choices = ctx.versions()
        return md, gr.Dropdown(choices=choices), gr.Dropdown(choices=choices, value=r["version_id"])

    panel.wire(on_cleaned, [report, version, ex_version])

    @friendly
    def on_export(v, f, sd, tr, dv, prov):
        if not v:
            raise InputError("choose a dataset version to export")
        from synth.export import split_shares

        shares = split_shares((tr, dv, round(1.0 - tr - dv, 4)))
        params = {"version": v, "format": f, "seed": int(sd), "split": list(shares)}
        return ex_panel.started(ctx.submit("export", params | {"provenance": bool(prov)}))

    ex_run.click(on_export, [ex_version, fmt, seed, train, dev, provenance], ex_panel.outputs)

    def on_exported(job: Job):
        if job.state != "succeeded":
            return f"Export {job.state.value}: {job.error or job.message}", gr.skip(), gr.skip()
        path = Path(job.result["path"])
        md = f"Exported to `{path}`."
        md += "".join(f"\n\n**Warning:** {w}" for w in job.result.get("warnings", []))
        return md, counts_rows(job.result.get("counts", {})), str(zip_export(path))

    ex_panel.wire(on_exported, [ex_md, ex_counts, download])

    @friendly
    def on_refresh():
        choices = ctx.versions()
        return gr.Dropdown(choices=choices), gr.Dropdown(choices=choices)

    refresh.click(on_refresh, None, [version, ex_version])
    return Hooks(on_open=[(on_refresh, [], [version, ex_version])])
