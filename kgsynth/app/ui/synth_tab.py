"""Synthesize tab: QA pairs or a classification set; preview prompts and examples, estimate tokens, run."""

from __future__ import annotations

from pathlib import Path

from kgsynth.app.summary import version_lines
from kgsynth.app.ui import tables as t
from kgsynth.app.ui.context import Hooks, UIContext, friendly
from kgsynth.app.ui.jobpanel import JobPanel
from kgsynth.errors import InputError
from kgsynth.generators import generator_names
from kgsynth.types import Job
from synth.classify import SELECTIONS, UNITS, ClassifyOptions
from synth.qa import QA_TYPES
from synth.schema import save_schema

QA = "Question answering"
CLASSIFY = "Classification"
PREVIEW_N = 2
SKELETON = """\
# Your labels: a name and a one-line description each; optional keywords and seeds (examples).
# Replace these two, or load a schema file below.
task: topic
labels:
  - name: first_label
    description: One line saying what the texts of this label are about.
  - name: second_label
    description: One line saying what the texts of this label are about.
"""


def default_schema(ctx: UIContext) -> str:
    """What the schema editor opens on: this workspace's schema, else a skeleton to fill in."""
    from synth.schema import workspace_schema_text

    return workspace_schema_text(ctx.ws) or SKELETON


def suggested_schema_text(ctx: UIContext, text: str) -> str:
    """The editor's schema with descriptions suggested from the seeds where a label has none."""
    import yaml

    from synth.describe import with_suggestions
    from synth.schema import schema_from_text

    schema = with_suggestions(ctx.ws, schema_from_text(text))
    return yaml.safe_dump(schema.model_dump(), sort_keys=False, allow_unicode=True)


def qa_preview(ctx: UIContext, types: list[str], n: int, generator: str, seed: int):
    """(prompts markdown, example rows, token estimate markdown) for a QA run of n examples."""
    from synth.qa import preview
    from synth.tokens import estimate_tokens

    if not types:
        raise InputError("choose at least one question type")
    items = preview(ctx.ws, types=types, n=PREVIEW_N, generator=generator, seed=int(seed))
    prompts = [i.prompt for i in items]
    per_prompt = estimate_tokens(prompts) / max(1, len(prompts))
    md = "\n\n".join(f"**Prompt {k + 1}**\n```text\n{p}\n```" for k, p in enumerate(prompts[:4]))
    rows = t.example_rows([i.example for i in items if i.example])
    calls = "no model calls (template generator)" if generator == "template" else "model calls"
    tokens = f"≈ **{round(per_prompt * int(n)):,}** prompt tokens for {int(n)} examples; {calls}."
    return md or "No candidate facts for these types: ingest more documents.", rows, tokens


def classify_preview(ctx: UIContext, schema_text: str, generator: str, generated: int, seed: int):
    """(labels + prompts markdown, sample unit rows, token estimate markdown) for a
    classification run, from the library's preview of it."""
    from synth.classify_preview import preview_classification
    from synth.schema import schema_from_text

    n = int(generated or 0) if generator else 0
    p = preview_classification(
        ctx.ws, schema_from_text(schema_text), generated_per_label=n, seed=int(seed)
    )
    lines = ["| label | description | keywords | seeds |", "|---|---|---:|---:|"]
    for spec in p.schema.labels:
        lines.append(
            f"| {spec.name} | {spec.description} | {len(spec.keywords)} | {len(spec.seeds)} |"
        )
    sample = [
        ["classify", t.cell(text, 160), "", "(weak label at run time)", "", "corpus"]
        for text in p.sample
    ]
    if not n:
        tokens = (
            f"No generation: the run labels the {p.documents:,} corpus documents weakly"
            " (no model tokens)."
        )
        return "\n".join(lines), sample, tokens
    md = "\n".join(lines)
    for name, prompt in list(p.prompts.items())[:2]:
        source = "the passage nearest its description" if name in p.unseeded else "its seeds"
        md += f"\n\n**Prompt for {name}** (on {source})\n```text\n{_text(prompt)}\n```"
    md += (
        "\n\nThe run builds each prompt the same way on sentences of the documents it labels"
        " most confidently."
    )
    tokens = f"≈ **{p.prompt_tokens:,}** prompt tokens for {p.generated} generated examples ({generator})."
    return md, sample, tokens


def _text(prompt) -> str:
    return "\n\n".join(f"[{m.role}] {m.content}" for m in prompt.messages)


