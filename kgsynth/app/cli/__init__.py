"""The ``kgsynth`` command line: thin commands over the Python API.

Each command parses flags, calls one library function and prints its result. Library errors
(:class:`kgsynth.errors.KgsynthError`) become one readable line; ``--debug`` shows the traceback.
A long command runs its library function as a job in this process (:meth:`CliState.run_job`), so it
is a row of ``kgsynth jobs list`` and of the app's Jobs tab like a job the app started. Reading
commands never create a workspace. Command groups live in sibling modules, each with a
``register(cli)`` function.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import click

from kgsynth.errors import JobError, KgsynthError
from kgsynth.progress import progress_bar, quiet_library_bars
from kgsynth.redact import redact
from kgsynth.workspace import Workspace, open_workspace


@dataclass
class CliState:
    workspace_path: str | None = None
    store: str | None = None
    engine: str | None = None
    ray_address: str | None = None
    debug: bool = False
    _ws: Workspace | None = field(default=None, repr=False)

    def workspace(self, create: bool = False) -> Workspace:
        """The workspace; only a writing command that may start a project passes `create`."""
        if self._ws is None:
            self._ws = open_workspace(
                self.workspace_path, self.store, self.engine, self.ray_address, create=create
            )
            if self._ws.created:
                toml = self._ws.path / "kgsynth.toml"
                click.echo(f"created a new workspace {self._ws.path} (settings: {toml})", err=True)
        return self._ws

    def run_job(self, kind: str, params: dict, label: str, create: bool = False) -> dict:
        """Run job `kind` here as a catalog job row, with a progress bar; its result dict."""
        from kgsynth import jobs

        ws = self.workspace(create=create)
        params = {k: v for k, v in params.items() if v is not None}
        job = jobs.run_inline(ws, kind, params, on_progress=progress_bar(label), reraise=True)
        if job.state.value != "succeeded":
            raise JobError(
                f"job {job.id} {job.state.value}" + (f": {job.error}" if job.error else "")
            )
        return job.result | {"job_id": job.id}


pass_state = click.make_pass_decorator(CliState)
__all__ = ["CliState", "cli", "main", "pass_state", "progress_bar"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    "-w",
    envvar="KGSYNTH_WORKSPACE",
    type=click.Path(file_okay=False),
    help="Workspace directory (default: ./workspace, or $KGSYNTH_WORKSPACE).",
)
@click.option("--store", type=click.Choice(["embedded", "neo4j"]), help="Override the graph store.")
@click.option(
    "--engine", envvar="KGSYNTH_ENGINE", help="Run heavy stages 'local' (default) or on 'ray'."
)
@click.option(
    "--ray-address",
    envvar="KGSYNTH_RAY_ADDRESS",
    help="Ray cluster for --engine ray: auto (default), local, host:port or ray://host:10001.",
)
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(package_name="kgsynth")
@click.pass_context
def cli(ctx: click.Context, workspace, store, engine, ray_address, debug: bool) -> None:
    """kgsynth: documents → knowledge graph → labeled training data → fine-tuned model."""
    state = CliState(workspace, store, engine, ray_address, debug)
    ctx.obj = state
    ctx.call_on_close(lambda: state._ws.close() if state._ws else None)


def _register_all() -> None:
    from kgsynth.app.cli import app, data, demo, graph, synth, train

    for module in (graph, synth, data, train, app, demo):
        module.register(cli)


_register_all()


def main(argv: list[str] | None = None) -> None:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    quiet_library_bars(sys.stderr)
    try:
        cli.main(args=argv, prog_name="kgsynth", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except KgsynthError as e:
        if debug:
            raise
        click.echo(f"error: {redact(str(e))}", err=True)
        sys.exit(1)
    except OSError as e:  # a full or read-only disk, a path the OS refuses: one line, no traceback
        if debug:
            raise
        where = f": {e.filename}" if e.filename else ""
        click.echo(f"error: {e.strerror or redact(str(e))}{where}", err=True)
        sys.exit(1)
