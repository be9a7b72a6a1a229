"""The public surface: every CLI command answers --help with a description."""

import click
from click.testing import CliRunner

from kgsynth.app.cli import cli


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + (name,))


def test_every_command_has_help():
    runner = CliRunner()
    commands = list(_commands(cli))
    assert len(commands) >= 10
    for path, command in commands:
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert command.help or command.short_help, f"kgsynth {' '.join(path)} has no help text"
