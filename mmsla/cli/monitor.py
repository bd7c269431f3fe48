"""`mmsla monitor`: run the live obligation monitor; `mmsla monitor status`: its live view.

    mmsla monitor --agreement A.yaml --events tcp://127.0.0.1:5555 \
        [--replay tcp://...] [--control tcp://...] [--db DB] [--alerts SINK ...] \
        [--config policy.yaml] [--state-dir DIR]
    mmsla monitor status [--state-dir DIR] [--watch]

The state directory holds the resume point, the status file and the spooled
quote-log chunks. Runs until interrupted (Ctrl-C flushes the last batch).
Wiring only: the engine is `mmsla.monitor.engine`, the loop `mmsla.monitor.runner`.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click

DEFAULT_STATE_DIR = "mmsla-monitor"


@click.group(invoke_without_command=True)
@click.option("--agreement", "agreement_path", type=click.Path(dir_okay=False), help="Agreement.")
@click.option("--events", help="The quoter's event PUB endpoint, e.g. tcp://127.0.0.1:5555.")
@click.option("--replay", help="The quoter's replay REP endpoint (gap recovery).")
@click.option("--control", help="The quoter's control REP endpoint (widen/pull/resume).")
@click.option("--db", type=click.Path(dir_okay=False), help="DuckDB event store to write.")
@click.option(
    "--alerts", "alert_specs", multiple=True, help="stderr | jsonl:PATH | webhook:URL | zmq:EP"
)
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), help="Monitor/actions YAML."
)
@click.option("--state-dir", default=DEFAULT_STATE_DIR, show_default=True, type=click.Path())
@click.option(
    "--duration-s",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Stop after this many seconds.",
)
@click.pass_context
def monitor(
    ctx: click.Context,
    agreement_path: str | None,
    events: str | None,
    replay: str | None,
    control: str | None,
    db: str | None,
    alert_specs: tuple[str, ...],
    config_path: str | None,
    state_dir: str,
    duration_s: float | None,
) -> None:
    """Check every quote update live against an agreement; alert, widen, pull."""
    ctx.ensure_object(dict)
    ctx.obj["state_dir"] = state_dir
    if ctx.invoked_subcommand is not None:
        return
    if agreement_path is None or events is None:
        raise click.UsageError("--agreement and --events are required to run the monitor")
    from mmsla.agreement import load_agreement
    from mmsla.monitor.alerts import AlertGate
    from mmsla.monitor.config import load_config
    from mmsla.monitor.engine import MonitorEngine
    from mmsla.monitor.persist import Persister, read_resume
    from mmsla.monitor.runner import MonitorRunner
    from mmsla.monitor.sinks import open_sink

    agreement = load_agreement(agreement_path)
    config = load_config(config_path)
    sinks = [open_sink(s) for s in (alert_specs or ("stderr",))]
    state = Path(state_dir)
    state.mkdir(parents=True, exist_ok=True)
    engine = MonitorEngine(agreement, config, wall_clock=time.monotonic)
    persister = Persister(
        agreement,
        spool_dir=state / "spool",
        state_path=state / "resume.json",
        db=db,
        levels=engine.levels,
        mode="process",
    )
    runner = MonitorRunner(
        engine,
        events,
        replay=replay,
        control=control,
        sinks=sinks,
        gate=AlertGate(),
        persister=persister,
        resume=read_resume(state / "resume.json"),
        status_path=state / "status.json",
    )
    stop = threading.Event()

    def _stop(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"mmsla monitor: {agreement.id} <- {events}", err=True)
    try:
        runner.run(stop, duration_s)
    finally:
        runner.close()


@monitor.command()
@click.option("--state-dir", default=None, type=click.Path(), help="As given to `mmsla monitor`.")
@click.option("--watch", is_flag=True, help="Refresh in place every second.")
@click.pass_context
def status(ctx: click.Context, state_dir: str | None, watch: bool) -> None:
    """Per symbol: valid now (or why not), presence so far, budget left, open breach."""
    from mmsla.monitor.status import read_status, render

    path = Path(state_dir or ctx.obj["state_dir"]) / "status.json"
    if not watch:
        click.echo(render(read_status(path), time.time_ns()))
        return
    try:
        while True:
            text = render(read_status(path), time.time_ns())
            sys.stdout.write("\x1b[H\x1b[2J" + text + "\n")
            sys.stdout.flush()
            time.sleep(1)
    except KeyboardInterrupt:
        pass
