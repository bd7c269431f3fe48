"""`mmsla venue run --config FILE`: the local FIX venue as a process.

Composition root for the venue: loads the YAML config (`quoter.venue.config`),
reads a recorded market with `mmsla.io` (LOBSTER zip/CSV, Binance raw feed),
builds the engine, the market sources (synthetic or replay, plus scheduled
stressed intervals) and the simulation clock, and runs `VenueServer` until
SIGINT/SIGTERM (or, with `--exit-when-done`, until the market data ends).
Member logon: Username(553) = the member's CompID, Password(554) from the
config. Synthetic markets run on the config's `clock` (start, speed, end;
default: now, real time, no end); replays start at their first recorded
event at the configured speed.
Session events are logged one line each on stderr. A bad config is a
one-line error and exit code 2; shutdown sends logouts, closes the files and
exits 0.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mmsla.errors import ConfigError, MmslaError

if TYPE_CHECKING:
    from collections.abc import Callable

    from mmsla.domain import RecordedMarket
    from quoter.venue.config import ReplaySourceConfig
    from quoter.venue.events import TradingPhase
    from quoter.venue.server import VenueServer


def _log(text: str) -> None:
    from quoter.venue.server import format_log_line

    print(format_log_line(time.time_ns(), text), file=sys.stderr, flush=True)


def build_server(
    config_path: str | Path,
    *,
    market_out: str | Path | None = None,
    states_out: str | Path | None = None,
    port: int | None = None,
    log: Callable[[str], None] = _log,
) -> VenueServer:
    """A ready-to-start `VenueServer` for a config file (ConfigError/InputError on bad input)."""
    from quoter.venue.clock import SimClock
    from quoter.venue.config import (
        ReplaySourceConfig,
        SyntheticSource,
        build_engine,
        load_venue_config,
    )
    from quoter.venue.gateway import Member
    from quoter.venue.replay import ReplaySource
    from quoter.venue.server import MarketSource, StressSchedule, VenueServer
    from quoter.venue.synthetic import SyntheticMarket

    cfg = load_venue_config(config_path)
    engine = build_engine(cfg)
    symbols = [s.symbol for s in cfg.symbols]
    sources: list[MarketSource] = []
    src = cfg.source
    if isinstance(src, ReplaySourceConfig):
        market, phases = _read_recording(src)
        sym = market.book.symbol
        if sym not in symbols:
            raise ConfigError(
                f"{cfg.path}: market.replay: the recording's symbol {sym!r} is not in symbols"
            )
        try:
            replay = ReplaySource(
                engine, market, queue_model=src.queue_model, seed=src.seed, phases=phases
            )
        except ValueError as e:
            raise ConfigError(f"{cfg.path}: market.replay: {e}") from e
        first = replay.next_event_ns()
        if first is None:
            raise ConfigError(f"{cfg.path}: market.replay: the recording has no book frames")
        speed = None if src.speed_x is None else Fraction(str(src.speed_x))
        clock = SimClock(first, speed)
        sources.append(replay)
    else:
        start = cfg.clock.start_ns if cfg.clock.start_ns is not None else time.time_ns()
        clock = SimClock(start, cfg.clock.speed)
        if isinstance(src, SyntheticSource):
            sources.append(SyntheticMarket(engine, src.symbol, src.params, clock.start_ns))
    if cfg.stressed:
        intervals = [(i.start_ns, i.end_ns, i.symbol, i.reason) for i in cfg.stressed]
        sources.append(StressSchedule(engine, intervals, symbols, clock.start_ns))
    members = [
        Member(m.comp_id, m.comp_id, m.password, m.cancel_on_disconnect) for m in cfg.members
    ]
    return VenueServer(
        engine,
        cfg.symbols,
        members,
        sources,
        clock,
        host=cfg.host,
        port=cfg.port if port is None else port,
        states_path=states_out if states_out is not None else cfg.states_path,
        market_path=market_out,
        end_ns=None if isinstance(src, ReplaySourceConfig) else cfg.clock.end_ns,
        log=log,
    )


def _read_recording(
    src: ReplaySourceConfig,
) -> tuple[RecordedMarket, list[tuple[int, TradingPhase, str]]]:
    from mmsla.io.binance import read_binance
    from mmsla.io.lobster import read_lobster, read_lobster_halts
    from quoter.venue.replay import lobster_phases

    if src.format == "lobster":
        path = src.paths[0]
        market = read_lobster(path, symbol=src.symbol)
        halts = read_lobster_halts(path)
        return market, list(lobster_phases([(h.ts_ns, h.kind) for h in halts]))
    market = read_binance(src.paths, depth=src.depth, symbol=src.symbol or "BTCUSDT")
    return market, []


async def _serve(server: VenueServer, exit_when_done: bool) -> None:
    try:
        await server.start()
    except OSError as e:
        raise ConfigError(
            f"cannot listen on {server.acceptor.host}:{server.acceptor.port}: {e.strerror or e}"
        ) from e
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    waiters = [asyncio.create_task(stop.wait())]
    if exit_when_done:
        waiters.append(asyncio.create_task(server.done.wait()))
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    for w in waiters:
        w.cancel()
    _log("shutting down: logging members out")
    await server.stop()
    if server.error is not None:
        raise MmslaError(f"market source failed: {type(server.error).__name__}: {server.error}")


@click.group()
def venue() -> None:
    """The local FIX 4.4 venue (exchange simulator)."""


@venue.command()
@click.option(
    "--config", "config_path", required=True, type=click.Path(dir_okay=False), help="venue YAML"
)
@click.option(
    "--market-out",
    type=click.Path(dir_okay=False),
    default=None,
    help="also write the market reference (BBO) CSV here",
)
@click.option(
    "--states-out",
    type=click.Path(dir_okay=False),
    default=None,
    help="write market-state intervals here (overrides states.path)",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="override the config's port (0 = any)",
)
@click.option("--exit-when-done", is_flag=True, help="stop when the market data has ended")
def run(
    config_path: str,
    market_out: str | None,
    states_out: str | None,
    port: int | None,
    exit_when_done: bool,
) -> None:
    """Serve FIX members until SIGINT (logouts sent, files closed, exit 0)."""
    try:
        server = build_server(config_path, market_out=market_out, states_out=states_out, port=port)
    except MmslaError:
        raise
    except (OSError, ValueError) as e:
        raise ConfigError(f"{config_path}: {e}") from e
    asyncio.run(_serve(server, exit_when_done))
