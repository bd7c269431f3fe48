"""The backtester: the live quoter core against the venue's matching core, in one process.

`Backtest(config, market, seed=..., out_dir=...)` wires, without sockets:

    ReplaySource (recorded book + trades, queue-position model)
        -> MatchingEngine -> venue Gateway (ExecutionReports, MdPublisher market data)
        <-> in-process FIX links (feed / order latency) <->
    QuoterEngine (the live app's core: market data, strategy, obligation clamp,
                  risk, order manager, inventory, hedger, quote log, fills CSV)

Both applications are the live ones; only the FIX session is replaced by `_Link`,
which hands each message body (as a `RawMessage`) to the other side after a
latency drawn from the configured model. A channel stays in order: a message is
never delivered before one sent earlier on the same link.

Time is simulated: it jumps to the next due item, a recorded frame timestamp or a
message's arrival. Messages due at or before the next frame's timestamp are
delivered first (so with zero latency the quoter reacts before the next recorded
instant). The venue stamps an order with its arrival time, so an order sent at t
with latency L can match nothing before t + L. The quoter's clock is the venue
time it has seen (as live; MDEntryTime has microsecond precision), so the quote
log's `ts` is recorded market time. At the end the quoter cancels its orders
(like a live clean stop) and the remaining messages are delivered.

Synthetic mode (`market` None): the config's `synthetic` section drives a
seeded `quoter.venue.synthetic.SyntheticMarket` for its duration instead of a
recording; `market.csv` is then the venue book's best bid/offer (our own
orders included, as the live venue's market file).

Deterministic: same config, data and seed -> byte-identical output files (the
seed drives the random queue model and lognormal latencies; there is no wall
clock in the loop). Files written into `out_dir`: `quotes.csv` (quote log),
`fills.csv`, `market.csv` (the recorded market's best bid/offer, one row per
change) and, with `events=True`, `events.jsonl`: every event the quoter core
published (quote, order, fill, position, market, risk, state) encoded and
journalled exactly as the live publisher does (`mmsla.events`), with `ts_init`
= simulated time so the file is deterministic too. Not here: reading data
files, PnL figures, printing (the CLI).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from mmsla.domain import RecordedMarket
from mmsla.errors import ConfigError
from mmsla.events.codec import encode
from mmsla.events.journal import Journal
from quoter.app import FillsWriter, QuoterEngine
from quoter.backtest.config import BacktestConfig
from quoter.fix.codec.framing import RawMessage
from quoter.fix.session import Session
from quoter.quote_log import QuoteLogWriter
from quoter.venue.events import BookChanged, Event, TradingPhase
from quoter.venue.gateway import Gateway, Member
from quoter.venue.matching import MatchingEngine
from quoter.venue.replay import REPLAY, QueueModel, ReplaySource
from quoter.venue.rules import SymbolSpec, VenueRules
from quoter.venue.synthetic import MAKER, TAKER, SyntheticMarket

__all__ = [
    "Backtest",
    "BacktestResult",
    "build_venue",
    "head_market",
    "write_market_reference",
]

VENUE_ID = "VENUE"
_ID_PREFIX = "BT-"


@dataclass(frozen=True, slots=True)
class _LinkConfig:
    sender_comp_id: str
    target_comp_id: str


class _Link:
    """One application's end of an in-process FIX session: `send` schedules delivery."""

    __slots__ = ("_deliver", "_seq", "config", "is_logged_on")

    def __init__(self, sender: str, target: str, deliver: Any) -> None:
        self.config = _LinkConfig(sender, target)
        self.is_logged_on = True
        self._deliver = deliver
        self._seq = 0

    def send(
        self,
        msg_type: str,
        body: Sequence[tuple[int, str]],
        header: Sequence[tuple[int, str]] = (),
    ) -> int:
        self._seq += 1
        self._deliver(msg_type, tuple(body))
        return self._seq


@dataclass(frozen=True, slots=True)
class BacktestResult:
    frames: int  # recorded book frames replayed
    trades: int  # recorded trades replayed
    messages: int  # FIX application messages exchanged (both directions)
    quote_rows: int
    fills: int
    start_ns: int
    end_ns: int
    wall_s: float
    quotes_path: Path
    fills_path: Path
    market_path: Path
    stats: Mapping[str, int]

    @property
    def market_events(self) -> int:
        return self.frames + self.trades


