"""The venue process: FIX acceptor + gateway + market sources stepped on the simulation clock.

`VenueServer` wires a `MatchingEngine` to one FIX acceptor session per member
(SenderCompID `VENUE`, credentials checked at logon, a second connection for a
connected identity refused and logged), drives its market sources (synthetic
or replay, anything with `next_event_ns()` / `step(now_ns)`) on a `SimClock`,
and records what happened:
- paced clock (speed 1 = real time, 60 = x60): sleeps until the next source
  event is due in simulation time, then steps every source to it. The clock
  is held at that event meanwhile (`SimClock.hold`), so member messages
  handled late in the wait are not stamped after it: one clock, and every
  output (market data, the BBO file, the states file) in time order;
- event-driven clock ("as fast as possible"): jumps to the next source event,
  yielding to the event loop between events so members' orders are handled
  at the simulation time they arrive. Output to a member whose socket buffer
  exceeds `max_buffer_bytes` pauses the market until it drains (a slow reader
  slows the replay instead of growing memory).
When every source is exhausted (or `end_ns` is reached) each symbol is set to
`closed` (a SecurityStatus 326=18 goes out) and `done` is set; the server keeps
serving until `stop()`.

Files (optional): the market-states CSV (`StateRecorder`/`write_states_csv`,
written at stop) and the market reference (BBO) CSV
`ts,symbol,bid_px,ask_px,bid_qty,ask_qty` (epoch ns, exact decimals, one row
per change of the best prices or sizes, streamed). `stop()` logs every member
out, waits for the logouts, closes the sockets and the files.

Not here: config parsing (`config`, the CLI), order-entry semantics (`gateway`).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from quoter.fix.codec.times import format_utc
from quoter.fix.session import Session, SessionConfig
from quoter.fix.transport import Acceptor, _Connection
from quoter.venue.clock import SimClock
from quoter.venue.events import BookChanged, Event, TradingPhase
from quoter.venue.gateway import Gateway, Member
from quoter.venue.matching import MatchingEngine
from quoter.venue.md_publisher import venue_dictionary
from quoter.venue.rules import SymbolSpec
from quoter.venue.states import StateRecorder, write_states_csv
from quoter.venue.synthetic import SyntheticMarket

VENUE_COMP_ID = "VENUE"
Log = Callable[[str], None]


class MarketSource(Protocol):
    """A market driving the engine: synthetic flow or a recorded market."""

    def next_event_ns(self) -> int | None: ...

    def step(self, now_ns: int) -> list[Event]: ...


class StressSchedule:
    """Scheduled stressed intervals as a market source: sets the stressed flag at each
    `start` and clears it at each `end` (symbol `*` = every symbol of the engine).
    Intervals that ended before `from_ns` are dropped; one under way starts at `from_ns`."""

    def __init__(
        self,
        engine: MatchingEngine,
        intervals: Sequence[tuple[int, int, str, str]],
        symbols: Sequence[str],
        from_ns: int | None = None,
    ) -> None:
        self.engine = engine
        changes: list[tuple[int, str, bool, str]] = []
        for start_ns, end, symbol, reason in intervals:
            if from_ns is not None and end <= from_ns:
                continue
            start = start_ns if from_ns is None else max(start_ns, from_ns)
            for sym in symbols if symbol in ("*", "") else (symbol,):
                changes += [(start, sym, True, reason), (end, sym, False, reason)]
        self._changes = sorted(changes, key=lambda c: (c[0], c[1], c[2]))
        self._next = 0

    def next_event_ns(self) -> int | None:
        return self._changes[self._next][0] if self._next < len(self._changes) else None

    def step(self, now_ns: int) -> list[Event]:
        events: list[Event] = []
        while self._next < len(self._changes) and self._changes[self._next][0] <= now_ns:
            ts, sym, stressed, reason = self._changes[self._next]
            self._next += 1
            phase = self.engine.phase(sym)
            events += self.engine.set_phase(sym, phase, ts, stressed=stressed, reason=reason)
        return events


class _VenueAcceptor(Acceptor):
    """The FIX acceptor, reporting routing refusals and connection changes to the server."""

    def __init__(self, server: VenueServer, sessions: Sequence[Session], host: str, port: int):
        super().__init__(sessions, host, port)
        self.server = server
        self.conns: dict[Session, _Connection] = {}

    def lookup(self, key: tuple[str, str, str]) -> Session | None:
        session = super().lookup(key)
        begin, _target, sender = key
        if session is None:
            self.server.log(f"refused connection: unknown identity {sender!r} ({begin})")
        elif session.connected:
            self.server.log(f"refused duplicate logon {sender}: already connected")
        return session

    def attached(self, session: Session, conn: _Connection) -> None:
        self.conns[session] = conn

    def detached(self, session: Session, conn: _Connection) -> None:
        if self.conns.get(session) is conn:
            del self.conns[session]
        self.server.flush()  # cancel-on-disconnect output for the other members

    def state_changed(self, session: Session) -> None:
        self.server.flush()


class _MarketWriter:
    """Streams the market reference (BBO) CSV: one row per change of the best levels."""

    def __init__(self, path: Path, specs: dict[str, SymbolSpec]) -> None:
        self._fh = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115 (closed in close)
        self._csv = csv.writer(self._fh)
        self._csv.writerow(["ts", "symbol", "bid_px", "ask_px", "bid_qty", "ask_qty"])
        self._specs = specs
        self._last: dict[str, tuple[tuple[int, int] | None, tuple[int, int] | None]] = {}

    def observe(self, events: Sequence[Event]) -> None:
        for e in events:
            if type(e) is not BookChanged:
                continue
            assert isinstance(e, BookChanged)
            top = (e.bids[0] if e.bids else None, e.asks[0] if e.asks else None)
            if self._last.get(e.symbol) == top:
                continue
            self._last[e.symbol] = top
            spec = self._specs[e.symbol]
            bid, ask = top
            self._csv.writerow(
                [
                    e.ts_ns,
                    e.symbol,
                    "" if bid is None else format(spec.px(bid[0]), "f"),
                    "" if ask is None else format(spec.px(ask[0]), "f"),
                    "" if bid is None else format(spec.qty(bid[1]), "f"),
                    "" if ask is None else format(spec.qty(ask[1]), "f"),
                ]
            )

    def close(self) -> None:
        self._fh.close()


class VenueServer:
    """The venue as an asyncio service (see module docstring)."""

    def __init__(
        self,
        engine: MatchingEngine,
        symbols: Sequence[SymbolSpec],
        members: Sequence[Member],
        sources: Sequence[MarketSource],
        clock: SimClock,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        end_ns: int | None = None,
        states_path: str | Path | None = None,
        market_path: str | Path | None = None,
        log: Log = lambda line: None,
        max_buffer_bytes: int = 4 << 20,
        logout_timeout_s: float = 2.0,
    ) -> None:
        if clock.as_fast_as_possible and end_ns is None and any(map(_endless, sources)):
            raise ValueError("an endless (synthetic) market as fast as possible needs end_ns")
        self.engine = engine
        self.symbols = list(symbols)
        self.sources = list(sources)
        self.clock = clock
        self.end_ns = end_ns
        self.log = log
        self.max_buffer_bytes = max_buffer_bytes
        self.logout_timeout_s = logout_timeout_s
        self.gateway = Gateway(engine, symbols, members, clock.now_ns, log)
        self.sessions = [
            Session(
                SessionConfig(
                    sender_comp_id=VENUE_COMP_ID,
                    target_comp_id=m.comp_id,
                    role="acceptor",
                    reset_on_logon=True,
                    credentials={m.username: m.password},
                    sending_time_precision="us",
                ),
                app=self.gateway,
                dictionary=venue_dictionary(),
            )
            for m in members
        ]
        self.acceptor = _VenueAcceptor(self, self.sessions, host, port)
        self.states_path = None if states_path is None else Path(states_path)
        self.recorder = StateRecorder()
        self._market: _MarketWriter | None = None
        self._market_path = None if market_path is None else Path(market_path)
        self.gateway.observers.append(self._record)
        self.done = asyncio.Event()
        self.events_stepped = 0
        self.error: Exception | None = None  # set when a market source raised
        self._task: asyncio.Task[None] | None = None
        self._flushing = False
        self._stopped = False

    @property
    def port(self) -> int:
        return self.acceptor.port

    # ---------------------------------------------------------------- life
    async def start(self, drive: bool = True) -> None:
        """Listen and (unless `drive` is False: see `start_market`) drive the market sources."""
        if self._market_path is not None:
            self._market = _MarketWriter(self._market_path, {s.symbol: s for s in self.symbols})
        await self.acceptor.start()
        self.log(
            f"listening on {self.acceptor.host}:{self.acceptor.port} as {VENUE_COMP_ID}; "
            f"members {', '.join(s.config.target_comp_id for s in self.sessions)}"
        )
        initial: list[Event] = []
        for spec in self.symbols:  # announce the opening phase (states file, SecurityStatus)
            initial += self.engine.set_phase(
                spec.symbol, self.engine.phase(spec.symbol), self.clock.now_ns()
            )
        self.publish_events(initial)
        if drive:
            self.start_market()

    def start_market(self) -> None:
        """Start stepping the market sources (once), e.g. after members have subscribed."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._drive_logged())

    async def _drive_logged(self) -> None:
        try:
            await self._drive()
        except Exception as e:  # a broken source must not die silently
            self.log(f"market source failed: {type(e).__name__}: {e}")
            self.error = e
            self.done.set()

    async def stop(self) -> None:
        """Log every member out, close the sockets, write and close the files."""
        if self._stopped:
            return
        self._stopped = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        waits = []
        for session in self.sessions:
            conn = self.acceptor.conns.get(session)
            if conn is None:
                continue
            if session.is_logged_on:
                session.logout("venue shutting down")
                conn._pump()
            waits.append(conn.closed)
        if waits:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*waits), self.logout_timeout_s)
        await self.acceptor.stop()
        end = self.clock.now_ns()
        if self.states_path is not None:
            write_states_csv(self.states_path, self.recorder.close(end))
        if self._market is not None:
            self._market.close()
        self.log("venue stopped")

    # -------------------------------------------------------------- driving
    def flush(self) -> None:
        """Write out everything the gateway queued for any member session."""
        if self._flushing:
            return
        self._flushing = True
        try:
            conns = self.acceptor.conns
            while self.gateway.touched:
                for session in self.gateway.take_touched():
                    conn = conns.get(session)
                    if conn is not None:
                        conn._pump()
        finally:
            self._flushing = False

    def publish_events(self, events: list[Event]) -> None:
        """Hand engine events to the gateway (reports, market data), the recorders, the wire."""
        if not events:
            return
        self.gateway.dispatch(events)  # calls `_record` too
        self.flush()

    def _record(self, events: list[Event]) -> None:
        self.recorder.observe(events)
        if self._market is not None:
            self._market.observe(events)

    def _backlogged(self) -> bool:
        for conn in self.acceptor.conns.values():
            t = conn.transport
            if (
                t is not None
                and not t.is_closing()
                and t.get_write_buffer_size() > self.max_buffer_bytes
            ):
                return True
        return False

    async def _drive(self) -> None:
        clock = self.clock
        sources = self.sources
        afap = clock.as_fast_as_possible
        end_ns = self.end_ns
        while True:
            due: int | None = None
            for s in sources:
                t = s.next_event_ns()
                if t is not None and (due is None or t < due):
                    due = t
            last = due is None or (end_ns is not None and due > end_ns)
            target = end_ns if last else due
            if target is None:
                break
            if afap:
                await asyncio.sleep(0)  # members' messages are handled before the next event
                while self._backlogged():
                    await asyncio.sleep(0.001)
                now = clock.advance_to(target)
            else:
                # Hold the clock at the next scheduled event: members' messages handled
                # until it is applied are stamped no later than it (see SimClock.hold).
                clock.hold(target)
                delay = clock.wall_delay_s(target)
                if delay > 0:
                    await asyncio.sleep(min(delay, 0.25))
                    continue
                now = clock.now_ns()
            if last:
                break
            for s in sources:
                events = s.step(now)
                if events:
                    self.events_stepped += len(events)
                    self.publish_events(events)
        end = clock.now_ns() if end_ns is None else max(clock.now_ns(), end_ns)
        if afap:
            end = clock.advance_to(end)
        closing: list[Event] = []
        for spec in self.symbols if sources else ():
            closing += self.engine.set_phase(
                spec.symbol, TradingPhase.CLOSED, end, reason="end of market data"
            )
        self.publish_events(closing)
        clock.hold(None)  # after the close, the clock runs freely again
        if sources:
            self.log("market data finished: all symbols closed")
        self.done.set()


def _endless(source: MarketSource) -> bool:
    """A source that never runs out (the synthetic market)."""
    return isinstance(source, SyntheticMarket)


def format_log_line(wall_ns: int, text: str) -> str:
    """`2026-11-25T05:40:00.123Z venue: <text>` (UTC wall time, milliseconds)."""
    stamp = format_utc(wall_ns, "ms")
    return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[9:]}Z venue: {text}"
