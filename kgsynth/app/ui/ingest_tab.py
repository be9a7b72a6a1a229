"""Ingest tab: upload documents or name a server-side folder; the ingest job runs in the background."""

from __future__ import annotations

import shutil
from itertools import islice
from pathlib import Path

from kgsynth.app.ui.context import Hooks, UIContext, friendly
from kgsynth.app.ui.jobpanel import JobPanel
from kgsynth.errors import InputError
from kgsynth.types import Job

DOC_COLUMNS = ["title", "source", "lang", "characters"]


def stage_uploads(ctx: UIContext, files: list[str] | None) -> list[Path]:
    """Copy uploaded temp files into <workspace>/uploads so the worker (and re-ingests) can read them."""
    dest = ctx.ws.dir("uploads")
    out = []
    for f in files or []:
        src = Path(f)
        target = dest / src.name
        if target.exists() and target.read_bytes() != src.read_bytes():
            target = dest / f"{src.stem}-{len(list(dest.glob(src.stem + '*')))}{src.suffix}"
        shutil.copyfile(src, target)
        out.append(target)
    return out


def ingest_paths(ctx: UIContext, files: list[str] | None, folder: str) -> list[str]:
    """The paths an ingest job gets: staged uploads plus an existing server-side folder."""
    paths = [str(p) for p in stage_uploads(ctx, files)]
    folder = (folder or "").strip()
    if folder:
        p = Path(folder).expanduser()
        if not p.exists():
            raise InputError(f"{folder}: no such file or folder on the server")
        paths.append(str(p.resolve()))
    if not paths:
        raise InputError("nothing to ingest: upload files or name a server-side folder")
    return paths


def extractor_choices() -> list[str]:
    from kg.extract import EXTRACTORS

    return EXTRACTORS.names()


def summary_markdown(job: Job) -> str:
    if job.state != "succeeded":
        return f"Ingest {job.state.value}: {job.error or job.message}"
    r = job.result
    keys = ["added", "unchanged", "replaced", "documents", "chunks", "mentions", "triples"]
    keys += ["entities", "relations", "merges", "seconds"]
    line = " · ".join(f"**{k}** {r[k]}" for k in keys if k in r)
    skipped = r.get("skipped") or []
    if skipped:
        line += "\n\nSkipped:\n" + "\n".join(
            f"- `{s.get('path')}`: {s.get('reason')}" for s in skipped[:20]
        )
    return f"Ingest finished. {line}"


def documents(ctx: UIContext, limit: int = 200) -> tuple[str, list[list]]:
    cat = ctx.ws.catalog
    counts = " · ".join(f"**{t}** {cat.count(t)}" for t in ("documents", "chunks", "triples"))
    rows = [[d.title, d.source, d.lang, len(d.text)] for d in islice(cat.iter_documents(), limit)]
    return counts, rows


def build(ctx: UIContext) -> Hooks:
    """Lay out the tab; returns its hooks."""
    import gradio as gr

    with gr.Row():
        upload = gr.File(
            label="Upload documents (txt, md, html, pdf, csv, jsonl)",
            file_count="multiple",
            type="filepath",
            elem_id="ingest-upload",
        )
        with gr.Column():
            folder = gr.Textbox(
                label="…or a folder on the server",
                placeholder="/data/docs",
                elem_id="ingest-folder",
            )
            extractors = gr.CheckboxGroup(
                label="Extractors (empty: workspace default)",
                choices=extractor_choices(),
                elem_id="ingest-extractors",
            )
            start = gr.Button("Ingest", variant="primary", elem_id="ingest-start")
    panel = JobPanel(ctx, "ingest")
    summary = gr.Markdown(elem_id="ingest-summary")
    counts = gr.Markdown(elem_id="ingest-counts")
    docs = gr.Dataframe(
        headers=DOC_COLUMNS, label="Documents", elem_id="ingest-docs", interactive=False
    )

    @friendly
    def on_start(files, folder_text, chosen):
        params: dict = {"paths": ingest_paths(ctx, files, folder_text)}
        if chosen:
            params["extractors"] = list(chosen)
        job = ctx.submit("ingest", params)
        return *panel.started(job), "Ingest started…"

    start.click(on_start, [upload, folder, extractors], [*panel.outputs, summary])

    @friendly
    def on_docs():
        return documents(ctx)

    def on_finish(job: Job):
        return (summary_markdown(job), *on_docs())

    panel.wire(on_finish, [summary, counts, docs])
    return Hooks(on_open=[(on_docs, [], [counts, docs])])
