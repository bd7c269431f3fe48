"""`mmsla quoter`: run the quoting engine, and talk to a running one (kill, resume, status, ...).

`run --config FILE` starts `quoter.app.QuoterApp` and blocks until SIGINT or
SIGTERM (then cancels everything, logs out, flushes files, exits 0). The other
commands send one control request (`mmsla.events.control`) to the endpoint of
`--control` or of the config's `endpoints.control`, print the JSON reply, and
exit 0 on `ok`, 1 on a refused command or no answer.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import click

from mmsla.errors import ConfigError


@click.group("quoter")
def quoter() -> None:
    """Quoting engine: run it, or control a running one."""


@quoter.command("run")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False))
def run(config_path: str) -> None:
    """Quote the configured venue until interrupted."""
    from quoter.app import QuoterApp
    from quoter.config import load_config

    config = load_config(config_path)
    app = QuoterApp(config)
    click.echo(
        f"quoter {config.source}: {config.venue.sender_comp_id} -> "
        f"{config.venue.host}:{config.venue.port}, symbols "
        f"{', '.join(s.symbol for s in config.quoted)}",
        err=True,
    )
    asyncio.run(app.run())
    click.echo(f"quoter {config.source}: stopped", err=True)


def _endpoint(control: str | None, config_path: str | None) -> str:
    if control:
        return control
    if config_path:
        from quoter.config import load_config

        ep = load_config(config_path).endpoints.control
        if ep:
            return ep
        raise ConfigError(f"{config_path}: endpoints.control: not set")
    raise click.UsageError("give --control ENDPOINT or --config FILE")


def _send(command: dict[str, Any], control: str | None, config_path: str | None) -> None:
    from mmsla.events.control import send_control

    endpoint = _endpoint(control, config_path)
    reply = send_control(endpoint, command, timeout_ms=3000)
    if reply is None:
        click.echo(f"mmsla quoter: no answer from {endpoint}", err=True)
        raise click.exceptions.Exit(1)
    click.echo(json.dumps(reply, indent=2, sort_keys=True))
    if not reply.get("ok"):
        raise click.exceptions.Exit(1)


_control_opt = click.option(
    "--control", default=None, help="control endpoint, e.g. tcp://127.0.0.1:7702"
)
_config_opt = click.option(
    "--config",
    "config_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="take the control endpoint from this quoter config",
)


@quoter.command("kill")
@click.option("--reason", default="manual kill")
@_control_opt
@_config_opt
def kill(reason: str, control: str | None, config_path: str | None) -> None:
    """Cancel every order and block new ones until `resume`."""
    _send({"type": "kill", "reason": reason, "source": "cli"}, control, config_path)


@quoter.command("resume")
@click.option("--symbol", default="*")
@click.option("--reason", default="manual resume")
@_control_opt
@_config_opt
def resume(symbol: str, reason: str, control: str | None, config_path: str | None) -> None:
    """Release the kill switch and a pull (symbol or `*`)."""
    _send(
        {"type": "resume", "symbol": symbol, "reason": reason, "source": "cli"},
        control,
        config_path,
    )


@quoter.command("pull")
@click.option("--symbol", default="*")
@click.option("--reason", default="manual pull")
@_control_opt
@_config_opt
def pull(symbol: str, reason: str, control: str | None, config_path: str | None) -> None:
    """Cancel the quotes of a symbol (or `*`) until `resume`."""
    _send(
        {"type": "pull", "symbol": symbol, "reason": reason, "source": "cli"}, control, config_path
    )


@quoter.command("widen")
@click.option("--symbol", default="*")
@click.option("--factor", required=True)
@click.option("--reason", default="manual widen")
@_control_opt
@_config_opt
def widen(
    symbol: str, factor: str, reason: str, control: str | None, config_path: str | None
) -> None:
    """Multiply the spread by FACTOR (>= 1), capped at the agreement's limit."""
    cmd = {"type": "widen", "symbol": symbol, "factor": factor, "reason": reason, "source": "cli"}
    _send(cmd, control, config_path)


@quoter.command("status")
@_control_opt
@_config_opt
def status(control: str | None, config_path: str | None) -> None:
    """State, positions, PnL and live orders per symbol (JSON)."""
    _send({"type": "status"}, control, config_path)
