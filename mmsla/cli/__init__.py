"""`mmsla` command line: the composition root.

Subcommands live in their own modules and are imported only when used, so
`mmsla --help` and small commands start fast. This is the only place where
`mmsla` and `quoter` are wired together.

Exit codes: 0 success (all obligations pass), 1 an obligation failed or a
remote check failed, 2 bad input or usage. A user never sees a traceback:
`MmslaError` becomes its own lines on stderr; anything unexpected becomes one
`mmsla: internal error: ...` line (set MMSLA_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from typing import Any

import click

from mmsla import __version__
from mmsla.errors import MmslaError

# name -> "module:attribute" of a click command or group. Add one line per command.
COMMANDS: dict[str, str] = {
    "check": "mmsla.cli.check:check",
    "report": "mmsla.cli.report:report",
    "validate": "mmsla.cli.validate:validate",
    "ingest": "mmsla.cli.ingest:ingest",
    "research": "mmsla.cli.research:research",
    "monitor": "mmsla.cli.monitor:monitor",
    "venue": "mmsla.cli.venue:venue",
    "quoter": "mmsla.cli.quoter:quoter",
    "fix": "mmsla.cli.fix:fix",
    "backtest": "mmsla.cli.backtest:backtest",
    "uptime": "mmsla.cli.uptime:uptime_command",
    "breaches": "mmsla.cli.breaches:breaches",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attr = COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mmsla")
def cli() -> None:
    """Market-making obligations: check, monitor, store, report; quoter and venue."""


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: run the CLI and map every failure to a clean exit."""
    try:
        code = cli.main(args=argv, prog_name="mmsla", standalone_mode=False)
    except click.exceptions.Exit as e:
        code = e.exit_code
    except click.ClickException as e:
        e.show()
        code = e.exit_code
    except click.exceptions.Abort:
        click.echo("mmsla: aborted", err=True)
        code = 130
    except MmslaError as e:
        for line in e.lines():
            click.echo(line, err=True)
        code = e.exit_code
    except KeyboardInterrupt:
        code = 130
    except Exception as e:  # the last line of defence: one line, no traceback
        if os.environ.get("MMSLA_DEBUG"):
            traceback.print_exc()
        click.echo(f"mmsla: internal error: {type(e).__name__}: {e}", err=True)
        code = 3
    sys.exit(code if isinstance(code, int) else 0)
