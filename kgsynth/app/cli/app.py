"""`kgsynth ui`: start the Gradio app (ui.py) on a workspace."""

from __future__ import annotations

import click

from kgsynth.app.cli.state import CliState, pass_state


@click.command("ui")
@click.option("--host", default=None, help="Address to bind (default: config ui.host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: config ui.port, 7860).")
@click.option(
    "--share",
    type=click.Choice(["no", "yes"]),
    default="no",
    show_default=True,
    help="Ask Gradio for a public share link (needs a login and internet access).",
)
@pass_state
def ui_command(state: CliState, host: str | None, port: int | None, share: str) -> None:
    """Start the web app for domain experts. Binding beyond 127.0.0.1 needs
    KGSYNTH_UI_USER and KGSYNTH_UI_PASSWORD."""
    from kgsynth.app.ui import app as ui

    if host:
        ui.resolve_auth(host, share == "yes")  # refuse before a new workspace is made
    ws = state.workspace(create=True)
    ui.launch(
        ws.path,
        host=host or ws.config.ui.host,
        port=port or ws.config.ui.port,
        share=share == "yes",
        store=state.store,
    )


def register(cli: click.Group) -> None:
    """Add this module's commands to the main group."""
    cli.add_command(ui_command)
