"""Explore tab: entity search, the neighbourhood graph, facts with evidence, statistics, a query box."""

from __future__ import annotations

import inspect
from pathlib import Path

import gradio as gr

from kgsynth.analytics import centrality
from kgsynth.app.ui import graphview as gv
from kgsynth.app.ui import tables as t
from kgsynth.app.ui.context import Hooks, UIContext, friendly
from kgsynth.errors import KgsynthError

FACT_COLUMNS = ["subject", "predicate", "object", "weight", "evidence sentence", "document"]


def doc_titles(ctx: UIContext):
    """A cached doc_id -> "title (source)" lookup for one callback."""
    cache: dict[str, str] = {}

    def title(doc_id: str) -> str:
        if doc_id not in cache:
            doc = ctx.ws.catalog.document(doc_id)
            name = Path(doc.source).name if doc else ""
            cache[doc_id] = f"{doc.title or name} ({name})" if doc else doc_id
        return cache[doc_id]

    return title


def search(ctx: UIContext, query: str, etype: str | None) -> tuple[list[list], list, str | None]:
    entities = ctx.store().search(query.strip(), limit=25, type=etype or None)
    return t.entity_rows(entities), t.entity_choices(entities), entities[0].id if entities else None


def entity_view(
    ctx: UIContext, entity_id: str | None, hops: int, cooccurrence: bool = False
) -> tuple[str, str, list[list]]:
    """(graph json, entity markdown, fact rows) for one entity and its neighbourhood (with the
    co-occurrence edges drawn too when `cooccurrence`)."""
    if not entity_id:
        return gv.graph_json(None), t.entity_markdown(None), []
    store = ctx.store()
    sub = store.neighborhood(
        [entity_id], hops=int(hops), limit=80, include_cooccurrence=bool(cooccurrence)
    )
    info, rows = facts_view(ctx, entity_id)
    return gv.graph_json(sub, focus=entity_id), info, rows


def facts_view(ctx: UIContext, entity_id: str) -> tuple[str, list[list]]:
    store = ctx.store()
    entity = store.entity(entity_id)
    facts = store.facts(entity_id, limit=50, include_cooccurrence=True)
    rows = t.fact_rows(facts, doc_titles(ctx))
    return t.entity_markdown(entity, len(facts)), rows


def statistics(ctx: UIContext):
    """(summary markdown, types frame, predicates frame, central entities rows)."""
    store = ctx.store()
    stats = store.stats()
    central = [[e.name, e.type, round(s, 4)] for e, s in centrality(store, top=15)]
    return (
        t.stats_markdown(stats),
        t.counts_frame(stats.entity_types, "type"),
        t.counts_frame(stats.predicates, "predicate"),
        central,
    )


def run_query(ctx: UIContext, text: str, limit: int = 100):
    """Run a read-only console query; refusals and bad queries come back as a message, not a crash."""
    if not text.strip():
        return t.rows_frame([{"result": None}]).iloc[:0], "Type a query first."
    try:
        rows = ctx.store().query(text, limit=int(limit))
    except KgsynthError as e:
        return t.rows_frame([{"result": None}]).iloc[:0], f"⚠ {e}"
    return t.rows_frame(rows), f"{len(rows)} row(s)"


def query_help(ctx: UIContext) -> tuple[str, str]:
    """(label, help markdown) for the console, from the store's own documentation."""
    kind = ctx.ws.config.store.kind
    try:
        doc = inspect.getdoc(type(ctx.store()).query) or ""
    except KgsynthError as e:
        doc = f"store unavailable: {e}"
    if kind == "neo4j":
        return "Cypher (read-only: runs in a read transaction)", doc
    return "Query (embedded store command language)", doc