def build(ctx: UIContext) -> Hooks:
    """Lay out the tab; returns its hooks."""
    import gradio as gr

    defaults = ClassifyOptions()  # the fields start at the library's defaults
    task = gr.Radio([QA, CLASSIFY], value=CLASSIFY, label="Task", elem_id="synth-task")
    with gr.Group(visible=False) as qa_box:
        types = gr.CheckboxGroup(
            list(QA_TYPES),
            value=["single_fact", "yes_no"],
            label="Question types",
            elem_id="synth-qa-types",
        )
        n = gr.Number(20, label="Examples", precision=0, elem_id="synth-n")
    with gr.Group(visible=True) as cls_box:
        schema = gr.Code(
            SKELETON, language="yaml", label="Label schema (YAML)", elem_id="synth-schema"
        )
        schema_file = gr.File(
            label="…or load a schema file",
            height=90,
            file_types=[".yaml", ".yml"],
            elem_id="synth-schema-file",
        )
        suggest_btn = gr.Button(
            "Suggest missing descriptions from the seeds", size="sm", elem_id="synth-suggest"
        )
        with gr.Row():
            per_label = gr.Number(
                defaults.per_label,
                label="Examples per label",
                precision=0,
                elem_id="synth-per-label",
            )
            unit = gr.Radio(list(UNITS), value=defaults.unit, label="Unit", elem_id="synth-unit")
            selection = gr.Radio(
                list(SELECTIONS),
                value=defaults.selection,
                label="Pick units",
                info="spread: over the whole confidence range (the least confident"
                f" {defaults.drop_uncertain:.0%} dropped); top: the most confident only",
                elem_id="synth-selection",
            )
            generated = gr.Number(
                defaults.generated_per_label,
                label="Generated per label",
                precision=0,
                elem_id="synth-generated",
            )
    with gr.Row():
        generator = gr.Dropdown(
            ["template"], value="template", label="Generator", elem_id="synth-generator"
        )
        seed = gr.Number(defaults.seed, label="Seed", precision=0, elem_id="synth-seed")
        name = gr.Textbox(label="Dataset name", placeholder="qa / topics", elem_id="synth-name")
    with gr.Row():
        preview_btn = gr.Button("Preview", elem_id="synth-preview-btn")
        run_btn = gr.Button("Run", variant="primary", elem_id="synth-run")
    tokens = gr.Markdown(elem_id="synth-tokens")
    prompts = gr.Markdown(elem_id="synth-preview")
    preview_rows = gr.Dataframe(
        headers=t.EXAMPLE_COLUMNS,
        column_widths=t.EXAMPLE_WIDTHS,
        label="Preview examples",
        elem_id="synth-preview-examples",
        interactive=False,
        wrap=True,
    )
    panel = JobPanel(ctx, "synth")
    result = gr.Markdown(elem_id="synth-result")
    examples = gr.Dataframe(
        headers=t.EXAMPLE_COLUMNS,
        column_widths=t.EXAMPLE_WIDTHS,
        label="First examples",
        elem_id="synth-examples",
        interactive=False,
        wrap=True,
    )

    task.change(
        lambda k: (gr.Group(visible=k == QA), gr.Group(visible=k == CLASSIFY)),
        task,
        [qa_box, cls_box],
    )
    schema_file.upload(
        lambda f: Path(f).read_text(encoding="utf-8") if f else gr.skip(), schema_file, schema
    )
    suggest_btn.click(friendly(lambda sch: suggested_schema_text(ctx, sch)), schema, schema)

    @friendly
    def on_preview(k, ty, num, sch, gen, genn, sd):
        if k == QA:
            return qa_preview(ctx, ty, num, gen, sd)
        return classify_preview(ctx, sch, gen, genn, sd)

    preview_btn.click(
        on_preview,
        [task, types, n, schema, generator, generated, seed],
        [prompts, preview_rows, tokens],
    )

    @friendly
    def on_run(k, ty, num, sch, pl, un, sel, genn, gen, sd, nm):
        nm = (nm or "").strip() or None
        if k == QA:
            params = {
                "types": list(ty),
                "n": int(num),
                "generator": gen,
                "seed": int(sd),
                "name": nm,
            }
            job = ctx.submit("synth_qa", params)
        else:
            if sch.strip() == SKELETON.strip():
                raise InputError("write your labels into the schema first, or load a schema file")
            path = save_schema(ctx.ws, sch, nm or "schema")
            params = {
                "schema": str(path),
                "per_label": int(pl),
                "unit": un,
                "selection": sel,
                "seed": int(sd),
                "name": nm,
            }
            if int(genn) > 0:
                params |= {"generator": gen, "generated_per_label": int(genn)}
            job = ctx.submit("synth_classify", params)
        return *panel.started(job), f"{job.kind} started…"

    run_btn.click(
        on_run,
        [task, types, n, schema, per_label, unit, selection, generated, generator, seed, name],
        [*panel.outputs, result],
    )

    def on_finish(job: Job):
        if job.state != "succeeded":
            return f"{job.kind} {job.state.value}: {job.error or job.message}", gr.skip()
        r = job.result
        rows = t.example_rows(ctx.ws.catalog.examples(r["version_id"])[:20])
        md = f"Dataset **{r['name']}** `{r['version_id']}`: **{r['count']}** examples."
        details = version_lines(ctx.ws.catalog.dataset(r["version_id"]))[1:]
        return md + "".join(f"\n- {line.strip()}" for line in details), rows

    panel.wire(on_finish, [result, examples])

    @friendly
    def on_refresh(current: str):
        # the editor follows the workspace until the user types in it
        untouched = not current or current.strip() == SKELETON.strip()
        text = default_schema(ctx) if untouched else gr.skip()
        return gr.Dropdown(choices=generator_names(ctx.ws)), text

    return Hooks(on_open=[(on_refresh, [schema], [generator, schema])])
