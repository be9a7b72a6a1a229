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

import click

from kgsynth.app.cli import app, choices, data, demo, graph, living, synth, train
from kgsynth.app.cli.state import CliState, pass_state
from kgsynth.errors import KgsynthError
from kgsynth.progress import progress_bar, quiet_library_bars
from kgsynth.redact import redact

__all__ = ["CliState", "cli", "main", "pass_state", "progress_bar"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    "-w",
    envvar="KGSYNTH_WORKSPACE",
    type=click.Path(file_okay=False),
    help="Workspace directory (default: ./workspace, or $KGSYNTH_WORKSPACE).",
)
@click.option("--store", type=choices.of("stores"), help="Override the graph store.")
@click.option(
    "--engine",
    envvar="KGSYNTH_ENGINE",
    type=choices.of("engines"),
    help="Where heavy stages run (default: config engine, local).",
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


for _module in (graph, synth, data, living, train, app, demo):
    _module.register(cli)


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
