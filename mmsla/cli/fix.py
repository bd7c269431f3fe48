"""`mmsla fix`: FIX engine diagnostics (serve the acceptance profile, ping an acceptor)."""

from __future__ import annotations

import asyncio
import ssl

import click


@click.group("fix")
def fix() -> None:
    """FIX 4.4 engine tools."""


@fix.command("serve-acceptance")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), required=True, help="TCP port.")
def serve_acceptance(host: str, port: int) -> None:
    """Serve the QuickFIX acceptance-test profile (ISLD <- TW44) until Ctrl-C."""
    from quoter.fix.acceptance import run_acceptance_server

    click.echo(f"FIX acceptance profile ISLD <- TW44 listening on {host}:{port} (Ctrl-C stops)")
    try:
        run_acceptance_server(host, port)
    except OSError as e:
        raise click.ClickException(f"cannot listen on {host}:{port}: {e.strerror or e}") from e
    except KeyboardInterrupt:
        pass


@fix.command("ping")
@click.option("--host", required=True)
@click.option("--port", type=click.IntRange(1, 65535), required=True)
@click.option("--sender", required=True, help="Our SenderCompID.")
@click.option("--target", required=True, help="The acceptor's CompID (our TargetCompID).")
@click.option("--username", default=None)
@click.option("--password", default=None)
@click.option("--tls", is_flag=True, help="Connect over TLS.")
@click.option(
    "--cafile",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="CA bundle to verify the acceptor's certificate (TLS).",
)
@click.option("--insecure", is_flag=True, help="TLS without certificate verification.")
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(0.1, 600),
    default=10.0,
    show_default=True,
    help="Seconds for each step.",
)
def ping_command(
    host: str,
    port: int,
    sender: str,
    target: str,
    username: str | None,
    password: str | None,
    tls: bool,
    cafile: str | None,
    insecure: bool,
    timeout_s: float,
) -> None:
    """Log on, send a TestRequest, wait for the Heartbeat, log out; print the times."""
    from quoter.fix.ping import ping

    ctx: ssl.SSLContext | None = None
    if tls:
        ctx = ssl.create_default_context(cafile=cafile)
        if insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
    result = asyncio.run(ping(host, port, sender, target, username, password, ctx, timeout_s))
    if not result.ok:
        click.echo(f"mmsla fix ping: {result.reason}", err=True)
        raise click.exceptions.Exit(1)
    click.echo(
        f"logon {result.logon_ms:.2f} ms, TestRequest round trip {result.round_trip_ms:.2f} ms"
    )
