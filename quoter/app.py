"""The running quoter: FIX initiator + market data + strategy + clamp + risk + orders + hedging.

`QuoterEngine` is the synchronous core and the FIX `Application` of the session:
every venue message is handled inside the session callback, so an order caused
by a market update is queued in the same call (the transport writes it right
after). Per market update used: a `market` event, the fair value (from the
book less our own orders, resting or in flight -- `exclude_own`, on by
default: a fair value that counts our quotes chases them), volatility
and spread (`quoter.strategy`), the obligation clamp (`quoter.clamp`, a `risk`
event with decision `clamped` whenever what it clamps changes), then the order
manager (`quoter.orders`, every order through `quoter.risk`). ExecutionReports
update orders, and a Reject (35=3) or BusinessMessageReject (35=j) of one of
ours settles it (no answer will come: an order waiting for one would block its
level); our confirmed resting quote, when it changes, goes to the quote
log and a `quote` event with its cause; fills go to the inventory, the fills
CSV, `fill` and `position` events, the loss limit and the hedger (IOC orders on
the hedge symbol). Venue states (35=f) become `state` events; a halted,
auction or closed symbol is not quoted. Time: the latest venue (simulation)
time seen is `ts_event` of everything published and `ts` of every file row.
Events are published at once, or, with a scheduler (`set_scheduler`, as
`QuoterApp` does with loop.call_soon), queued in order and published right
after the orders they caused are written: encoding, journaling and the ZMQ
send stay off the tick-to-order path; order, `seq` and content are unchanged.

Control (`mmsla.events.control`): `widen` (factor >= 1, capped by the clamp),
`pull` (symbol or `*`), `resume`, `kill` (cancel everything; no new order until
`resume`), `status`; each is applied at once and its orders are written in the
same loop turn.

`QuoterApp` is the asyncio process around it: the initiator with reconnect and
backoff, the ZMQ publisher (+ journal and replay server) and control server
(its socket registered with the loop), a heartbeat every second of wall time,
and a clean stop on SIGINT/SIGTERM (cancel all, logout, flush files). On a
disconnect every order is assumed gone (the venue cancels on disconnect); after
the next logon risk is rebuilt and market data re-requested before quoting.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import zmq

from mmsla.domain import Fill, Level, Quote, Side
from mmsla.events.bus import Publisher, ReplayServer
from mmsla.events.control import ALL_SYMBOLS, ControlServer
from mmsla.events.journal import Journal
from quoter.clamp import ObligationClamp
from quoter.config import QuoterConfig
from quoter.fix.codec.framing import RawMessage
from quoter.fix.codec.tags import (
    BUSINESS_REJECT_REASON,
    BUSINESS_REJECT_REF_ID,
    CL_ORD_ID,
    QUOTE_ID,
    REF_MSG_TYPE,
    REF_SEQ_NUM,
    REF_TAG_ID,
    SESSION_REJECT_REASON,
    TEXT,
)
from quoter.fix.session import BaseApplication, Session, SessionConfig
from quoter.fix.store import MemoryStore
from quoter.fix.transport import Initiator
from quoter.hedge import HedgeConfig, Hedger
from quoter.intents import Purpose, TimeInForce
from quoter.inventory import Inventory
from quoter.marketdata import (
    MarketData,
    MarketState,
    market_data_request,
    parse_security_status,
    quoter_dictionary,
)
from quoter.mass_quote import MassQuoteManager, VenueManager
from quoter.orders import OrderManager, OrderUpdate
from quoter.quote_log import QuoteLogWriter
from quoter.risk import Denied, RiskEngine, event_fields
from quoter.strategy import SymbolStrategy, TopOfBook, fair_value

__all__ = ["EventSink", "FillsWriter", "QuoterApp", "QuoterEngine", "Scheduler"]

EventSink = Callable[[str, int, Mapping[str, Any]], object]
Scheduler = Callable[[Callable[[], object]], object]  # e.g. loop.call_soon
_NS = 1_000_000_000
_ONE = Decimal(1)
# What `loop.add_signal_handler` / `remove_signal_handler` raise where a loop cannot
# own SIGINT/SIGTERM: NotImplementedError (no Unix signals, e.g. Windows' loop),
# ValueError / RuntimeError (not the main thread, as when a test or an embedding
# host runs the app in a worker thread). There the host stops us with
# `request_stop` instead; nothing else is skipped.
_NO_SIGNAL_HANDLERS = (NotImplementedError, RuntimeError, ValueError)

_REQUOTE_AFTER = frozenset(
    {"filled", "partially_filled", "replaced", "cancelled", "cancel_rejected"}
)
_CAUSE = {
    "accepted": "quote",
    "replaced": "replace",
    "cancelled": "cancel",
    "filled": "fill",
    "partially_filled": "fill",
}


class FillsWriter:
    """Our fills as CSV (DESIGN.md): `ts,symbol,side,px,qty,fee,liquidity,order_id,trade_id`."""

    HEADER = "ts,symbol,side,px,qty,fee,liquidity,order_id,trade_id"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        self._file = self.path.open("a", encoding="ascii", newline="")
        if fresh:
            self._file.write(self.HEADER + "\n")
        self.rows = 0

    def write(self, f: Fill) -> None:
        cells = [
            str(f.ts_ns),
            f.symbol,
            f.side.value,
            format(f.px, "f"),
            format(f.qty, "f"),
            format(f.fee, "f"),
            f.liquidity or "",
            f.order_id or "",
            f.trade_id or "",
        ]
        self._file.write(",".join(cells) + "\n")
        self.rows += 1

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.flush()
        self._file.close()


def _fields(
    fields: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
) -> Mapping[str, Any]:
    return fields if isinstance(fields, Mapping) else fields()


def _levels(levels: tuple[Level, ...]) -> list[list[Decimal]]:
    return [[lv.px, lv.qty] for lv in levels]


class QuoterEngine(BaseApplication):
    """The quoting core; see the module docstring. `publish(kind, ts_event, fields)` is the sink."""

    def __init__(
        self,
        config: QuoterConfig,
        *,
        publish: EventSink | None = None,
        quote_log: QuoteLogWriter | None = None,
        fills: FillsWriter | None = None,
        id_prefix: str | None = None,
        wall_clock: Callable[[], int] = time.time_ns,
        schedule: Scheduler | None = None,
        exclude_own: bool | None = None,
    ) -> None:
        self.config = config
        # fair value from the book less our own orders (resting and in flight);
        # None: the config's `pricing.exclude_own_orders` (default on)
        if exclude_own is None:
            exclude_own = config.pricing.exclude_own_orders
        self.exclude_own = bool(exclude_own)
        self._publish: EventSink = publish or (lambda kind, ts, fields: None)
        # Deferred publishing (see `set_scheduler`): events wait here, in order,
        # until `flush_events` runs after the orders they caused are on the wire.
        self._schedule: Scheduler | None = schedule
        self._pending: list[tuple[str, int, Mapping[str, Any] | Callable[[], Mapping[str, Any]]]]
        self._pending = []
        self.quote_log = quote_log
        self.fills = fills
        self._wall = wall_clock
        instruments = [s.instrument for s in config.symbols]
        self.instruments = {i.symbol: i for i in instruments}
        self.md = MarketData(instruments)
        self.risk = RiskEngine(config.risk)
        self._session: Session | None = None
        prefix = id_prefix or f"{config.venue.sender_comp_id}-{wall_clock() // _NS % 1_000_000:x}-"
        # the venue profile: post-only orders + cancel/replace, or MassQuote/QuoteCancel
        manager: Callable[..., VenueManager] = (
            MassQuoteManager if config.venue.profile == "mass_quote" else OrderManager
        )
        self.orders = manager(
            instruments,
            self._send,
            self.risk,
            requote=config.requote,
            max_msgs_per_s=config.venue.max_msgs_per_s,
            id_prefix=prefix,
        )
        # own-order tracking for fair value (`_others_top`), when the manager has it
        self._own_lots: Callable[[str], tuple[dict[int, int], dict[int, int]]] | None = getattr(
            self.orders, "own_lots", None
        )
        self._own_lots_at: Callable[[str, Side, int], int] | None = getattr(
            self.orders, "own_lots_at", None
        )
        self._book_updated: Callable[[str], None] | None = getattr(
            self.orders, "book_updated", None
        )
        self.inventory = Inventory({i.symbol: i.delta_weight for i in instruments})
        self._inv_lots: dict[str, int] = {}  # position in whole lots, until the next fill
        self.strategies = {
            s.symbol: SymbolStrategy(s.instrument, config.pricing, config.ladder)
            for s in config.quoted
        }
        self.clamps: dict[str, ObligationClamp] = {}
        ag = config.agreement
        if ag is not None:
            for s in config.quoted:
                entry = ag.instrument(s.symbol)
                self.clamps[s.symbol] = ObligationClamp(
                    entry.terms,
                    ag.states,
                    s.instrument,
                    entry.tick_size,
                    buffer_ticks=config.clamp_buffer_ticks,
                )
        # which quoted symbols to requote when a symbol's book changes
        self._dependents: dict[str, list[str]] = {s: [] for s in self.instruments}
        for s in config.quoted:
            sources = (
                list(config.pricing.weights)
                if config.pricing.fair_value == "weighted"
                else [s.symbol]
            )
            for src in sources:
                self._dependents[src].append(s.symbol)
        self.hedgers: dict[str, tuple[Hedger, tuple[str, ...]]] = {}
        if config.hedge is not None:
            h = config.hedge
            groups: dict[str, list[str]] = {}
            for s in config.symbols:
                if s.hedge_symbol is not None:
                    groups.setdefault(s.hedge_symbol, []).append(s.symbol)
            for hsym, members in groups.items():
                hcfg = HedgeConfig(
                    self.instruments[hsym],
                    h.threshold,
                    h.slippage_bps,
                    h.cooldown_ns,
                    h.target,
                    h.max_qty,
                    id_prefix=f"{prefix}H{hsym}-",
                )
                group = tuple(dict.fromkeys([*members, hsym]))
                self.hedgers[hsym] = (Hedger(hcfg), group)
        self.states: dict[str, MarketState] = {}
        self.widen: dict[str, Decimal] = {}
        self.pulled: dict[str, str] = {}  # symbol or "*" -> reason
        self.killed = False
        self.kill_reason = ""
        self.logged_on = False
        self._last_quote: dict[str, tuple[tuple[Level, ...], tuple[Level, ...]]] = {}
        self._last_clamp: dict[str, tuple[tuple[str, str | None], ...]] = {}
        self._cause_override: str | None = None
        self.stats = {
            "market_updates": 0,
            "quote_events": 0,
            "fills": 0,
            "md_rejects": 0,
            "bad_messages": 0,
            "refused": 0,  # our messages refused by a 35=3 / 35=j
        }

    # ---- clock and sending --------------------------------------------------------

    def now(self) -> int:
        """Venue (simulation) time: the latest seen; wall time before any."""
        v = self.md.venue_ns
        return v if v is not None else self._wall()

    @property
    def session(self) -> Session | None:
        """The FIX session orders go out on (set before logon)."""
        return self._session

    @session.setter
    def session(self, session: Session | None) -> None:
        self._session = session
        if isinstance(self.orders, OrderManager):
            # replaces go out pre-serialised when the session takes text (a real
            # `Session`); a stand-in with `send` only (the backtest's link) gets lists
            self.orders.send_text = getattr(session, "send_text", None)

    def _send(self, msg_type: str, body: Any) -> object:
        session = self._session
        if session is None:
            raise RuntimeError("no FIX session attached")
        return session.send(msg_type, body)

    def emit(
        self,
        kind: str,
        fields: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
        ts: int | None = None,
    ) -> None:
        """Publish one event now, or queue it when a scheduler is set (`set_scheduler`).

        `fields` may be a function building them: with a scheduler it runs at
        flush time, so the hot path does not pay for formatting (its inputs must
        be immutable values captured at the time of the event).
        """
        if ts is None:
            ts = self.now()
        if self._schedule is None:
            self._publish(kind, ts, fields if isinstance(fields, Mapping) else fields())
            return
        pending = self._pending
        if not pending:
            self._schedule(self.flush_events)
        pending.append((kind, ts, fields))

    def set_scheduler(self, schedule: Scheduler | None) -> None:
        """Defer event publishing (`loop.call_soon`), or publish at once again (None).

        With a scheduler, events raised while handling a message are queued and
        published by one `flush_events` call scheduled when the first is queued:
        in the asyncio process that runs after the transport has written the
        orders the message caused, so encoding, journaling and the ZeroMQ send
        are off the tick-to-order path. Order (and so `seq`) is unchanged; nothing
        is dropped. Turning deferral off flushes what is queued first.
        """
        if schedule is None:
            self.flush_events()
        self._schedule = schedule

    def flush_events(self) -> int:
        """Publish every queued event, in order; how many."""
        pending = self._pending
        if not pending:
            return 0
        self._pending = []
        publish = self._publish
        for kind, ts, fields in pending:
            publish(kind, ts, fields if type(fields) is dict else _fields(fields))
        return len(pending)

    def _drain_risk(self) -> None:
        for ev in self.risk.drain_events():
            fields = event_fields(ev)
            ts = int(fields.pop("ts_event"))  # type: ignore[call-overload]
            fields["decision"] = fields["kind"]
            self.emit("risk", fields, ts)

    # ---- FIX application callbacks ------------------------------------------------

    def on_logon(self, session: Session) -> None:
        self.session = session
        self.logged_on = True
        now = self.now()
        positions = {
            sym: int(self.inventory.position(sym) // inst.lot)
            for sym, inst in self.instruments.items()
        }
        self.risk.on_rebuilt(now, (), positions)
        self._drain_risk()
        session.send(
            "V",
            market_data_request(
                f"md-{self._wall()}", list(self.instruments), self.config.venue.md_depth
            ),
        )

    def on_disconnect(self, session: Session) -> None:
        if not self.logged_on and not self.orders.orders:
            return
        self.logged_on = False
        now = self.now()
        self.orders.on_disconnect()
        self.risk.on_disconnect(now)
        self._drain_risk()
        for sym in self.strategies:
            self._quote_changed(sym, "disconnect")
        for h, _ in self.hedgers.values():
            if h.in_flight is not None:
                h.on_order_closed(h.in_flight)

    def on_message(self, session: Session, msg: RawMessage) -> None:
        try:
            self._dispatch(msg)
        except ValueError as e:  # a malformed value (price off the grid, bad time): data
            self.stats["bad_messages"] += 1
            self.emit(
                "risk", {"decision": "bad_message", "msg_type": msg.msg_type, "detail": str(e)}
            )

    def _dispatch(self, msg: RawMessage) -> None:
        mt = msg.msg_type
        if mt == "X":
            for sym in self.md.on_incremental(msg):
                self.on_market(sym)
        elif mt in ("8", "b"):  # 35=b: MassQuote/QuoteCancel acknowledgement
            self.md.on_transact_time(msg)
            self._apply_updates(self.orders.on_execution_report(msg, self.now()))
        elif mt == "W":
            snap = self.md.on_snapshot(msg)
            if snap is not None:
                self.on_market(snap)
        elif mt == "9":
            self._apply_updates(self.orders.on_cancel_reject(msg, self.now()))
        elif mt == "f":
            self.md.on_transact_time(msg)
            self.on_state(parse_security_status(msg))
        elif mt == "j":
            self._refused(msg)
        elif mt == "Y":
            self.stats["md_rejects"] += 1
            self.emit("risk", {"decision": "md_rejected", "detail": msg.values.get(58, "")})

    def on_session_reject(self, session: Session, msg: RawMessage) -> None:
        """A session-level Reject (35=3) of one of our messages."""
        self._refused(msg)

    def _refused(self, msg: RawMessage) -> None:
        """A message of ours refused before the venue acted on it (35=3 or 35=j).

        No ExecutionReport or acknowledgement will come for it, so the manager
        settles it (an order rejected, a replace or cancel refused, a MassQuote
        refused as a whole) instead of waiting for an answer forever. Which
        message: BusinessRejectRefID (379) and RefMsgType (372) when the venue
        sends them, else the message we sent under RefSeqNum (45), from the
        session's store.
        """
        v = msg.values
        ref_type = v.get(REF_MSG_TYPE)
        ref_id = v.get(BUSINESS_REJECT_REF_ID) if msg.msg_type == "j" else None
        seq_text = v.get(REF_SEQ_NUM, "")
        session = self._session
        if (not ref_id or not ref_type) and seq_text.isdigit() and session is not None:
            sent = session.sent_message(int(seq_text))
            if sent is not None:
                ref_type = sent.msg_type
                ref_id = sent.values.get(QUOTE_ID if ref_type in ("i", "Z") else CL_ORD_ID)
        reason = v.get(TEXT, "")
        code = v.get(SESSION_REJECT_REASON if msg.msg_type == "3" else BUSINESS_REJECT_REASON)
        self.stats["refused"] += 1
        self.emit(
            "risk",
            {
                "decision": "message_refused",
                "msg_type": ref_type or "",
                "ref_id": ref_id or "",
                "ref_seq": seq_text,
                "ref_tag": v.get(REF_TAG_ID, ""),
                "reason_code": code or "",
                "detail": reason,
            },
        )
        if ref_type and ref_id:
            self._apply_updates(
                self.orders.on_send_rejected(ref_type, ref_id, reason or "refused", self.now())
            )

    # ---- market --------------------------------------------------------------------

    def on_market(self, symbol: str) -> None:
        """One book update used: publish it, update the reference, requote dependents."""
        book = self.md.books[symbol]
        if self._book_updated is not None:  # own-order tracking: the book shows what left
            self._book_updated(symbol)
        # the top of the book (`BookView.top`, inline: plain ints for the event)
        bids, asks = book.bids, book.asks
        b = max(bids) if bids else None
        a = min(asks) if asks else None
        b_lots = bids[b] if b is not None else 0
        a_lots = asks[a] if a is not None else 0
        inst = book.instrument
        self.stats["market_updates"] += 1
        last = book.last_px_ticks

        def fields() -> dict[str, Any]:  # built at publish time (from immutable values)
            return {
                "symbol": symbol,
                "bid_px": None if b is None else b * inst.tick,
                "bid_qty": b_lots * inst.lot,
                "ask_px": None if a is None else a * inst.tick,
                "ask_qty": a_lots * inst.lot,
                "last_px": None if last is None else last * inst.tick,
            }

        v = self.md.venue_ns  # (`now`, inline)
        self.emit("market", fields, v if v is not None else self._wall())
        if b is not None and a is not None:
            self.risk.set_reference(symbol, (b + a) // 2)
        for sym in self._dependents.get(symbol, ()):
            self.requote(sym)
        if self.hedgers:
            self._hedge()

    def on_state(self, state: MarketState) -> None:
        old = self.states.get(state.symbol)
        self.states[state.symbol] = state
        # One `state` event per obligation state that ends (active false), then per state
        # that starts (active true): the monitor keeps them as intervals, like a states file.
        before = old.flags if old is not None else frozenset()
        after = state.flags
        for name, active in [
            *((n, False) for n in sorted(before - after)),
            *((n, True) for n in sorted(after - before)),
        ]:
            self.emit(
                "state",
                {"symbol": state.symbol, "state": name, "active": active, "phase": state.status},
                state.ts_ns,
            )
        if state.symbol in self.strategies:
            self.requote(state.symbol)

    def _others_top(self, symbol: str) -> TopOfBook:
        """The venue's best bid/offer for fair value: without our own orders when
        `exclude_own` (a microprice or mid that counts our quotes chases them).

        Ours = resting, sent and not yet acknowledged, being replaced or cancelled
        (`OrderManager.own_lots`): the venue's book update for an order we just
        sent can reach us before its acknowledgement, and must not look like
        someone else's liquidity (that replaced forever at one instant).
        """
        book = self.md.books[symbol]
        own_lots = self._own_lots  # None: a manager that cannot tell (the plain book)
        if not self.exclude_own or own_lots is None or symbol not in self.strategies:
            return book.top()
        at = self._own_lots_at
        bids, asks = book.bids, book.asks
        if at is not None and bids and asks:
            # the usual case: each side's best level is not only ours -- the answer of
            # `top_excluding`, asking only about those two prices
            b, a = max(bids), min(asks)
            b_rest = bids[b] - at(symbol, Side.BUY, b)
            a_rest = asks[a] - at(symbol, Side.SELL, a)
            if b_rest > 0 and a_rest > 0:
                return TopOfBook(b, b_rest, a, a_rest)
        own_bids, own_asks = own_lots(symbol)
        return book.top_excluding(own_bids, own_asks)

    def requote(self, symbol: str) -> None:
        """Move our orders on `symbol` toward what the strategy (clamped) wants now."""
        if not self.logged_on or self._session is None:
            return
        now = self.md.venue_ns  # (`now`, inline)
        if now is None:
            now = self._wall()
        pulled = self.pulled
        if self.killed or (pulled and (symbol in pulled or ALL_SYMBOLS in pulled)):
            if self.orders.live_orders(symbol):
                self.orders.cancel_all(now, symbol)
            return
        state = self.states.get(symbol)
        if state is not None and not state.active:
            return
        if self.risk.needs_rebuild:
            return
        strat = self.strategies[symbol]
        book = self.md.books[symbol]
        inst = strat.instrument
        tops: dict[str, tuple[TopOfBook, float]] | None = None
        pricing = self.config.pricing
        if pricing.fair_value == "weighted":
            tops = {
                s: (self._others_top(s), float(self.md.books[s].instrument.tick))
                for s in pricing.weights
            }
        own_top = self._others_top(symbol) if pricing.fair_value != "weighted" else book.top()
        fv = fair_value(pricing.fair_value, own_top, strat.tick_f, tops, pricing.weights)
        if fv is None:
            return
        strat.observe(now, fv)
        inv_lots = self._inv_lots.get(symbol)
        if inv_lots is None:  # (cleared by every fill)
            inv_lots = self._inv_lots[symbol] = int(self.inventory.position(symbol) // inst.lot)
        widen_by = self.widen
        widen = float(widen_by.get(symbol, widen_by.get(ALL_SYMBOLS, _ONE))) if widen_by else 1.0
        ladder = strat.desired(fv, inv_lots, now, widen)
        clamp = self.clamps.get(symbol)
        if clamp is not None:
            stressed = state is not None and state.stressed
            market = book.best() if clamp.needs_market else None
            res = clamp.apply(ladder, stressed=stressed, market=market)
            key = res.kinds
            if key != self._last_clamp.get(symbol, ()):
                self._last_clamp[symbol] = key
                self.emit(
                    "risk",
                    {
                        "decision": "clamped" if key else "unclamped",
                        "symbol": symbol,
                        "actions": [
                            {"kind": a.kind, "side": a.side, "detail": a.detail}
                            for a in res.actions
                        ],
                        "widen": str(widen),
                        "stressed": stressed,
                    },
                    now,
                )
            ladder = res.ladder
        self.orders.reconcile(symbol, ladder, now)
        if self.risk.pending_events:  # (denials: risk events to publish)
            self._drain_risk()

    # ---- orders, fills, positions --------------------------------------------------

    def _apply_updates(self, updates: list[OrderUpdate]) -> None:
        touched: dict[str, str] = {}
        for u in updates:
            self.emit(
                "order",
                {
                    "symbol": u.symbol,
                    "status": u.status,
                    "order_id": u.client_id,
                    "venue_order_id": u.venue_id,
                    "side": u.side.value,
                    "px": u.px,
                    "qty": u.qty,
                    "leaves": u.leaves,
                    "reason": u.reason,
                    "purpose": u.purpose.value,
                },
                u.ts_ns,
            )
            if u.fill is not None:
                self._on_fill(u)
            if u.purpose is Purpose.HEDGE:
                if u.status in ("cancelled", "rejected", "filled"):
                    for h, _ in self.hedgers.values():
                        h.on_order_closed(u.client_id)
            else:
                cause = _CAUSE.get(u.status)
                # a fill outranks other causes in the same batch
                if cause is not None and touched.get(u.symbol) != "fill":
                    touched[u.symbol] = cause
        for sym, cause in touched.items():
            if cause == "cancel" and self._cause_override is not None:
                cause = self._cause_override  # our deliberate pull / kill
            self._quote_changed(sym, cause)
        self._drain_risk()
        # a fill, or a change that frees an order (replaced after a fill raced it,
        # cancelled, cancel refused),
        # may leave the quote short of its target: requote now, not at the next update.
        # Not after a reject: that would retry a refused order in a tight loop.
        again = {
            u.symbol
            for u in updates
            if u.status in _REQUOTE_AFTER and (u.status != "replaced" or u.leaves != u.qty)
        }
        for sym in again:
            if sym in self.strategies:
                self.requote(sym)
        if self.hedgers and any(u.fill is not None for u in updates):
            self._hedge()

    def _marks(self) -> dict[str, Decimal]:
        marks: dict[str, Decimal] = {}
        for sym, book in self.md.books.items():
            best = book.best()
            if best is not None:
                marks[sym] = Decimal(best[0] + best[1]) * book.instrument.tick / 2
            elif book.last_px_ticks is not None:
                marks[sym] = book.last_px_ticks * book.instrument.tick
        return marks

    def _on_fill(self, u: OrderUpdate) -> None:
        f = u.fill
        assert f is not None
        self.stats["fills"] += 1
        self._inv_lots.clear()  # positions change below
        if u.purpose is Purpose.HEDGE:
            for h, _ in self.hedgers.values():
                if h.in_flight == u.client_id:
                    h.on_fill(f, self.inventory, u.client_id)
                    break
            else:
                self.inventory.apply(f)
        else:
            self.inventory.apply(f)
        if self.fills is not None:
            self.fills.write(f)
        self.emit(
            "fill",
            {
                "symbol": f.symbol,
                "side": f.side.value,
                "px": f.px,
                "qty": f.qty,
                "fee": f.fee,
                "liquidity": f.liquidity,
                "order_id": f.order_id,
                "trade_id": f.trade_id,
            },
            f.ts_ns,
        )
        marks = self._marks()
        for s in self.inventory.symbols:
            if s not in marks:
                marks[s] = f.px if s == f.symbol else Decimal(0)
        snap = self.inventory.snapshot(f.symbol)
        mark = marks.get(f.symbol, f.px)
        day = self.inventory.day_pnl(marks)
        self.emit(
            "position",
            {
                "symbol": f.symbol,
                "qty": snap.qty,
                "avg_px": snap.avg_px,
                "realised": snap.realised_fifo,
                "unrealised": snap.unrealised(mark),
                "fees": snap.net_fees,
                "day_pnl": day,
                "net_delta": self.inventory.net_delta(),
            },
            f.ts_ns,
        )
        cancel = self.risk.update_pnl(day, f.ts_ns)
        if cancel:
            self.killed = True
            self.kill_reason = "loss limit"
            self.orders.cancel_all(f.ts_ns)

    def _hedge(self) -> None:
        now = self.now()
        for hsym, (hedger, group) in self.hedgers.items():
            if self.killed or not self.logged_on:
                return
            delta = sum((self.inventory.delta(s) for s in group), Decimal(0))
            best = self.md.books[hsym].best()
            if best is None:
                continue
            intent = hedger.evaluate(delta, (best[0] + best[1]) // 2, now)
            if intent is None:
                continue
            r = self.orders.place(
                intent.instrument,
                intent.side,
                intent.px_ticks,
                intent.qty_lots,
                now,
                tif=TimeInForce.IOC,
                purpose=Purpose.HEDGE,
                client_id=intent.client_id,
            )
            if isinstance(r, Denied):
                hedger.on_order_closed(intent.client_id)
            self._drain_risk()

    def _quote_changed(self, symbol: str, cause: str) -> None:
        levels = self.orders.resting(symbol)
        if self._last_quote.get(symbol, ((), ())) == levels:
            return
        self._last_quote[symbol] = levels
        now = self.now()
        self.stats["quote_events"] += 1
        if self.quote_log is not None:
            self.quote_log.write(Quote(now, symbol, levels[0], levels[1], cause))
        self.emit(
            "quote",
            {
                "symbol": symbol,
                "bids": _levels(levels[0]),
                "asks": _levels(levels[1]),
                "cause": cause,
            },
            now,
        )

    # ---- control -------------------------------------------------------------------

    def _symbols(self, symbol: str) -> list[str]:
        if symbol == ALL_SYMBOLS:
            return list(self.strategies)
        if symbol not in self.strategies:
            raise KeyError(symbol)
        return [symbol]

    def control(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        """Apply one control command (already checked by `parse_command`); the reply."""
        kind = cmd["type"]
        now = self.now()
        reason = str(cmd.get("reason") or "")
        if kind == "status":
            return self.status()
        if kind == "kill":
            self.killed = True
            self.kill_reason = reason or "kill"
            self.risk.engage_kill_switch(now, self.kill_reason)
            self._drain_risk()
            self._cause_override = "kill"
            n = self.orders.cancel_all(now) if self.logged_on else 0
            return {"ok": True, "cancelled": n}
        symbol = str(cmd.get("symbol", ALL_SYMBOLS))
        try:
            symbols = self._symbols(symbol)
        except KeyError:
            return {"ok": False, "error": f"unknown symbol {symbol!r}"}
        if kind == "pull":
            self.pulled[symbol] = reason or "pull"
            self._cause_override = "pull"
            self.emit("risk", {"decision": "pull", "symbol": symbol, "reason": reason}, now)
            n = 0
            if self.logged_on:
                for s in symbols:
                    n += self.orders.cancel_all(now, s)
            return {"ok": True, "cancelled": n}
        if kind == "widen":
            factor = Decimal(cmd["factor"])
            self.widen[symbol] = factor
            self.emit(
                "risk",
                {"decision": "widen", "symbol": symbol, "factor": factor, "reason": reason},
                now,
            )
            for s in symbols:
                self.requote(s)
            return {"ok": True, "factor": str(factor)}
        # resume
        if symbol == ALL_SYMBOLS:
            self.pulled.clear()
        else:
            self.pulled.pop(symbol, None)
        if self.killed or self.risk.kill_switch:
            self.killed = False
            self.kill_reason = ""
            self.risk.resume(now, reason or "resume")
        self._cause_override = None
        self.emit("risk", {"decision": "resume", "symbol": symbol, "reason": reason}, now)
        self._drain_risk()
        for s in symbols:
            self.requote(s)
        return {"ok": True}

    def status(self) -> dict[str, Any]:
        """Trading state, positions, PnL and live orders per symbol (JSON-ready)."""
        marks = self._marks()
        for s in self.inventory.symbols:
            marks.setdefault(s, Decimal(0))
        per: dict[str, Any] = {}
        for sym in self.instruments:
            bids, asks = self.orders.resting(sym) if sym in self.strategies else ((), ())
            per[sym] = {
                "position": str(self.inventory.position(sym)),
                "live_orders": len(self.orders.live_orders(sym)),
                "bids": [[str(lv.px), str(lv.qty)] for lv in bids],
                "asks": [[str(lv.px), str(lv.qty)] for lv in asks],
                "state": self.states[sym].label if sym in self.states else None,
                "widen": str(self.widen.get(sym, self.widen.get(ALL_SYMBOLS, Decimal(1)))),
                "pulled": sym in self.pulled or ALL_SYMBOLS in self.pulled,
            }
        if self.killed:
            state = "killed"
        elif not self.logged_on:
            state = "disconnected"
        else:
            state = self.risk.state.value
        return {
            "ok": True,
            "state": state,
            "kill_reason": self.kill_reason,
            "logged_on": self.logged_on,
            "venue_ns": self.md.venue_ns,
            "pnl": {
                "realised": str(self.inventory.realised()),
                "total": str(self.inventory.total_pnl(marks)),
                "fees": str(self.inventory.fees()),
            },
            "symbols": per,
            "stats": dict(self.stats),
        }


class QuoterApp:
    """The asyncio process: session, sockets, files, timers; see the module docstring."""

    def __init__(self, config: QuoterConfig, *, context: zmq.Context[Any] | None = None) -> None:
        self.config = config
        self._ctx = context or zmq.Context.instance()
        out = config.output
        self.journal = Journal(out.journal) if out.journal is not None else None
        self.publisher: Publisher | None = None
        if config.endpoints.events is not None:
            self.publisher = Publisher(
                config.endpoints.events, config.source, journal=self.journal, context=self._ctx
            )
        self.replay: ReplayServer | None = None
        if config.endpoints.replay is not None and self.journal is not None:
            self.replay = ReplayServer(config.endpoints.replay, self.journal, context=self._ctx)
        levels = config.ladder.levels
        self.quote_log = (
            QuoteLogWriter(out.quote_log, levels=levels, flush_every=out.flush_every)
            if out.quote_log is not None
            else None
        )
        self.fills = FillsWriter(out.fills) if out.fills is not None else None
        self.engine = QuoterEngine(
            config, publish=self._publish, quote_log=self.quote_log, fills=self.fills
        )
        v = config.venue
        self.session = Session(
            SessionConfig(
                sender_comp_id=v.sender_comp_id,
                target_comp_id=v.target_comp_id,
                role="initiator",
                heart_bt_int_s=v.heartbeat_s,
                reset_seq_num_flag=True,
                username=v.username,
                password=v.password,
                sending_time_precision="us",
            ),
            self.engine,
            MemoryStore(),
            dictionary=quoter_dictionary(),
        )
        self.engine.session = self.session
        self.initiator: Initiator | None = None
        self.control: ControlServer | None = None
        if config.endpoints.control is not None:
            self.control = ControlServer(
                config.endpoints.control, self._on_control, context=self._ctx
            )
        self._stop = asyncio.Event()
        self.stopped = asyncio.Event()

    def _publish(self, kind: str, ts_event: int, fields: Mapping[str, Any]) -> object:
        if self.publisher is None:
            return None
        return self.publisher.publish(kind, ts_event, fields)

    def _on_control(self, cmd: dict[str, Any]) -> Mapping[str, Any]:
        reply = self.engine.control(cmd)
        if cmd["type"] == "kill" and reply.get("ok"):
            reply["state"] = "killed"
        return reply

    def _poll_control(self) -> None:
        if self.control is not None and self.control.poll(0) and self.initiator is not None:
            self.initiator.pump()

    def request_stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Connect, quote until stopped, then cancel everything, log out and flush."""
        loop = asyncio.get_running_loop()
        v = self.config.venue
        self.initiator = Initiator(
            self.session,
            v.host,
            v.port,
            backoff_initial_s=v.reconnect_initial_s,
            backoff_max_s=v.reconnect_max_s,
        )
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(*_NO_SIGNAL_HANDLERS):
                loop.add_signal_handler(sig, self.request_stop)
        fd = None
        if self.control is not None:
            fd = self.control.socket.getsockopt(zmq.FD)
            loop.add_reader(fd, self._poll_control)
        # events are published after the orders they caused are written (call_soon
        # runs once the transport's data_received, which writes them, has returned)
        self.engine.set_scheduler(loop.call_soon)
        self.initiator.start()
        next_beat = time.monotonic()
        try:
            while not self._stop.is_set():
                self._poll_control()
                now = time.monotonic()
                if now >= next_beat:
                    next_beat = now + 1.0
                    self._heartbeat()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 0.05)
        finally:
            if fd is not None:
                loop.remove_reader(fd)
            await self._shutdown()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(*_NO_SIGNAL_HANDLERS):
                    loop.remove_signal_handler(sig)
            self.stopped.set()

    def _heartbeat(self) -> None:
        eng = self.engine
        eng.flush_events()  # keep the heartbeat after what happened before it
        self._publish(
            "heartbeat",
            eng.now(),
            {"logged_on": eng.logged_on, "killed": eng.killed, "wall_ns": time.time_ns()},
        )
        if self.quote_log is not None:
            self.quote_log.flush()
        if self.fills is not None:
            self.fills.flush()
        if self.journal is not None:
            self.journal.flush()

    async def _shutdown(self) -> None:
        eng = self.engine
        if self.initiator is not None:
            if eng.logged_on:
                eng.pulled[ALL_SYMBOLS] = "shutdown"
                eng._cause_override = "cancel"
                eng.orders.cancel_all(eng.now())
                self.initiator.pump()
                for _ in range(40):  # up to ~2 s for the venue to confirm the cancels
                    if not eng.orders.live_orders() or not eng.logged_on:
                        break
                    await asyncio.sleep(0.05)
                    eng.orders.cancel_all(eng.now())
                    self.initiator.pump()
            await self.initiator.stop()
        eng.set_scheduler(None)  # publish what is queued; from now on at once
        if self.control is not None:
            self.control.close()
        if self.replay is not None:
            self.replay.close()
        if self.quote_log is not None:
            self.quote_log.close()
        if self.fills is not None:
            self.fills.close()
        if self.publisher is not None:
            self.publisher.close()
        elif self.journal is not None:
            self.journal.flush()
        if self.journal is not None:
            self.journal.close()