def build(ctx: UIContext) -> Hooks:
    """Lay out the tab; returns its hooks (run on load and when the tab opens)."""
    with gr.Row():
        query = gr.Textbox(label="Search entities", elem_id="explore-search", scale=4)
        etype = gr.Dropdown(label="Type", choices=[""], value="", elem_id="explore-type", scale=1)
        hops = gr.Slider(1, 3, value=1, step=1, label="Hops", elem_id="explore-hops", scale=1)
        cooc = gr.Checkbox(
            label="Show co-occurrences (grey: names sharing sentences, no typed relation)",
            value=False,
            elem_id="explore-cooc",
            scale=1,
        )
        go = gr.Button("Search", variant="primary", elem_id="explore-search-btn", scale=1)
    with gr.Row():
        with gr.Column(scale=1):
            results = gr.Dataframe(
                headers=["name", "type", "mentions", "id"],
                label="Matches",
                elem_id="explore-results",
                interactive=False,
                max_height=300,
            )
            entity = gr.Dropdown(label="Entity", choices=[], elem_id="explore-entity")
            center = gr.Button("Centre graph on selected", elem_id="explore-center", size="sm")
        with gr.Column(scale=2):
            graph = gr.HTML(
                gv.graph_json(None),
                html_template=gv.HTML_TEMPLATE,
                js_on_load=gv.JS_ON_LOAD,
                head=gv.head_html(),
                elem_id="explore-graph",
            )
    selected = gr.State(None)
    info = gr.Markdown(t.entity_markdown(None), elem_id="explore-entity-info")
    facts = gr.Dataframe(
        headers=FACT_COLUMNS,
        column_widths=["14%", "10%", "14%", "6%", "40%", "16%"],
        label="Facts with evidence",
        elem_id="explore-facts",
        interactive=False,
        wrap=True,
        max_height=420,
    )
    with gr.Accordion("Graph statistics", open=True):
        stats_btn = gr.Button("Refresh statistics", elem_id="explore-stats-btn", size="sm")
        summary = gr.Markdown(elem_id="explore-stats")
        types_plot = gr.BarPlot(
            x="type", y="count", title="Entity types", elem_id="explore-types-plot", sort="-y"
        )
        preds_plot = gr.BarPlot(
            x="predicate",
            y="count",
            title="Top predicates",
            elem_id="explore-predicates-plot",
            sort="-y",
            x_label_angle=-45,
        )
        central = gr.Dataframe(
            headers=["entity", "type", "centrality"],
            label="Most central entities",
            elem_id="explore-central",
            interactive=False,
        )
    with gr.Accordion("Query console (read-only)", open=False):
        q_text = gr.Textbox(label="Query", elem_id="query-text", lines=3)
        with gr.Row():
            q_limit = gr.Number(100, label="Row limit", precision=0, elem_id="query-limit")
            q_run = gr.Button("Run query", elem_id="query-run")
        q_msg = gr.Markdown(elem_id="query-message")
        q_rows = gr.Dataframe(label="Rows", elem_id="query-results", interactive=False)
        q_help = gr.Markdown(elem_id="query-help")

    @friendly
    def on_search(q, ty, h, co):
        rows, choices, first = search(ctx, q, ty)
        g, md, frows = entity_view(ctx, first, h, co)
        return rows, gr.Dropdown(choices=choices, value=first), first, g, md, frows

    view_out = [graph, info, facts]
    go.click(on_search, [query, etype, hops, cooc], [results, entity, selected, *view_out])
    query.submit(on_search, [query, etype, hops, cooc], [results, entity, selected, *view_out])

    @friendly
    def on_pick(entity_id, h, co):
        return entity_id, *entity_view(ctx, entity_id, h, co)

    entity.input(on_pick, [entity, hops, cooc], [selected, *view_out])
    center.click(on_pick, [selected, hops, cooc], [selected, *view_out])
    cooc.input(on_pick, [selected, hops, cooc], [selected, *view_out])

    @friendly
    def on_node(evt: gr.EventData):
        entity_id = evt._data.get("id")
        return entity_id, *facts_view(ctx, entity_id)

    graph.node_click(on_node, None, [selected, info, facts])

    @friendly
    def on_stats():
        md, types_df, preds_df, cent = statistics(ctx)
        types = [""] + list(types_df["type"])
        return md, types_df, preds_df, cent, gr.Dropdown(choices=types)

    stats_btn.click(on_stats, None, [summary, types_plot, preds_plot, central, etype])

    @friendly
    def on_query(text, limit):
        return run_query(ctx, text, limit)

    q_run.click(on_query, [q_text, q_limit], [q_rows, q_msg])

    @friendly
    def on_help():
        label, doc = query_help(ctx)
        return gr.Textbox(label=label), f"**{label}**\n\n```text\n{doc}\n```"

    stats_out = [summary, types_plot, preds_plot, central, etype]
    return Hooks(on_open=[(on_stats, [], stats_out), (on_help, [], [q_text, q_help])])
