"""Settings tab: workspace, graph store, generator endpoints. API keys are never shown: only env names."""

from __future__ import annotations

import os

from kgsynth.app.ui.context import Hooks, UIContext, friendly
from kgsynth.config import generator_options, save_config
from kgsynth.errors import InputError
from kgsynth.generators import GENERATORS
from kgsynth.store import STORES

GEN_COLUMNS = ["name", "kind", "model", "base_url", "api key env var", "key set"]


def generator_rows(ctx: UIContext) -> list[list]:
    rows = []
    for name, g in ctx.ws.config.generators.items():
        model, url, key_env = (getattr(g, k, None) for k in ("model", "base_url", "api_key_env"))
        key_set = ("yes" if os.environ.get(key_env) else "no") if key_env else "-"
        rows.append([name, g.kind, model or "", url or "", key_env or "", key_set])
    return rows


def store_fields(ctx: UIContext) -> tuple:
    c = ctx.ws.config.store
    return (
        str(ctx.ws.path),
        c.kind,
        c.neo4j.uri,
        c.neo4j.user,
        c.neo4j.password_env,
        c.neo4j.database,
    )


def save_store(
    ctx: UIContext, kind: str, uri: str, user: str, password_env: str, database: str
) -> str:
    """Write the store settings to kgsynth.toml, re-open the workspace and check the store answers."""
    config = ctx.ws.config.model_copy(deep=True)
    config.store.kind = kind
    neo = config.store.neo4j
    neo.uri, neo.user, neo.database = uri.strip(), user.strip(), database.strip()
    neo.password_env = password_env.strip()
    path = save_config(ctx.ws.path, config)
    ws = ctx.switch(ctx.ws.path)
    stats = ctx.store().stats()
    return f"Saved `{path}`; {ws.config.store.kind} store has {stats.entities} entities."


def save_generator(
    ctx: UIContext, name: str, kind: str, model: str, base_url: str, key_env: str
) -> str:
    name = name.strip()
    if not name:
        raise InputError("give the generator a name")
    if key_env.strip() and not key_env.strip().replace("_", "").isalnum():
        raise InputError("the API key field takes the NAME of an environment variable, not the key")
    config = ctx.ws.config.model_copy(deep=True)
    given = {"model": model, "base_url": base_url, "api_key_env": key_env}
    config.generators[name] = generator_options(
        kind, **{k: v.strip() for k, v in given.items() if v and v.strip()}
    )
    path = save_config(ctx.ws.path, config)
    ctx.switch(ctx.ws.path)
    return f"Saved generator **{name}** to `{path}`."


def build(ctx: UIContext, server_info: str = "") -> Hooks:
    """Lay out the tab; returns its hooks."""
    import gradio as gr

    gr.Markdown(server_info or "", elem_id="settings-server")
    with gr.Row():
        workspace = gr.Textbox(label="Workspace directory", elem_id="settings-workspace", scale=4)
        open_btn = gr.Button("Open workspace", elem_id="settings-open", scale=1)
    gr.Markdown("### Graph store")
    with gr.Row():
        kind = gr.Radio(STORES.names(), label="Store", elem_id="settings-store")
        uri = gr.Textbox(label="Neo4j URI", elem_id="settings-neo4j-uri")
        user = gr.Textbox(label="Neo4j user", elem_id="settings-neo4j-user")
        pw_env = gr.Textbox(
            label="Password env var (name only)", elem_id="settings-neo4j-password-env"
        )
        database = gr.Textbox(label="Database", elem_id="settings-neo4j-database")
    save_store_btn = gr.Button("Save store settings", elem_id="settings-save-store")
    gr.Markdown("### Generator endpoints")
    gens = gr.Dataframe(
        headers=GEN_COLUMNS, label="Generators", elem_id="settings-generators", interactive=False
    )
    with gr.Row():
        g_name = gr.Textbox(label="Name", elem_id="settings-gen-name")
        g_kind = gr.Dropdown(
            GENERATORS.names(),
            value="openai",
            label="Kind",
            elem_id="settings-gen-kind",
        )
        g_model = gr.Textbox(label="Model", elem_id="settings-gen-model")
        g_url = gr.Textbox(label="Base URL", elem_id="settings-gen-url")
        g_env = gr.Textbox(label="API key env var (name only)", elem_id="settings-gen-key-env")
    save_gen_btn = gr.Button("Save generator", elem_id="settings-save-generator")
    message = gr.Markdown(elem_id="settings-message")
    store_out = [workspace, kind, uri, user, pw_env, database]

    @friendly
    def on_open(path):
        if not (path or "").strip():
            raise InputError("give a workspace directory")
        ws = ctx.switch(path.strip())
        return f"Opened workspace `{ws.path}`.", *store_fields(ctx), generator_rows(ctx)

    open_btn.click(on_open, workspace, [message, *store_out, gens])
    save_store_btn.click(
        friendly(lambda *a: save_store(ctx, *a)), [kind, uri, user, pw_env, database], message
    )

    @friendly
    def on_save_gen(*a):
        return save_generator(ctx, *a), generator_rows(ctx)

    save_gen_btn.click(on_save_gen, [g_name, g_kind, g_model, g_url, g_env], [message, gens])

    @friendly
    def on_refresh():
        return *store_fields(ctx), generator_rows(ctx)

    return Hooks(on_open=[(on_refresh, [], [*store_out, gens])])