def build_venue(
    market: RecordedMarket,
    *,
    queue_model: QueueModel = QueueModel.CONSERVATIVE,
    seed: int = 0,
    phases: Sequence[tuple[int, TradingPhase, str]] = (),
    maker_fee_bps: Decimal | int = 0,
    taker_fee_bps: Decimal | int = 0,
    book_depth: int = 5,
) -> tuple[MatchingEngine, ReplaySource, SymbolSpec]:
    """A matching engine holding the recording's symbol and the replay source feeding it."""
    b = market.book
    spec = SymbolSpec(b.symbol, b.tick, b.lot, Decimal(maker_fee_bps), Decimal(taker_fee_bps))
    engine = MatchingEngine([spec], VenueRules(book_depth=book_depth), system_members=[REPLAY])
    replay = ReplaySource(engine, market, queue_model=queue_model, seed=seed, phases=phases)
    return engine, replay, spec


def head_market(market: RecordedMarket, duration_ns: int) -> RecordedMarket:
    """The first `duration_ns` of a recording (frames and trades with ts < first + duration)."""
    b, t = market.book, market.trades
    if len(b) == 0:
        return market
    end = int(b.ts_ns[0]) + duration_ns
    nb = int(np.searchsorted(b.ts_ns, end, side="left"))
    nt = int(np.searchsorted(t.ts_ns, end, side="left"))
    book = replace(
        b,
        ts_ns=b.ts_ns[:nb],
        bid_px=b.bid_px[:nb],
        bid_qty=b.bid_qty[:nb],
        ask_px=b.ask_px[:nb],
        ask_qty=b.ask_qty[:nb],
    )
    trades = replace(t, ts_ns=t.ts_ns[:nt], px=t.px[:nt], qty=t.qty[:nt], side=t.side[:nt])
    return RecordedMarket(book, trades, tuple(g for g in market.gaps if g.ts_ns < end))


def _texts(units: npt.NDArray[np.int64], step: Decimal) -> list[str]:
    """Exact decimal text of `units * step`; zero (an empty level) is the empty string."""
    cache: dict[int, str] = {}
    out = []
    for u in units.tolist():
        t = cache.get(u)
        if t is None:
            t = cache[u] = "" if u == 0 else format(u * step, "f")
        out.append(t)
    return out


def write_market_reference(market: RecordedMarket, path: Path) -> int:
    """The recorded best bid/offer as the DESIGN.md market reference CSV, one row per change."""
    b = market.book
    cols = np.stack([b.bid_px[:, 0], b.bid_qty[:, 0], b.ask_px[:, 0], b.ask_qty[:, 0]], axis=1)
    keep = np.ones(len(b), dtype=bool)
    if len(b) > 1:
        keep[1:] = np.any(cols[1:] != cols[:-1], axis=1)
    idx = np.flatnonzero(keep)
    columns = zip(
        b.ts_ns[idx].tolist(),
        _texts(b.bid_px[idx, 0], b.tick),
        _texts(b.ask_px[idx, 0], b.tick),
        _texts(b.bid_qty[idx, 0], b.lot),
        _texts(b.ask_qty[idx, 0], b.lot),
        strict=True,
    )
    sym = b.symbol
    lines = ["ts,symbol,bid_px,ask_px,bid_qty,ask_qty"]
    lines += [f"{ts},{sym},{bp},{ap},{bq},{aq}" for ts, bp, ap, bq, aq in columns]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return int(idx.size)


class _BboRecorder:
    """The venue book's best bid/offer after each event that changed it (synthetic mode)."""

    def __init__(self, spec: SymbolSpec) -> None:
        self.spec = spec
        self.rows: list[str] = []
        self._last: tuple[Any, Any] | None = None

    def observe(self, events: list[Event]) -> None:
        for e in events:
            if type(e) is not BookChanged:
                continue
            assert isinstance(e, BookChanged)
            top = (e.bids[0] if e.bids else None, e.asks[0] if e.asks else None)
            if top == self._last:
                continue
            self._last = top
            bid, ask = top
            sp = self.spec
            self.rows.append(
                ",".join(
                    [
                        str(e.ts_ns),
                        e.symbol,
                        "" if bid is None else format(sp.px(bid[0]), "f"),
                        "" if ask is None else format(sp.px(ask[0]), "f"),
                        "" if bid is None else format(sp.qty(bid[1]), "f"),
                        "" if ask is None else format(sp.qty(ask[1]), "f"),
                    ]
                )
            )

    def write(self, path: Path) -> int:
        head = "ts,symbol,bid_px,ask_px,bid_qty,ask_qty"
        path.write_text("\n".join([head, *self.rows]) + "\n", encoding="ascii")
        return len(self.rows)


