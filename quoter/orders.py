"""The order manager: desired ladders -> orders at the venue, tracked from ExecutionReports.

Venue profile `orders` (crypto style): post-only GTC NewOrderSingle (35=D, 18=6)
per ladder level, moved by OrderCancelReplaceRequest (35=G), removed by
OrderCancelRequest (35=F). Rules:

- one slot per (symbol, side, level); a slot holds at most one order, and an
  order has at most one change in flight (pending new / cancel / replace:
  nothing more is sent for it until the venue answers);
- an order is replaced when the requote policy says so (target moved beyond the
  tolerance, or the order aged), when its open size differs from the target, at
  once when it would cross the other side's target (stale), and for the best
  level at once when it rests wider than its target (the tolerance never lets
  the resting quote be wider than what the obligation clamp allowed); cancelled
  when its level has no target any more;
- when the quote moves, the side that narrows it moves first, so the quote in
  between is never wider than the targets; and a side's best target is pulled
  in when our other side rests (or is about to rest) elsewhere than its target
  (a change in flight), so no mix of two turns' targets is wider than a target;
- every new order, replace and cancel goes through `RiskEngine.check` first; a
  denial is not sent (the risk engine records the event);
- a sliding one-second throttle (`max_msgs_per_s`, in venue time) defers what
  does not fit to the next reconcile; protective cancels (`cancel_all`) are
  never deferred;
- ExecutionReports (35=8) and OrderCancelRejects (35=9) drive the state machine
  of `quoter.intents`; fills are returned as `mmsla.domain.Fill` for the app to
  book (inventory, risk is told here);
- `on_disconnect`: every order is assumed gone (the venue cancels on
  disconnect); the caller tells risk and rebuilds after logon;
- `own_lots`: what of the venue's book may be ours, per price -- resting, sent
  and not yet acknowledged, being replaced or cancelled, and what the venue
  confirmed leaving until the next book update (`book_updated`) -- so fair
  value can leave our own quotes out without racing the venue's messages.

The manager sends through a callable (the FIX session's `send`) and never reads
a socket. Not here: pricing, the agreement clamp, inventory, hedging decisions.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from mmsla.domain import Fill, Level, Side
from quoter.exec_report import report_fill
from quoter.fix.codec.framing import RawMessage
from quoter.fix.codec.tags import (
    CL_ORD_ID,
    CUM_QTY,
    EXEC_INST,
    EXEC_TYPE,
    LAST_PX,
    LAST_QTY,
    LEAVES_QTY,
    ORD_STATUS,
    ORD_TYPE,
    ORDER_ID,
    ORDER_QTY,
    ORIG_CL_ORD_ID,
    PRICE,
    SIDE,
    SYMBOL,
    TEXT,
    TIME_IN_FORCE,
    TRANSACT_TIME,
)
from quoter.fix.codec.times import format_utc, parse_utc
from quoter.intents import (
    TERMINAL_STATES,
    CancelIntent,
    IllegalTransitionError,
    Instrument,
    OrderEvent,
    OrderIntent,
    OrderState,
    Purpose,
    TimeInForce,
    transition,
)
from quoter.pricing.ladder import Ladder
from quoter.pricing.requote import RequotePolicy
from quoter.risk import APPROVED, Denied, RiskEngine
from quoter.throttle import MessageThrottle

__all__ = ["ManagedOrder", "OrderManager", "OrderUpdate", "SendFn"]


SendFn = Callable[[str, Sequence[tuple[int, str]]], object]

_FIX_SIDE = {Side.BUY: "1", Side.SELL: "2"}
_SOH = "\x01"
_POST_ONLY_TEXT = f"{EXEC_INST}=6{_SOH}"
# a replace's tags as text, once (an int tag in an f-string is formatted every time)
_G_VENUE = f"{ORDER_ID}="
_G_ORIG = f"{ORIG_CL_ORD_ID}="
_G_CL = f"{_SOH}{CL_ORD_ID}="
_G_TIME = f"{TRANSACT_TIME}="
_G_QTY = f"{_SOH}{ORDER_QTY}="
_G_PX = f"{_SOH}{ORD_TYPE}=2{_SOH}{PRICE}="
# live / partially filled -> pending replace (`transition` for anything else)
_REPLACE_SENT = {
    OrderState.LIVE: transition(OrderState.LIVE, OrderEvent.REPLACE_SENT),
    OrderState.PARTIALLY_FILLED: transition(OrderState.PARTIALLY_FILLED, OrderEvent.REPLACE_SENT),
}
# enum members as module constants: on Python 3.11 `Enum.MEMBER` costs about four
# times a global lookup, and these are read several times per order on the quote path
_BUY = Side.BUY
_SELL = Side.SELL
_LIVE = OrderState.LIVE
_PARTIAL = OrderState.PARTIALLY_FILLED
_PENDING_NEW = OrderState.PENDING_NEW
_QUOTE = Purpose.QUOTE
_NO_TEXT: dict[int, str] = {}  # (never written: a symbol without a text cache yet)
_NO_SLOTS: dict[int, ManagedOrder] = {}  # (never written: a side without slots yet)
_RESTING = frozenset(
    {
        OrderState.LIVE,
        OrderState.PARTIALLY_FILLED,
        OrderState.PENDING_CANCEL,
        OrderState.PENDING_REPLACE,
    }
)


class ManagedOrder:
    """One order as we know it (mutable; the manager owns it)."""

    __slots__ = (
        "client_id",
        "filled_lots",
        "instrument",
        "level",
        "pending_id",
        "pending_px",
        "pending_qty",
        "placed_ns",
        "purpose",
        "px_ticks",
        "qty_lots",
        "risk_id",
        "side",
        "state",
        "venue_id",
    )

    def __init__(
        self,
        client_id: str,
        instrument: Instrument,
        side: Side,
        level: int,
        px_ticks: int,
        qty_lots: int,
        now_ns: int,
        purpose: Purpose = Purpose.QUOTE,
    ) -> None:
        self.client_id = client_id
        self.instrument = instrument
        self.side = side
        self.level = level
        self.px_ticks = px_ticks
        self.qty_lots = qty_lots  # total order quantity (FIX OrderQty)
        self.filled_lots = 0
        self.state = OrderState.PENDING_NEW
        self.venue_id: str | None = None
        self.placed_ns = now_ns
        self.pending_id: str | None = None  # id of the cancel/replace in flight
        self.pending_px: int | None = None
        self.pending_qty: int | None = None
        self.risk_id = client_id  # the id the risk engine tracks this order under
        self.purpose = purpose

    @property
    def symbol(self) -> str:
        return self.instrument.symbol

    @property
    def leaves_lots(self) -> int:
        return max(self.qty_lots - self.filled_lots, 0)

    @property
    def in_flight(self) -> bool:
        return self.state is OrderState.PENDING_NEW or self.pending_id is not None


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """What happened to an order (the app publishes it as an `order` event).

    `status`: accepted|rejected|cancelled|replaced|partially_filled|filled|
    cancel_rejected|replace_rejected; `fill` set for fills.
    """

    ts_ns: int
    symbol: str
    side: Side
    client_id: str
    venue_id: str | None
    status: str
    px: Decimal
    qty: Decimal
    leaves: Decimal
    reason: str = ""
    purpose: Purpose = Purpose.QUOTE
    fill: Fill | None = None


class OrderManager:
    """Keeps the venue's orders in line with the desired ladders (see the module docstring)."""

    def __init__(
        self,
        instruments: Iterable[Instrument],
        send: SendFn,
        risk: RiskEngine,
        *,
        requote: RequotePolicy | None = None,
        max_msgs_per_s: int | None = None,
        id_prefix: str = "Q",
        post_only: bool = True,
    ) -> None:
        self.instruments = {i.symbol: i for i in instruments}
        self._send = send
        self.risk = risk
        self.requote = requote or RequotePolicy()
        self.throttle = MessageThrottle(max_msgs_per_s)
        self._ids = itertools.count(1)
        self._prefix = id_prefix
        self.post_only = post_only
        self.orders: dict[str, ManagedOrder] = {}  # by every id it is known under
        self.slots: dict[tuple[str, Side], dict[int, ManagedOrder]] = {}
        # FIX text of prices and sizes per symbol (ticks/lots -> "100.01"): an order's
        # price repeats constantly, and Decimal multiply + format is the costly part of
        # building its body; bounded (cleared when large)
        self._px_text: dict[str, dict[int, str]] = {}
        self._qty_text: dict[str, dict[int, str]] = {}
        self._ts_text: tuple[int, str] = (-1, "")
        self._ts_second: tuple[int, str] = (-1, "")  # a whole second and its text
        self._sym_side_text: dict[tuple[str, Side], str] = {}
        # optional sender of pre-serialised bodies (`Session.send_text`): when set,
        # replaces go through it (same bytes as `send` with the field list)
        self.send_text: Callable[[str, str], object] | None = None
        # lots that left a price (replaced away, cancelled, filled) since the last book
        # update of their symbol: the venue's book may still show them (see own_lots)
        self._gone: dict[str, tuple[dict[int, int], dict[int, int]]] = {}
        self.deferred = 0
        self.unexpected_reports = 0

    @property
    def messages_sent(self) -> int:
        """Messages sent so far (every kind, throttled or not)."""
        return self.throttle.sent

    # ---- queries -------------------------------------------------------------------

    def live_orders(self, symbol: str | None = None) -> list[ManagedOrder]:
        """Distinct non-terminal orders (optionally of one symbol)."""
        seen: dict[int, ManagedOrder] = {}
        for o in self.orders.values():
            if o.state not in TERMINAL_STATES and (symbol is None or o.symbol == symbol):
                seen[id(o)] = o
        return list(seen.values())

    def resting(self, symbol: str) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
        """Our confirmed resting quote on `symbol`: levels (price, total leaves), best first."""
        inst = self.instruments[symbol]
        bids: dict[int, int] = {}
        asks: dict[int, int] = {}
        for side, agg in ((Side.BUY, bids), (Side.SELL, asks)):
            for o in self.slots.get((symbol, side), {}).values():
                if o.state in _RESTING and o.leaves_lots > 0:
                    agg[o.px_ticks] = agg.get(o.px_ticks, 0) + o.leaves_lots
        tick, lot = inst.tick, inst.lot
        return (
            tuple(Level(p * tick, bids[p] * lot) for p in sorted(bids, reverse=True)),
            tuple(Level(p * tick, asks[p] * lot) for p in sorted(asks)),
        )

    def own_lots(self, symbol: str) -> tuple[dict[int, int], dict[int, int]]:
        """What of the venue's book on `symbol` may be ours: lots per price, (bids, asks).

        For fair value without our own quotes. Counted: every quote order not
        known to be gone -- resting (live, partially filled), sent but not yet
        acknowledged (pending new), being cancelled (until the venue confirms: the
        venue's book may still show it) -- and an order with a replace in flight at
        both its current and its new terms (the venue's book may show either; at
        one price the larger of the two). And, until the next book update of the
        symbol (`book_updated`), what the venue has confirmed leaving a price --
        replaced away, cancelled, filled -- since its book may not show that yet.
        Over-counting only hides liquidity for a moment (the caller never goes
        below zero); under-counting lots the venue's book still shows would make
        us chase our own quote and, with no latency, replace it forever at one
        instant (the book update can reach us before the ack, or after it).
        """
        gone = self._gone.get(symbol)
        bids: dict[int, int] = dict(gone[0]) if gone else {}
        asks: dict[int, int] = dict(gone[1]) if gone else {}
        for side, agg in ((Side.BUY, bids), (Side.SELL, asks)):
            slots = self.slots.get((symbol, side))
            if not slots:
                continue
            for o in slots.values():
                if o.state in TERMINAL_STATES:
                    continue
                px, leaves = o.px_ticks, o.leaves_lots
                if o.pending_px is not None and o.pending_qty is not None:
                    new_leaves = max(o.pending_qty - o.filled_lots, 0)
                    if o.pending_px == px:
                        leaves = max(leaves, new_leaves)
                    elif new_leaves > 0:
                        agg[o.pending_px] = agg.get(o.pending_px, 0) + new_leaves
                if leaves > 0:
                    agg[px] = agg.get(px, 0) + leaves
        return bids, asks

    def own_lots_at(self, symbol: str, side: Side, px_ticks: int) -> int:
        """`own_lots(symbol)[0 if side is BUY else 1].get(px_ticks, 0)` without building
        the dictionaries (fair value asks only about the best price of each side)."""
        gone = self._gone.get(symbol) if self._gone else None
        n = (gone[0] if side is _BUY else gone[1]).get(px_ticks, 0) if gone else 0
        slots = self.slots.get((symbol, side))
        if not slots:
            return n
        for o in slots.values():
            if o.state in TERMINAL_STATES:
                continue
            px, leaves = o.px_ticks, o.leaves_lots
            pending_px, pending_qty = o.pending_px, o.pending_qty
            if pending_px is not None and pending_qty is not None:
                new_leaves = max(pending_qty - o.filled_lots, 0)
                if pending_px == px:
                    leaves = max(leaves, new_leaves)
                elif pending_px == px_ticks and new_leaves > 0:
                    n += new_leaves
            if px == px_ticks and leaves > 0:
                n += leaves
        return n

    def book_updated(self, symbol: str) -> None:
        """A market-data update of `symbol` arrived: its book now shows what left it."""
        if self._gone:
            self._gone.pop(symbol, None)

    def _left(self, o: ManagedOrder, px_ticks: int, lots: int) -> None:
        """`lots` of quote order `o` left `px_ticks` (confirmed by the venue)."""
        if lots <= 0 or o.purpose is not Purpose.QUOTE:
            return
        gone = self._gone.get(o.symbol)
        if gone is None:
            gone = self._gone[o.symbol] = ({}, {})
        agg = gone[0] if o.side is Side.BUY else gone[1]
        agg[px_ticks] = agg.get(px_ticks, 0) + lots

    # ---- sending -------------------------------------------------------------------

    def _next_id(self) -> str:
        return f"{self._prefix}{next(self._ids)}"

    def _transact(self, now_ns: int) -> str:
        last_ns, text = self._ts_text
        if last_ns != now_ns:  # a requote sends several orders at one instant
            # `format_utc(now_ns, "us")`, its second's text kept here (one call less)
            sec, frac = divmod(now_ns, 1_000_000_000)
            sec_text = self._ts_second[1]
            if self._ts_second[0] != sec:
                sec_text = format_utc(now_ns - frac, "s")
                self._ts_second = (sec, sec_text)
            text = f"{sec_text}.{frac // 1000:06d}"
            self._ts_text = (now_ns, text)
        return text

    def _px(self, inst: Instrument, ticks: int) -> str:
        cache = self._px_text.get(inst.symbol)
        if cache is None:
            cache = self._px_text[inst.symbol] = {}
        text = cache.get(ticks)
        if text is None:
            if len(cache) > 65_536:
                cache.clear()
            text = cache[ticks] = format(ticks * inst.tick, "f")
        return text

    def _qty(self, inst: Instrument, lots: int) -> str:
        cache = self._qty_text.get(inst.symbol)
        if cache is None:
            cache = self._qty_text[inst.symbol] = {}
        text = cache.get(lots)
        if text is None:
            if len(cache) > 65_536:
                cache.clear()
            text = cache[lots] = format(lots * inst.lot, "f")
        return text

    def place(
        self,
        instrument: Instrument,
        side: Side,
        px_ticks: int,
        qty_lots: int,
        now_ns: int,
        *,
        level: int = 0,
        tif: TimeInForce = TimeInForce.GTC,
        purpose: Purpose = Purpose.QUOTE,
        client_id: str | None = None,
    ) -> ManagedOrder | Denied:
        """Risk-check and send one new order; the order, or the risk denial."""
        cid = client_id or self._next_id()
        post_only = self.post_only and purpose is Purpose.QUOTE
        intent = OrderIntent(cid, instrument, side, px_ticks, qty_lots, tif, post_only, purpose)
        verdict = self.risk.check(intent, now_ns)
        if isinstance(verdict, Denied):
            return verdict
        o = ManagedOrder(cid, instrument, side, level, px_ticks, qty_lots, now_ns, purpose)
        self.orders[cid] = o
        if purpose is Purpose.QUOTE:
            self.slots.setdefault((instrument.symbol, side), {})[level] = o
        body = [
            (CL_ORD_ID, cid),
            (SYMBOL, instrument.symbol),
            (SIDE, _FIX_SIDE[side]),
            (TRANSACT_TIME, self._transact(now_ns)),
            (ORDER_QTY, self._qty(instrument, qty_lots)),
            (ORD_TYPE, "2"),
            (PRICE, self._px(instrument, px_ticks)),
            (TIME_IN_FORCE, "1" if tif is TimeInForce.GTC else "3"),
        ]
        if post_only:
            body.append((EXEC_INST, "6"))
        self._send("D", body)
        self.throttle.count(now_ns)
        return o

    def replace(
        self, o: ManagedOrder, px_ticks: int, leaves_lots: int, now_ns: int
    ) -> bool | Denied:
        """Move `o` to new terms (new open size `leaves_lots`); False when not allowed now."""
        state = o.state
        # (live or partially filled, and no cancel/replace in flight; pending new is neither)
        if o.pending_id is not None or (state is not _LIVE and state is not _PARTIAL):
            return False
        cid = f"{self._prefix}{next(self._ids)}"
        total = o.filled_lots + leaves_lots
        inst = o.instrument
        sym = inst.symbol
        side = o.side
        # (the same checks as `check(ReplaceIntent(...))`, without building the intent)
        verdict = self.risk.check_terms(cid, o.client_id, sym, side, px_ticks, total, now_ns)
        if verdict is not APPROVED:
            assert isinstance(verdict, Denied)
            return verdict
        post_only = self.post_only and o.purpose is _QUOTE
        o.state = _REPLACE_SENT.get(state) or transition(state, OrderEvent.REPLACE_SENT)
        o.pending_id, o.pending_px, o.pending_qty = cid, px_ticks, total
        o.risk_id = cid
        self.orders[cid] = o
        # cached texts first (the usual case), the formatting methods on a miss
        px_text = self._px_text.get(sym, _NO_TEXT).get(px_ticks) or self._px(inst, px_ticks)
        qty_text = self._qty_text.get(sym, _NO_TEXT).get(total) or self._qty(inst, total)
        last_ns, ts_text = self._ts_text
        if last_ns != now_ns:
            ts_text = self._transact(now_ns)
        send_text = self.send_text
        if send_text is not None:
            # the same fields in the same order as the list below, serialised here:
            # symbol and side come pre-encoded, so only the varying values are joined
            head = self._sym_side_text.get((sym, side))
            if head is None:
                head = self._sym_side_text[(sym, side)] = (
                    f"{SYMBOL}={sym}{_SOH}{SIDE}={_FIX_SIDE[side]}{_SOH}"
                )
            venue_id = o.venue_id
            send_text(
                "G",
                f"{'' if venue_id is None else _G_VENUE + venue_id + _SOH}"
                f"{_G_ORIG}{o.client_id}{_G_CL}{cid}{_SOH}{head}"
                f"{_G_TIME}{ts_text}{_G_QTY}{qty_text}{_G_PX}{px_text}{_SOH}"
                f"{_POST_ONLY_TEXT if post_only else ''}",
            )
            self.throttle.count(now_ns)
            return True
        body = [
            (ORIG_CL_ORD_ID, o.client_id),
            (CL_ORD_ID, cid),
            (SYMBOL, sym),
            (SIDE, _FIX_SIDE[side]),
            (TRANSACT_TIME, ts_text),
            (ORDER_QTY, qty_text),
            (ORD_TYPE, "2"),
            (PRICE, px_text),
        ]
        if o.venue_id is not None:
            body.insert(0, (ORDER_ID, o.venue_id))
        if post_only:
            body.append((EXEC_INST, "6"))
        self._send("G", body)
        self.throttle.count(now_ns)
        return True

    def cancel(self, o: ManagedOrder, now_ns: int) -> bool:
        """Ask the venue to cancel `o`; False when a change is already in flight."""
        if o.in_flight or o.state not in (OrderState.LIVE, OrderState.PARTIALLY_FILLED):
            return False
        cid = self._next_id()
        self.risk.check(CancelIntent(cid, o.client_id, o.instrument, o.side), now_ns)
        o.state = transition(o.state, OrderEvent.CANCEL_SENT)
        o.pending_id = cid
        self.orders[cid] = o
        body = [
            (ORIG_CL_ORD_ID, o.client_id),
            (CL_ORD_ID, cid),
            (SYMBOL, o.symbol),
            (SIDE, _FIX_SIDE[o.side]),
            (TRANSACT_TIME, self._transact(now_ns)),
            (ORDER_QTY, self._qty(o.instrument, o.qty_lots)),
        ]
        if o.venue_id is not None:
            body.insert(0, (ORDER_ID, o.venue_id))
        self._send("F", body)
        self.throttle.count(now_ns)
        return True

    def cancel_all(self, now_ns: int, symbol: str | None = None) -> int:
        """Cancel every cancellable order (of `symbol`, or all); returns how many were sent.

        Orders with a change in flight are cancelled by a later call (the app
        repeats it while pulled or killed), so nothing is left behind.
        """
        n = 0
        for o in self.live_orders(symbol):
            if self.cancel(o, now_ns):
                n += 1
        return n

    # ---- reconcile -----------------------------------------------------------------

    def reconcile(self, symbol: str, ladder: Ladder | None, now_ns: int) -> list[Denied]:
        """Send what it takes to move our orders on `symbol` toward `ladder` (None = none).

        Returns the risk denials met (already recorded as risk events).
        """
        inst = self.instruments[symbol]
        bids = ladder.bids if ladder is not None else ()
        asks = ladder.asks if ladder is not None else ()
        denials: list[Denied] = []
        best_bid = bids[0][0] if bids else None
        best_ask = asks[0][0] if asks else None
        slots_of = self.slots
        bid_slots = slots_of.get((symbol, _BUY))
        if bid_slots is None:
            bid_slots = slots_of[(symbol, _BUY)] = {}
        ask_slots = slots_of.get((symbol, _SELL))
        if ask_slots is None:
            ask_slots = slots_of[(symbol, _SELL)] = {}
        # narrow first: when the quote moves up, raise the bid before the ask (when it
        # moves down, lower the ask before the bid), so the resting quote in between is
        # narrower than both targets and never wider than the limit the clamp kept;
        # unless the first move would cross our own other side: then the other goes first
        ob = bid_slots.get(0)
        oa = ask_slots.get(0)
        live_bid = ob.px_ticks if ob is not None and ob.state not in TERMINAL_STATES else None
        live_ask = oa.px_ticks if oa is not None and oa.state not in TERMINAL_STATES else None
        bids_first = True
        if best_ask is not None and live_ask is not None and best_ask < live_ask:
            bids_first = False  # moving down: ask first
            if live_bid is not None and best_ask <= live_bid:
                bids_first = True
        elif best_bid is not None and live_ask is not None and best_bid >= live_ask:
            bids_first = False
        width = best_ask - best_bid if best_bid is not None and best_ask is not None else None
        # whether a resting order needs nothing beyond the requote policy's verdict
        # is decided without calling it when the order already sits on its target
        # (same price and size: only an age limit could move it)
        aging = self.requote.max_age_s is not None
        throttle = self.throttle
        throttled = throttle.max_per_s is not None  # (`throttle.limited`)
        for buy in (True, False) if bids_first else (False, True):
            if buy:
                side, targets, slots, other_slots = _BUY, bids, bid_slots, ask_slots
            else:
                side, targets, slots, other_slots = _SELL, asks, ask_slots, bid_slots
            if width is not None and targets:
                # keep the width: pull this side's best target in so that, against
                # where our other side rests or is about to rest (a change in flight),
                # the quote is never wider than the target width -- the two sides may
                # move in different turns, and a mix of two turns' targets must not
                # breach what the clamp made valid (strictly narrower, width - 1, then)
                oo = other_slots.get(0)  # (read now: the other side may have just moved)
                if oo is not None and oo.state not in TERMINAL_STATES:
                    other = oo.px_ticks
                    if oo.pending_id is not None and oo.pending_px is not None:
                        other = oo.pending_px
                    px0 = targets[0][0]
                    if buy and other - px0 > width:
                        targets = ((other - max(width - 1, 1), targets[0][1]), *targets[1:])
                    elif not buy and px0 - other > width:
                        targets = ((other + max(width - 1, 1), targets[0][1]), *targets[1:])
            n_targets = len(targets)
            levels = max(n_targets, max(slots) + 1) if slots else n_targets
            for i in range(levels):
                target = targets[i] if i < n_targets else None
                o = slots.get(i)
                if o is not None and o.state in TERMINAL_STATES:
                    del slots[i]
                    o = None
                if o is None:
                    if target is None:
                        continue
                    if throttled and not throttle.allows(now_ns):
                        self.deferred += 1
                        return denials
                    r = self.place(inst, side, target[0], target[1], now_ns, level=i)
                    if isinstance(r, Denied):
                        denials.append(r)
                    continue
                if o.pending_id is not None or o.state is _PENDING_NEW:  # in flight
                    continue
                if target is None:
                    if throttled and not throttle.allows(now_ns):
                        self.deferred += 1
                        return denials
                    self.cancel(o, now_ns)
                    continue
                px, qty = target
                live = o.px_ticks
                leaves = o.qty_lots - o.filled_lots  # (`o.leaves_lots`, inline)
                if leaves < 0:
                    leaves = 0
                if live == px and leaves == qty and not aging:
                    continue  # on target (on target it cannot cross, nor be wider)
                # replace when the order would cross the other side's target (stale),
                # when the best level rests wider than its target (whatever the
                # tolerance: the target is what the obligation clamp made valid), when
                # its size is off, or when the requote policy says so
                if not (
                    leaves != qty
                    or (
                        (best_ask is not None and live >= best_ask)
                        if buy
                        else (best_bid is not None and live <= best_bid)
                    )
                    or (i == 0 and (live < px if buy else live > px))
                    or self.requote.decide(live, px, o.placed_ns, now_ns) is not None
                ):
                    continue
                if throttled and not throttle.allows(now_ns):
                    self.deferred += 1
                    return denials
                r2 = self.replace(o, px, qty, now_ns)
                if isinstance(r2, Denied):
                    denials.append(r2)
        return denials

    # ---- venue reports -------------------------------------------------------------

    def _find(self, v: dict[int, str]) -> ManagedOrder | None:
        cid = v.get(CL_ORD_ID)
        o = self.orders.get(cid) if cid else None
        if o is None:
            orig = v.get(ORIG_CL_ORD_ID)
            o = self.orders.get(orig) if orig else None
        return o

    def _update(self, o: ManagedOrder, ts: int, status: str, reason: str = "") -> OrderUpdate:
        inst = o.instrument
        return OrderUpdate(
            ts,
            o.symbol,
            o.side,
            o.client_id,
            o.venue_id,
            status,
            o.px_ticks * inst.tick,
            o.qty_lots * inst.lot,
            o.leaves_lots * inst.lot,
            reason,
            o.purpose,
        )

    def _close(self, o: ManagedOrder) -> None:
        self.risk.on_order_closed(o.risk_id)
        if o.pending_id is not None:
            self.risk.on_order_closed(o.pending_id)
        for key in [k for k, v in self.orders.items() if v is o]:
            del self.orders[key]
        slot = self.slots.get((o.symbol, o.side))
        if slot is not None and slot.get(o.level) is o:
            del slot[o.level]

    def _step(self, o: ManagedOrder, event: OrderEvent) -> None:
        try:
            o.state = transition(o.state, event, filled_any=o.filled_lots > 0)
        except IllegalTransitionError:
            # a report the machine does not expect (e.g. a late duplicate): keep our
            # state, count it (visible in `status`)
            self.unexpected_reports += 1

    def on_execution_report(self, msg: RawMessage, now_ns: int) -> list[OrderUpdate]:
        """Apply one 35=8; the resulting updates (fills carry a `Fill`)."""
        v = msg.values
        o = self._find(v)
        if o is None:
            return []
        ts_text = v.get(TRANSACT_TIME)
        ts = parse_utc(ts_text) if ts_text else now_ns
        if v.get(ORDER_ID):
            o.venue_id = v[ORDER_ID]
        et = v.get(EXEC_TYPE)
        inst = o.instrument
        if et == "0":  # New
            if o.state is OrderState.PENDING_NEW:
                self._step(o, OrderEvent.ACCEPTED)
                o.placed_ns = ts
                return [self._update(o, ts, "accepted")]
            return []
        if et == "8":  # Rejected
            reason = v.get(TEXT, "")
            if o.state is OrderState.PENDING_NEW:
                self._step(o, OrderEvent.REJECTED)
                self._close(o)
                return [self._update(o, ts, "rejected", reason)]
            return self._change_rejected(o, ts, reason)
        if et in ("F", "1", "2"):  # Trade (FIX 4.4), or 4.2-style partial/fill
            return self._fill(o, v, ts)
        if et in ("4", "C"):  # Canceled, Expired
            self._left(o, o.px_ticks, o.leaves_lots)
            self._step(o, OrderEvent.CANCELLED)
            o.state = OrderState.CANCELLED
            self._close(o)
            return [self._update(o, ts, "cancelled", v.get(TEXT, ""))]
        if et == "5":  # Replaced
            new_id = v.get(CL_ORD_ID) or o.pending_id
            old_px, old_leaves = o.px_ticks, o.leaves_lots
            if o.pending_px is not None and o.pending_qty is not None:
                o.px_ticks, o.qty_lots = o.pending_px, o.pending_qty
            else:
                if v.get(PRICE):
                    o.px_ticks = int(Decimal(v[PRICE]) // inst.tick)
                if v.get(ORDER_QTY):
                    o.qty_lots = int(Decimal(v[ORDER_QTY]) // inst.lot)
            if v.get(CUM_QTY):
                o.filled_lots = int(Decimal(v[CUM_QTY]) // inst.lot)
            old = o.client_id
            if new_id:
                o.client_id = new_id
                self.orders[new_id] = o
            if old != o.client_id:
                self.orders.pop(old, None)
            o.pending_id = o.pending_px = o.pending_qty = None
            o.risk_id = o.client_id
            o.placed_ns = ts
            if o.px_ticks != old_px:
                self._left(o, old_px, old_leaves)
            else:
                self._left(o, old_px, old_leaves - o.leaves_lots)
            self._step(o, OrderEvent.REPLACED)
            if o.state is OrderState.PENDING_REPLACE:
                o.state = OrderState.PARTIALLY_FILLED if o.filled_lots else OrderState.LIVE
            return [self._update(o, ts, "replaced")]
        return []

    def _fill(self, o: ManagedOrder, v: dict[int, str], ts: int) -> list[OrderUpdate]:
        inst = o.instrument
        last_qty = Decimal(v.get(LAST_QTY) or "0")
        last_px = Decimal(v.get(LAST_PX) or "0")
        if last_qty <= 0:
            return []
        lots = int(last_qty // inst.lot)
        px_ticks = int(last_px // inst.tick)
        self._left(o, o.px_ticks, min(lots, o.leaves_lots))
        o.filled_lots += lots
        leaves_text = v.get(LEAVES_QTY)
        done = v.get(ORD_STATUS) == "2" or (
            leaves_text is not None and Decimal(leaves_text) == 0 and o.pending_id is None
        )
        if o.filled_lots >= o.qty_lots:
            done = True
        self.risk.on_fill(o.risk_id, o.symbol, o.side, lots, px_ticks)
        if done:
            self._step(o, OrderEvent.FILL)
            o.state = OrderState.FILLED
        else:
            self._step(o, OrderEvent.PARTIAL_FILL)
        fill = report_fill(v, ts, o.symbol, o.side, last_px, last_qty, o.client_id)
        upd = self._update(o, ts, "filled" if done else "partially_filled")
        if done:
            self._close(o)
        return [
            OrderUpdate(
                upd.ts_ns,
                upd.symbol,
                upd.side,
                upd.client_id,
                upd.venue_id,
                upd.status,
                upd.px,
                upd.qty,
                upd.leaves,
                "",
                o.purpose,
                fill,
            )
        ]

    def _change_rejected(self, o: ManagedOrder, ts: int, reason: str) -> list[OrderUpdate]:
        if o.state is OrderState.PENDING_REPLACE:
            assert o.pending_id is not None
            self.risk.on_replace_rejected(
                o.pending_id,
                OrderIntent(
                    o.client_id, o.instrument, o.side, o.px_ticks, o.leaves_lots, purpose=o.purpose
                ),
            )
            self.orders.pop(o.pending_id, None)
            o.pending_id = o.pending_px = o.pending_qty = None
            o.risk_id = o.client_id
            self._step(o, OrderEvent.REPLACE_REJECTED)
            return [self._update(o, ts, "replace_rejected", reason)]
        if o.state is OrderState.PENDING_CANCEL:
            if o.pending_id is not None:
                self.orders.pop(o.pending_id, None)
            o.pending_id = None
            self._step(o, OrderEvent.CANCEL_REJECTED)
            return [self._update(o, ts, "cancel_rejected", reason)]
        return []

    def on_cancel_reject(self, msg: RawMessage, now_ns: int) -> list[OrderUpdate]:
        """Apply one 35=9 (cancel or replace refused). An order the venue no longer
        knows (OrdStatus 2 filled, 4 cancelled, 8 rejected) is closed."""
        v = msg.values
        o = self._find(v)
        if o is None:
            return []
        reason = v.get(TEXT, "")
        out = self._change_rejected(o, now_ns, reason)
        if v.get(ORD_STATUS) in ("2", "4", "8") and o.state not in TERMINAL_STATES:
            o.state = OrderState.CANCELLED
            self._close(o)
            out.append(self._update(o, now_ns, "cancelled", f"unknown at venue: {reason}"))
        return out

    def on_send_rejected(
        self, msg_type: str, ref_id: str, reason: str, now_ns: int
    ) -> list[OrderUpdate]:
        """A message of ours the venue refused before acting on it: a session-level
        Reject (35=3) or a BusinessMessageReject (35=j) of our `msg_type` (D, G or F)
        whose ClOrdID was `ref_id`. No ExecutionReport will come for it, so the
        order's state moves here: a new order is rejected (its slot freed for the
        next reconcile), a replace or cancel is refused (the order rests as before)."""
        o = self.orders.get(ref_id)
        if o is None:
            return []
        if msg_type in ("G", "F") and o.pending_id == ref_id:
            return self._change_rejected(o, now_ns, reason)
        if msg_type == "D" and o.client_id == ref_id and o.state is _PENDING_NEW:
            self._step(o, OrderEvent.REJECTED)
            self._close(o)
            return [self._update(o, now_ns, "rejected", reason)]
        return []

    def on_disconnect(self) -> list[ManagedOrder]:
        """The session dropped: every order is gone (cancel-on-disconnect). Returns them."""
        gone = self.live_orders()
        for o in gone:
            o.state = OrderState.CANCELLED
        self.orders.clear()
        self.slots.clear()
        self.throttle.reset()
        self._gone.clear()
        return gone
