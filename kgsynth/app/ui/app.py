"""The kgsynth app for domain experts (Gradio): a thin shell over the Python API the CLI uses.

Tabs: Explore, Ingest, Synthesize, Review, Clean and export, Fine-tune, Coverage, Jobs, Settings. Each tab's
layout and callbacks live in a module of ``kgsynth/app/ui/``; long actions run as background jobs
(``kgsynth.jobs``) whose progress the tabs poll. Start it with ``kgsynth ui`` or ``python ui.py``.
Bound to 127.0.0.1 by default; any other address needs KGSYNTH_UI_USER and KGSYNTH_UI_PASSWORD.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from kgsynth.app.ui import (
    clean_tab,
    coverage_tab,
    explore,
    finetune_tab,
    ingest_tab,
    jobs_tab,
    review_tab,
    settings_tab,
    synth_tab,
)
from kgsynth.app.ui.context import Hooks, UIContext
from kgsynth.app.ui.graphview import STATIC_DIR
from kgsynth.errors import ConfigError, require

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
USER_ENV, PASSWORD_ENV = "KGSYNTH_UI_USER", "KGSYNTH_UI_PASSWORD"
MIN_PASSWORD = 10
TABS = [
    ("Explore", "explore", explore.build),
    ("Ingest", "ingest", ingest_tab.build),
    ("Synthesize", "synth", synth_tab.build),
    ("Review", "review", review_tab.build),
    ("Clean and export", "clean", clean_tab.build),
    ("Fine-tune", "finetune", finetune_tab.build),
    ("Coverage", "coverage", coverage_tab.build),
    ("Jobs", "jobs", jobs_tab.build),
    ("Settings", "settings", settings_tab.build),
]
CSS = ".kg-job { padding: 6px 0; } #review-card { min-height: 160px; }"


def resolve_auth(
    host: str, share: bool = False, env: Mapping[str, str] = os.environ
) -> tuple[str, str] | None:
    """The login to require: none on loopback without one set; mandatory anywhere else, with a
    password of at least MIN_PASSWORD characters."""
    user, password = env.get(USER_ENV), env.get(PASSWORD_ENV)
    if password and len(password) < MIN_PASSWORD:
        raise ConfigError(f"{PASSWORD_ENV} is too short: use at least {MIN_PASSWORD} characters")
    if user and password:
        return (user, password)
    if host in LOOPBACK and not share:
        return None
    where = "a share link" if share else host
    raise ConfigError(
        f"refusing to serve on {where} without a login: set {USER_ENV} and {PASSWORD_ENV}"
    )


def build_app(workspace: str | Path | None = None, store: str | None = None, server_info: str = ""):
    """The Blocks app on one workspace (default: $KGSYNTH_WORKSPACE or ./workspace)."""
    gr = require("gradio", extra="ui")
    gr.set_static_paths([str(STATIC_DIR)])
    ctx = UIContext(workspace, store)
    hooks: dict[str, Hooks] = {}
    tabs = {}
    with gr.Blocks(title="kgsynth") as demo:
        gr.Markdown(f"## kgsynth · workspace `{ctx.ws.path}`", elem_id="kg-title")
        with gr.Tabs(elem_id="kg-tabs"):
            for title, key, build in TABS:
                with gr.Tab(title, id=key, elem_id=f"tab-{key}") as tab:
                    kwargs = {"server_info": server_info} if key == "settings" else {}
                    hooks[key] = build(ctx, **kwargs)
                tabs[key] = tab
        for key, tab in tabs.items():
            for fn, inputs, outputs in hooks[key].on_open:
                tab.select(fn, inputs, outputs, show_progress="hidden")
            for other, h in hooks.items():
                for fn, inputs, outputs in h.on_leave if other != key else []:
                    tab.select(fn, inputs, outputs, show_progress="hidden")
        for fn, inputs, outputs in hooks[TABS[0][1]].on_open:
            demo.load(fn, inputs, outputs, show_progress="hidden")
    demo.queue(default_concurrency_limit=4)
    demo.kgsynth_context = ctx  # tests and embedders reach the workspace through this
    return demo


def launch(
    workspace: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 7860,
    share: bool = False,
    store: str | None = None,
    prevent_thread_lock: bool = False,
    quiet: bool = False,
):
    """Check the binding rules, build the app and serve it; returns the Blocks (running)."""
    auth = resolve_auth(host, share)
    info = f"Serving on {host}:{port}" + (" with a login." if auth else " (local only, no login).")
    demo = build_app(workspace, store, server_info=info)
    ws = demo.kgsynth_context.ws
    served = [str(ws.dir("exports")), str(ws.dir("runs"))]  # downloads and report figures only
    demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        auth=auth,
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        allowed_paths=served,
        head=review_tab.KEYS_HEAD,
        css=CSS,
        footer_links=[],
    )
    return demo