class _Bounded:
    """A synthetic market that ends at `end_ns` (it would run for ever)."""

    def __init__(self, market: SyntheticMarket, end_ns: int) -> None:
        self.market = market
        self.end_ns = end_ns
        self.steps = 0

    def next_event_ns(self) -> int | None:
        t = self.market.next_event_ns()
        return t if t <= self.end_ns else None

    def step(self, now_ns: int) -> list[Event]:
        self.steps += 1
        return self.market.step(now_ns)


class Backtest:
    """One backtest run (see the module docstring). `run()` once.

    `market` None = the config's synthetic market (seeded with `seed`)."""

    def __init__(
        self,
        config: BacktestConfig,
        market: RecordedMarket | None,
        *,
        out_dir: str | Path,
        seed: int = 0,
        phases: Sequence[tuple[int, TradingPhase, str]] = (),
        events: bool = False,
    ) -> None:
        qc = config.quoter
        if market is None:
            if config.synthetic is None:
                raise ConfigError(f"{config.path}: synthetic: required without a recording")
            symbol = qc.symbols[0].symbol
        else:
            book = market.book
            if len(book) == 0:
                raise ConfigError(f"{book.symbol}: the recording has no book frames")
            symbol = book.symbol
        syms = [s.symbol for s in qc.symbols]
        if syms != [symbol]:
            raise ConfigError(
                f"{config.path}: the backtest replays one symbol ({symbol}); "
                f"the quoter config lists {', '.join(syms) or 'none'}"
            )
        inst = qc.symbols[0].instrument
        if market is not None and (inst.tick != book.tick or inst.lot != book.lot):
            raise ConfigError(
                f"{config.path}: {book.symbol}: quoter tick/lot {inst.tick}/{inst.lot} differ "
                f"from the recording's {book.tick}/{book.lot}"
            )
        self.config = config
        self.market = market
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.quotes_path = self.out_dir / "quotes.csv"
        self.fills_path = self.out_dir / "fills.csv"
        self.market_path = self.out_dir / "market.csv"
        self.events_path = self.out_dir / "events.jsonl"
        for p in (self.quotes_path, self.fills_path, self.market_path, self.events_path):
            p.unlink(missing_ok=True)  # the writers append: start afresh
        self.journal = Journal(self.events_path, tail=1) if events else None
        self._event_seq = 0
        depth = max(5, qc.venue.md_depth)
        self._bbo: _BboRecorder | None = None
        self.replay: ReplaySource | None = None
        self.synthetic: _Bounded | None = None
        self.source: ReplaySource | _Bounded
        if market is None:
            syn = config.synthetic
            assert syn is not None
            self.spec = SymbolSpec(
                symbol, inst.tick, inst.lot, config.maker_fee_bps, config.taker_fee_bps
            )
            self.engine = MatchingEngine(
                [self.spec], VenueRules(book_depth=depth), system_members=[MAKER, TAKER]
            )
            params = replace(syn.params, seed=seed)
            self.synthetic = _Bounded(
                SyntheticMarket(self.engine, symbol, params, syn.start_ns),
                syn.start_ns + syn.duration_ns,
            )
            self.source = self.synthetic
            self._bbo = _BboRecorder(self.spec)
            self.now = syn.start_ns
        else:
            self.engine, self.replay, self.spec = build_venue(
                market,
                queue_model=config.queue_model,
                seed=seed,
                phases=phases,
                maker_fee_bps=config.maker_fee_bps,
                taker_fee_bps=config.taker_fee_bps,
                book_depth=depth,
            )
            self.source = self.replay
            self.now = int(market.book.ts_ns[0])
        self._feed_latency = config.feed_latency.build(seed * 2 + 1)
        self._order_latency = config.order_latency.build(seed * 2 + 2)
        self._heap: list[tuple[int, int, bool, RawMessage]] = []
        self._n = 0
        self._last_due = {True: self.now, False: self.now}
        member = qc.venue.sender_comp_id
        self.gateway = Gateway(self.engine, [self.spec], [Member(member, "", "")], lambda: self.now)
        if self._bbo is not None:
            self.gateway.observers.append(self._bbo.observe)
        self.quote_log = QuoteLogWriter(self.quotes_path, levels=max(1, qc.ladder.levels))
        self.fills = FillsWriter(self.fills_path)
        self.published: dict[str, int] = {}
        self.quoter = QuoterEngine(
            qc,
            publish=self._on_publish,
            quote_log=self.quote_log,
            fills=self.fills,
            id_prefix=_ID_PREFIX,
            wall_clock=lambda: self.now,
        )
        self._venue_end = _Link(VENUE_ID, member, self._to_quoter)
        self._quoter_end = _Link(member, VENUE_ID, self._to_venue)

    # ---- plumbing -------------------------------------------------------------------

    def _on_publish(self, kind: str, ts: int, fields: Mapping[str, Any]) -> None:
        self.published[kind] = self.published.get(kind, 0) + 1
        if self.journal is not None:
            self._event_seq += 1
            event = {
                "type": kind,
                "seq": self._event_seq,
                "ts_event": ts,
                "ts_init": self.now,
                "source": self.config.quoter.source,
                **fields,
            }
            self.journal.append(encode(event)[1])

    def _schedule(self, to_venue: bool, latency: int, msg_type: str, body: tuple[Any, ...]) -> None:
        due = self.now + latency
        last = self._last_due[to_venue]
        if due < last:
            due = last  # a channel stays in order
        self._last_due[to_venue] = due
        self._n += 1
        # framed like a decoded wire message: 8, 9, 35 first and 10 last (readers skip them)
        fields = ((8, "FIX.4.4"), (9, "0"), (35, msg_type), *body, (10, "000"))
        msg = RawMessage(msg_type, fields, dict(fields))
        heapq.heappush(self._heap, (due, self._n, to_venue, msg))

    def _to_venue(self, msg_type: str, body: tuple[Any, ...]) -> None:
        self._schedule(True, self._order_latency.draw(), msg_type, body)

    def _to_quoter(self, msg_type: str, body: tuple[Any, ...]) -> None:
        self._schedule(False, self._feed_latency.draw(), msg_type, body)

    def _deliver(self) -> None:
        due, _, to_venue, msg = heapq.heappop(self._heap)
        if due > self.now:
            self.now = due
        if to_venue:
            self.gateway.on_message(cast(Session, self._venue_end), msg)
        else:
            self.quoter.on_message(cast(Session, self._quoter_end), msg)

    def _dispatch(self, events: list[Event]) -> None:
        if events:
            self.gateway.dispatch(events)

    # ---- the run --------------------------------------------------------------------

    def run(self) -> BacktestResult:
        t0 = time.perf_counter()
        sym = self.spec.symbol
        engine, replay, heap = self.engine, self.source, self._heap
        start = self.now
        self.gateway.on_logon(cast(Session, self._venue_end))
        self._dispatch(engine.set_phase(sym, engine.phase(sym), self.now))
        self.quoter.on_logon(cast(Session, self._quoter_end))
        deliver = self._deliver
        dispatch = self.gateway.dispatch
        while True:
            t_frame = replay.next_event_ns()
            if heap and (t_frame is None or heap[0][0] <= t_frame):
                deliver()
                continue
            if t_frame is None:
                break
            self.now = t_frame
            events = replay.step(t_frame)
            if events:
                dispatch(events)
        # a clean stop: pull everything, let the venue confirm
        q = self.quoter
        if q.logged_on and q.orders.live_orders():
            q.control({"type": "pull", "symbol": "*", "reason": "end of backtest"})
        while heap:
            deliver()
        self.quote_log.close()
        self.fills.close()
        if self.journal is not None:
            self.journal.close()
        if self._bbo is not None:
            self._bbo.write(self.market_path)
        else:
            assert self.market is not None
            write_market_reference(self.market, self.market_path)
        if self.synthetic is not None:
            frames, trades = self.synthetic.steps, self.synthetic.market.arrivals
        else:
            assert self.market is not None and self.replay is not None
            frames, trades = len(self.replay), len(self.market.trades.ts_ns)
        return BacktestResult(
            frames=frames,
            trades=trades,
            messages=self._n,
            quote_rows=self.quote_log.rows,
            fills=self.fills.rows,
            start_ns=start,
            end_ns=self.now,
            wall_s=time.perf_counter() - t0,
            quotes_path=self.quotes_path,
            fills_path=self.fills_path,
            market_path=self.market_path,
            stats=dict(q.stats),
        )
