"""The mass-quote manager: desired ladders -> one MassQuote per symbol, tracked from 35=b / 35=8.

Venue profile `mass_quote` (derivatives style). The venue's contract (see
`quoter.venue.gateway`): a MassQuote (35=i) replaces our whole quote on each
symbol it names, the k-th entry of a symbol being quote level k (bid 132/134,
offer 133/135; a missing side, or a level beyond the entries, is withdrawn; an
entry that keeps its price and does not grow keeps its queue priority). The
answer is a MassQuoteAcknowledgement (35=b, 297=0, or 5 when every entry
failed) echoing each entry with 368 on a rejected one. QuoteCancel (35=Z) pulls
a symbol's quote (298=1) or all quotes (298=4), acknowledged by 35=b 297=1 / 4.
Quote fills and unsolicited cancels (market-maker protection, cancel on
disconnect) arrive as ExecutionReports whose ClOrdID (11) is the QuoteEntryID;
withdrawals and replacements by a later MassQuote or a QuoteCancel are silent.

Rules here:

- `reconcile(symbol, ladder)` sends ONE MassQuote carrying every level of the
  symbol when some level should change (the same tests as `quoter.orders`:
  the requote policy's tolerance and age, a different open size, a level that
  would cross the other side's target, a best level resting wider than its
  target); levels that need no change are re-sent at their resting price and
  open size so the venue keeps their priority;
- at most one MassQuote or QuoteCancel in flight per symbol: while one is, the
  newest ladder is kept and sent when the acknowledgement arrives (latest
  target wins);
- every new or changed level goes through `RiskEngine.check` (an `OrderIntent`
  or a `ReplaceIntent` of the level's previous terms; a withdrawal is a
  `CancelIntent`, counted, never denied); a denied level is left out (or kept
  at its resting terms when it rests and does not cross) and the denial is
  returned (the risk engine records the event). The risk engine counts each
  checked level as a message, so its rate limit binds per level, more tightly
  than the venue's per-message limit;
- a sliding one-second throttle (`max_msgs_per_s`, in venue time) shared by
  MassQuotes and hedge orders defers a MassQuote that does not fit to the next
  reconcile; QuoteCancels (`cancel_all`) are never deferred;
- the resting quote (`resting`) changes only on the venue's word: an accepted
  entry on its 35=b, a fill or unsolicited cancel on its 35=8, a QuoteCancel on
  its 35=b. A level whose entry was rejected is *not* counted as resting any
  more (the venue's 368 is per entry, not per side, so the other side of that
  entry may or may not rest): it stays open for risk, its fills are still
  booked, and the next MassQuote re-sends it, which settles it;
- hedges (IOC NewOrderSingle) go through an inner `OrderManager`, whose
  ExecutionReports and OrderCancelRejects are routed back to it;
- `on_disconnect`: every quote is assumed gone (the venue cancels on disconnect);
- `own_lots`: what of the venue's book may be ours, for fair value without it:
  resting, in flight, and what the venue confirmed leaving until the symbol's
  next book update (`book_updated`), as `quoter.orders` keeps it.

Known limit: a level re-sent unchanged ("keep") while a fill of it is on the
wire is re-entered by the venue at the re-sent size; that size is taken as the
venue's truth when the 35=b arrives, but the risk engine keeps the smaller
open size it was told about (none when the fill completed the level) until the
level next changes.

A MassQuote or QuoteCancel refused before the venue acted on it (a session
Reject 35=3 or a BusinessMessageReject 35=j: no 35=b ever comes) is settled by
`on_send_rejected`, which the engine calls with the refused message's QuoteID.

The manager sends through a callable (the FIX session's `send`) and never reads
a socket. Not here: pricing, the agreement clamp, inventory, hedging decisions.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from mmsla.domain import Level, Side
from quoter.exec_report import report_fill
from quoter.fix.codec.framing import RawMessage
from quoter.fix.codec.messages import QuoteCancel, QuoteCancelEntry
from quoter.fix.codec.tags import (
    BID_PX,
    BID_SIZE,
    CL_ORD_ID,
    EXEC_TYPE,
    LAST_PX,
    LAST_QTY,
    LEAVES_QTY,
    NO_QUOTE_ENTRIES,
    NO_QUOTE_SETS,
    OFFER_PX,
    OFFER_SIZE,
    ORD_STATUS,
    ORDER_ID,
    ORDER_QTY,
    ORIG_CL_ORD_ID,
    PRICE,
    QUOTE_ENTRY_ID,
    QUOTE_ENTRY_REJECT_REASON,
    QUOTE_ID,
    QUOTE_SET_ID,
    QUOTE_STATUS,
    SIDE,
    SYMBOL,
    TEXT,
    TOT_NO_QUOTE_ENTRIES,
    TRANSACT_TIME,
)
from quoter.fix.codec.times import parse_utc
from quoter.intents import (
    CancelIntent,
    Instrument,
    OrderIntent,
    OrderState,
    Purpose,
    ReplaceIntent,
    TimeInForce,
)
from quoter.orders import ManagedOrder, OrderManager, OrderUpdate, SendFn
from quoter.pricing.ladder import Ladder
from quoter.pricing.requote import RequotePolicy
from quoter.risk import Denied, RiskEngine
from quoter.throttle import MessageThrottle

__all__ = ["MassQuoteManager", "QuoteLevel", "VenueManager"]


class VenueManager(Protocol):
    """What the quoting engine needs from a venue profile's manager (`orders` or `mass_quote`)."""

    @property
    def orders(self) -> Mapping[str, object]: ...

    def live_orders(self, symbol: str | None = None) -> Sequence[object]: ...

    def resting(self, symbol: str) -> tuple[tuple[Level, ...], tuple[Level, ...]]: ...

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
    ) -> ManagedOrder | Denied: ...

    def cancel_all(self, now_ns: int, symbol: str | None = None) -> int: ...

    def reconcile(self, symbol: str, ladder: Ladder | None, now_ns: int) -> list[Denied]: ...

    def on_execution_report(self, msg: RawMessage, now_ns: int) -> list[OrderUpdate]: ...

    def on_cancel_reject(self, msg: RawMessage, now_ns: int) -> list[OrderUpdate]: ...

    def on_send_rejected(
        self, msg_type: str, ref_id: str, reason: str, now_ns: int
    ) -> list[OrderUpdate]: ...

    def on_disconnect(self) -> Sequence[object]: ...


_SIDES = (Side.BUY, Side.SELL)
_FIX_SIDE_IN = {"1": Side.BUY, "2": Side.SELL}
_RESTING = frozenset({OrderState.LIVE, OrderState.PARTIALLY_FILLED})
Slot = tuple[Side, int]  # (side, level)


class QuoteLevel:
    """One side of one quote level as we know it (mutable; the manager owns it).

    `state`: PENDING_NEW (sent, or its entry was rejected: not known to rest),
    LIVE / PARTIALLY_FILLED (the venue accepted it), FILLED / CANCELLED (gone).
    `client_id` is the QuoteEntryID the venue reports it under; `risk_id` the id
    the risk engine tracks it under.
    """

    __slots__ = (
        "client_id",
        "filled_lots",
        "instrument",
        "level",
        "placed_ns",
        "px_ticks",
        "qty_lots",
        "risk_id",
        "side",
        "state",
        "tracked",
        "venue_id",
    )

    purpose = Purpose.QUOTE

    def __init__(
        self,
        client_id: str,
        instrument: Instrument,
        side: Side,
        level: int,
        px_ticks: int,
        qty_lots: int,
        now_ns: int,
        risk_id: str,
    ) -> None:
        self.client_id = client_id
        self.instrument = instrument
        self.side = side
        self.level = level
        self.px_ticks = px_ticks
        self.qty_lots = qty_lots  # size of this version (leaves + filled since)
        self.filled_lots = 0
        self.state = OrderState.PENDING_NEW
        self.venue_id: str | None = None
        self.placed_ns = now_ns
        self.risk_id = risk_id
        self.tracked = True  # the risk engine holds it under `risk_id`

    @property
    def symbol(self) -> str:
        return self.instrument.symbol

    @property
    def leaves_lots(self) -> int:
        return max(self.qty_lots - self.filled_lots, 0)

    @property
    def confirmed(self) -> bool:
        return self.state in _RESTING


@dataclass(slots=True)
class _Sent:
    """What one side of one entry of a MassQuote asks for (qty 0 = withdraw)."""

    px_ticks: int
    qty_lots: int
    risk_id: str | None  # None: withdrawn
    kind: str  # new | replace | keep | withdraw
    filled_lots: int = 0  # fills of this version reported before the 35=b
    cancelled: str | None = None  # an unsolicited cancel of this version before the 35=b


@dataclass(slots=True)
class _InFlight:
    quote_id: str
    entry_ids: list[str]
    sent: dict[Slot, _Sent]
    new_levels: dict[Slot, QuoteLevel]  # levels this MassQuote adds, not resting until its ack


@dataclass(slots=True)
class _SymQuotes:
    instrument: Instrument
    levels: dict[Slot, QuoteLevel] = field(default_factory=dict)
    inflight: _InFlight | None = None
    cancel_id: str | None = None  # a QuoteCancel in flight
    pending: Ladder | None = None
    has_pending: bool = False
    entry_ids: set[str] = field(default_factory=set)  # ids the venue may still report


class MassQuoteManager:
    """Keeps the venue's quotes in line with the desired ladders (see the module docstring)."""

    def __init__(
        self,
        instruments: Iterable[Instrument],
        send: SendFn,
        risk: RiskEngine,
        *,
        requote: RequotePolicy | None = None,
        max_msgs_per_s: int | None = None,
        id_prefix: str = "Q",
    ) -> None:
        insts = list(instruments)
        self.instruments = {i.symbol: i for i in insts}
        self._send = send
        self.risk = risk
        self.requote = requote or RequotePolicy()
        self.throttle = MessageThrottle(max_msgs_per_s)
        self._ids = itertools.count(1)
        self._prefix = id_prefix
        # hedges (and any non-quote order): NewOrderSingle through the orders profile
        self.hedges = OrderManager(insts, send, risk, id_prefix=f"{id_prefix}O", post_only=False)
        self._syms = {i.symbol: _SymQuotes(i) for i in insts}
        self._by_quote_id: dict[str, str] = {}  # MassQuote id -> symbol
        self._cancels: dict[str, list[str]] = {}  # QuoteCancel id -> symbols
        self._entry_symbol: dict[str, tuple[str, int]] = {}  # entry id -> (symbol, level)
        # per symbol, what was ours since its last book update (`own_lots`)
        self._recent: dict[str, tuple[dict[int, int], dict[int, int]]] = {}
        self.deferred = 0
        self.unexpected_reports = 0

    @property
    def messages_sent(self) -> int:
        """Messages sent so far (every kind, throttled or not)."""
        return self.throttle.sent

    # ---- queries -------------------------------------------------------------------

    @property
    def orders(self) -> dict[str, object]:
        """Every open order or quote level by the id the venue knows it under."""
        out: dict[str, object] = dict(self.hedges.orders)
        for sq in self._syms.values():
            for lv in sq.levels.values():
                out[lv.client_id] = lv
            if sq.inflight is not None:
                for lv in sq.inflight.new_levels.values():
                    out[lv.client_id] = lv
        return out

    def live_orders(self, symbol: str | None = None) -> list[object]:
        """Quote levels that rest or may rest (sent, not yet acknowledged) and open hedges."""
        out: list[object] = list(self.hedges.live_orders(symbol))
        for sym, sq in self._syms.items():
            if symbol is not None and sym != symbol:
                continue
            out.extend(sq.levels.values())
            if sq.inflight is not None:
                out.extend(sq.inflight.new_levels.values())
        return out

    def resting(self, symbol: str) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
        """Our confirmed resting quote on `symbol`: levels (price, total leaves), best first."""
        sq = self._syms[symbol]
        bids: dict[int, int] = {}
        asks: dict[int, int] = {}
        for (side, _), lv in sq.levels.items():
            if lv.confirmed and lv.leaves_lots > 0:
                agg = bids if side is Side.BUY else asks
                agg[lv.px_ticks] = agg.get(lv.px_ticks, 0) + lv.leaves_lots
        tick, lot = sq.instrument.tick, sq.instrument.lot
        return (
            tuple(Level(p * tick, bids[p] * lot) for p in sorted(bids, reverse=True)),
            tuple(Level(p * tick, asks[p] * lot) for p in sorted(asks)),
        )

    def own_lots(self, symbol: str) -> tuple[dict[int, int], dict[int, int]]:
        """What of the venue's book on `symbol` may be ours: lots per price, (bids, asks).

        For fair value without our own quotes (as `OrderManager.own_lots`): every
        level not known to be gone (resting, rejected-entry levels of unknown
        state, levels under a QuoteCancel not yet acknowledged) at its current
        terms, every level of a MassQuote in flight at its new terms too, and
        what was ours since the symbol's last book update (the venue's book may
        still show a level its 35=b or 35=8 says left): at one price the largest
        of these. Over-counting hides liquidity for a moment; under-counting
        would make us chase our own quote.
        """
        bids, asks = self._own_now(symbol)
        recent = self._recent.get(symbol)
        if recent is not None:
            _merge_max(bids, recent[0])
            _merge_max(asks, recent[1])
        return bids, asks

    def book_updated(self, symbol: str) -> None:
        """A market-data update of `symbol` arrived: its book now shows what left it."""
        if self._recent:
            self._recent.pop(symbol, None)

    def _remember(self, symbol: str) -> None:
        """Before `symbol`'s levels change on the venue's word: keep what is ours
        now until the next book update (see `own_lots`)."""
        bids, asks = self._own_now(symbol)
        recent = self._recent.get(symbol)
        if recent is None:
            self._recent[symbol] = (bids, asks)
        else:
            _merge_max(recent[0], bids)
            _merge_max(recent[1], asks)

    def _own_now(self, symbol: str) -> tuple[dict[int, int], dict[int, int]]:
        """`own_lots` without what left since the last book update."""
        sq = self._syms[symbol]
        own: dict[Slot, dict[int, int]] = {}
        for slot, lv in sq.levels.items():
            if lv.leaves_lots > 0:
                own.setdefault(slot, {})[lv.px_ticks] = lv.leaves_lots
        if sq.inflight is not None:
            for slot, s in sq.inflight.sent.items():
                lots = s.qty_lots - s.filled_lots
                if lots > 0:
                    at = own.setdefault(slot, {})
                    at[s.px_ticks] = max(at.get(s.px_ticks, 0), lots)
        bids: dict[int, int] = {}
        asks: dict[int, int] = {}
        for (side, _), prices in own.items():
            agg = bids if side is Side.BUY else asks
            for px, lots in prices.items():
                agg[px] = agg.get(px, 0) + lots
        return bids, asks

    def in_flight(self, symbol: str) -> bool:
        """A MassQuote or QuoteCancel for `symbol` awaits its acknowledgement."""
        sq = self._syms[symbol]
        return sq.inflight is not None or sq.cancel_id is not None

    # ---- sending -------------------------------------------------------------------

    def _next_id(self) -> str:
        return f"{self._prefix}{next(self._ids)}"

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
        """One NewOrderSingle outside the quote (a hedge): risk-checked, counted, sent."""
        r = self.hedges.place(
            instrument,
            side,
            px_ticks,
            qty_lots,
            now_ns,
            level=level,
            tif=tif,
            purpose=purpose,
            client_id=client_id,
        )
        if not isinstance(r, Denied):
            self.throttle.count(now_ns)
        return r

    def cancel_all(self, now_ns: int, symbol: str | None = None) -> int:
        """Pull every quote (of `symbol`, or all: QuoteCancel 298=4) and cancel open hedges.

        Never deferred. Returns how many quote levels and hedge orders it covers; a
        symbol whose QuoteCancel is already in flight is not asked again.
        """
        n = self.hedges.cancel_all(now_ns, symbol)
        syms = list(self._syms) if symbol is None else [symbol]
        todo = [
            s
            for s in syms
            if self._syms[s].cancel_id is None
            and (self._syms[s].levels or self._syms[s].inflight is not None)
        ]
        if not todo:
            return n
        qid = self._next_id()
        if symbol is None:
            msg = QuoteCancel(qid, 4)
            covered = [s for s in syms if self._syms[s].cancel_id is None]
        else:
            msg = QuoteCancel(qid, 1, entries=(QuoteCancelEntry(symbol),))
            covered = [symbol]
        for s in covered:
            sq = self._syms[s]
            sq.cancel_id = qid
            sq.pending, sq.has_pending = None, False
            for lv in [*sq.levels.values(), *self._new_levels(sq)]:
                self.risk.check(
                    CancelIntent(f"{qid}.{lv.client_id}", lv.risk_id, lv.instrument, lv.side),
                    now_ns,
                )
                n += 1
        self._cancels[qid] = covered
        self._send(msg.msg_type, msg.body())
        self.throttle.count(now_ns)
        return n

    @staticmethod
    def _new_levels(sq: _SymQuotes) -> list[QuoteLevel]:
        return list(sq.inflight.new_levels.values()) if sq.inflight is not None else []

    # ---- reconcile -----------------------------------------------------------------

    def reconcile(self, symbol: str, ladder: Ladder | None, now_ns: int) -> list[Denied]:
        """Send the MassQuote that moves our quote on `symbol` to `ladder` (None = none).

        Returns the risk denials met (already recorded as risk events).
        """
        sq = self._syms[symbol]
        if sq.inflight is not None or sq.cancel_id is not None:
            sq.pending, sq.has_pending = ladder, True  # latest target wins
            return []
        sq.pending, sq.has_pending = None, False
        bids = ladder.bids if ladder is not None else ()
        asks = ladder.asks if ladder is not None else ()
        if not bids and not asks:
            if sq.levels:
                self.cancel_all(now_ns, symbol)
            return []
        targets: dict[Slot, tuple[int, int]] = {(Side.BUY, i): t for i, t in enumerate(bids)}
        targets.update({(Side.SELL, i): t for i, t in enumerate(asks)})
        best = {Side.BUY: bids[0][0] if bids else None, Side.SELL: asks[0][0] if asks else None}
        stale = {
            slot
            for slot in targets.keys() | sq.levels.keys()
            if self._must_change(sq.levels.get(slot), targets.get(slot), slot, best, now_ns)
        }
        if not stale:
            return []
        if not self.throttle.allows(now_ns):
            self.deferred += 1
            return []
        return self._send_quote(sq, targets, stale, best, now_ns)

    def _must_change(
        self,
        lv: QuoteLevel | None,
        target: tuple[int, int] | None,
        slot: Slot,
        best: dict[Side, int | None],
        now_ns: int,
    ) -> bool:
        if lv is None or target is None:
            return lv is not None or target is not None
        if not lv.confirmed:
            return True  # its entry was rejected: re-send to know where it stands
        side, level = slot
        px, qty = target
        crossing = _crosses(side, lv.px_ticks, best[side.opposite])
        # the best level never rests wider than its target, whatever the tolerance:
        # the target is what the obligation clamp made valid
        wider = level == 0 and (
            (side is Side.BUY and lv.px_ticks < px) or (side is Side.SELL and lv.px_ticks > px)
        )
        if crossing or wider or lv.leaves_lots != qty:
            return True
        return self.requote.decide(lv.px_ticks, px, lv.placed_ns, now_ns) is not None

    def _send_quote(
        self,
        sq: _SymQuotes,
        targets: dict[Slot, tuple[int, int]],
        stale: set[Slot],
        best: dict[Side, int | None],
        now_ns: int,
    ) -> list[Denied]:
        inst = sq.instrument
        qid = self._next_id()
        depth = max((lvl + 1 for _, lvl in (*targets, *sq.levels)), default=0)
        entry_ids = [f"{qid}.{k}" for k in range(depth)]
        denials: list[Denied] = []
        sent: dict[Slot, _Sent] = {}
        for k in range(depth):
            for side in _SIDES:
                slot = (side, k)
                lv = sq.levels.get(slot)
                target = targets.get(slot)
                rid = f"{entry_ids[k]}{'B' if side is Side.BUY else 'S'}"
                if lv is not None and slot not in stale:
                    sent[slot] = _Sent(lv.px_ticks, lv.leaves_lots, lv.risk_id, "keep")
                    continue
                if target is not None:
                    px, qty = target
                    verdict = self.risk.check(
                        OrderIntent(rid, inst, side, px, qty, post_only=False)
                        if lv is None or not lv.tracked
                        else ReplaceIntent(
                            rid, lv.risk_id, inst, side, px, lv.filled_lots + qty, False
                        ),
                        now_ns,
                    )
                    if not isinstance(verdict, Denied):
                        sent[slot] = _Sent(px, qty, rid, "new" if lv is None else "replace")
                        continue
                    denials.append(verdict)
                    # denied: a resting level stays as it is, unless it would cross
                    if (
                        lv is not None
                        and lv.confirmed
                        and not _crosses(side, lv.px_ticks, best[side.opposite])
                    ):
                        sent[slot] = _Sent(lv.px_ticks, lv.leaves_lots, lv.risk_id, "keep")
                        continue
                if lv is not None:
                    self.risk.check(CancelIntent(rid, lv.risk_id, inst, side), now_ns)
                    sent[slot] = _Sent(lv.px_ticks, 0, None, "withdraw")
        if all(s.kind == "keep" for s in sent.values()) and len(sent) == len(sq.levels):
            return denials  # every change was denied: nothing worth a message
        # trailing entries with nothing on either side are withdrawn by omission
        while depth and all(
            (s := sent.get((side, depth - 1))) is None or s.qty_lots == 0 for side in _SIDES
        ):
            depth -= 1
        # the MassQuote body, written directly (the typed `MassQuote` would build one
        # dataclass per entry on the hot path): one quote set, entry k = level k
        body: list[tuple[int, str]] = []
        tick, lot = inst.tick, inst.lot
        for k in range(depth):
            body += ((QUOTE_ENTRY_ID, entry_ids[k]), (SYMBOL, inst.symbol))
            b = sent.get((Side.BUY, k))
            a = sent.get((Side.SELL, k))
            b_on = b is not None and b.qty_lots > 0
            a_on = a is not None and a.qty_lots > 0
            if b is not None and b_on:
                body.append((BID_PX, format(b.px_ticks * tick, "f")))
            if a is not None and a_on:
                body.append((OFFER_PX, format(a.px_ticks * tick, "f")))
            if b is not None and b_on:
                body.append((BID_SIZE, format(b.qty_lots * lot, "f")))
            if a is not None and a_on:
                body.append((OFFER_SIZE, format(a.qty_lots * lot, "f")))
        if not depth:
            # everything withdrawn: a MassQuote needs an entry, a QuoteCancel says it
            self.cancel_all(now_ns, inst.symbol)
            return denials
        new_levels: dict[Slot, QuoteLevel] = {}
        for slot, s in sent.items():
            if s.kind == "new" and s.risk_id is not None:
                side, k = slot
                new_levels[slot] = QuoteLevel(
                    entry_ids[k], inst, side, k, s.px_ticks, s.qty_lots, now_ns, s.risk_id
                )
        sq.inflight = _InFlight(qid, entry_ids[:depth], sent, new_levels)
        self._by_quote_id[qid] = inst.symbol
        for k, eid in enumerate(entry_ids[:depth]):
            self._entry_symbol[eid] = (inst.symbol, k)
            sq.entry_ids.add(eid)
        n = str(depth)
        head = [(QUOTE_ID, qid), (NO_QUOTE_SETS, "1"), (QUOTE_SET_ID, "1")]
        head += [(TOT_NO_QUOTE_ENTRIES, n), (NO_QUOTE_ENTRIES, n)]
        self._send("i", head + body)
        self.throttle.count(now_ns)
        return denials

    # ---- venue reports -------------------------------------------------------------

    def on_execution_report(self, msg: RawMessage, now_ns: int) -> list[OrderUpdate]:
        """Apply one 35=8 (fill or unsolicited cancel of a quote level, or a hedge's
        report) or one 35=b (MassQuote / QuoteCancel acknowledgement)."""
        if msg.msg_type == "b":
            return self.on_quote_ack(msg, now_ns)
        v = msg.values
        cid = v.get(CL_ORD_ID)
        orig = v.get(ORIG_CL_ORD_ID)
        if (cid and cid in self.hedges.orders) or (orig and orig in self.hedges.orders):
            return self.hedges.on_execution_report(msg, now_ns)
        where = self._entry_symbol.get(cid) if cid else None
        side = _FIX_SIDE_IN.get(v.get(SIDE, ""))
        if where is None or side is None or cid is None:
            self.unexpected_reports += 1
            return []
        ts_text = v.get(TRANSACT_TIME)
        ts = parse_utc(ts_text) if ts_text else now_ns
        et = v.get(EXEC_TYPE)
        if et in ("F", "1", "2"):
            self._remember(where[0])
            return self._fill(where[0], side, where[1], cid, v, ts)
        if et in ("4", "C"):
            self._remember(where[0])
            return self._unsolicited_cancel(where[0], side, where[1], cid, v, ts)
        return []  # 150=5 for a level shrunk in place: its 35=b says the same

    def _version(
        self, sq: _SymQuotes, slot: Slot, cid: str
    ) -> tuple[QuoteLevel | None, _Sent | None]:
        """The level a report is about, and whether it is the version still in flight."""
        inf = sq.inflight
        if inf is not None and slot[1] < len(inf.entry_ids) and inf.entry_ids[slot[1]] == cid:
            return sq.levels.get(slot) or inf.new_levels.get(slot), inf.sent.get(slot)
        return sq.levels.get(slot), None

    def _fill(
        self, symbol: str, side: Side, level: int, cid: str, v: dict[int, str], ts: int
    ) -> list[OrderUpdate]:
        sq = self._syms[symbol]
        inst = sq.instrument
        last_qty = Decimal(v.get(LAST_QTY) or "0")
        last_px = Decimal(v.get(LAST_PX) or "0")
        if last_qty <= 0:
            return []
        lots = int(last_qty // inst.lot)
        px_ticks = int(last_px // inst.tick)
        slot = (side, level)
        lv, sent = self._version(sq, slot, cid)
        done = v.get(ORD_STATUS) == "2" or Decimal(v.get(LEAVES_QTY) or "1") == 0
        if sent is not None:
            sent.filled_lots += lots  # the version in flight: its 35=b settles the level
            risk_id = sent.risk_id
        else:
            risk_id = lv.risk_id if lv is not None else None
        self.risk.on_fill(risk_id, symbol, side, lots, px_ticks)
        status = "filled" if done else "partially_filled"
        if lv is not None:
            if v.get(ORDER_ID):
                lv.venue_id = v[ORDER_ID]
            lv.filled_lots = min(lv.filled_lots + lots, lv.qty_lots)
            if lv.leaves_lots == 0:
                done, status = True, "filled"
            if done and sq.levels.get(slot) is lv:
                lv.state = OrderState.FILLED
                del sq.levels[slot]
                if sent is None:
                    self.risk.on_order_closed(lv.risk_id)
            elif lv.confirmed:
                lv.state = OrderState.PARTIALLY_FILLED
        fill = report_fill(v, ts, symbol, side, last_px, last_qty, cid)
        if lv is not None:
            px, qty, leaves = lv.px_ticks * inst.tick, lv.qty_lots * inst.lot, lv.leaves_lots
        else:
            px = Decimal(v.get(PRICE) or last_px)
            qty = Decimal(v.get(ORDER_QTY) or last_qty)
            leaves = int(Decimal(v.get(LEAVES_QTY) or "0") // inst.lot)
        return [
            OrderUpdate(
                ts,
                symbol,
                side,
                cid,
                v.get(ORDER_ID),
                status,
                px,
                qty,
                leaves * inst.lot,
                "",
                Purpose.QUOTE,
                fill,
            )
        ]

    def _unsolicited_cancel(
        self, symbol: str, side: Side, level: int, cid: str, v: dict[int, str], ts: int
    ) -> list[OrderUpdate]:
        sq = self._syms[symbol]
        slot = (side, level)
        lv, sent = self._version(sq, slot, cid)
        reason = v.get(TEXT, "")
        if sent is not None:
            sent.cancelled = reason or "cancelled"
        if lv is None or sq.levels.get(slot) is not lv:
            return []
        lv.state = OrderState.CANCELLED
        del sq.levels[slot]
        if sent is None:
            self.risk.on_order_closed(lv.risk_id)
        return [self._update(lv, ts, "cancelled", reason)]

    def _update(self, lv: QuoteLevel, ts: int, status: str, reason: str = "") -> OrderUpdate:
        inst = lv.instrument
        return OrderUpdate(
            ts,
            lv.symbol,
            lv.side,
            lv.client_id,
            lv.venue_id,
            status,
            lv.px_ticks * inst.tick,
            lv.qty_lots * inst.lot,
            lv.leaves_lots * inst.lot,
            reason,
            Purpose.QUOTE,
        )

    def on_quote_ack(self, msg: RawMessage, now_ns: int) -> list[OrderUpdate]:
        """Apply one MassQuoteAcknowledgement (to a MassQuote or a QuoteCancel)."""
        qid = msg.values.get(QUOTE_ID, "")
        if qid in self._cancels:
            for sym in self._cancels[qid]:
                self._remember(sym)
            return self._cancel_ack(qid, msg, now_ns)
        answered = self._answered(qid)
        if answered is None:
            self.unexpected_reports += 1
            return []
        symbol, sq, inf = answered
        v = msg.values
        text = v.get(TEXT, "")
        rejected: dict[str, str] = {}  # entry id -> reason
        entry = ""
        for tag, val in msg.fields:  # entries in order: 299 opens one, 368 rejects it
            if tag == QUOTE_ENTRY_ID:
                entry = val
            elif tag == QUOTE_ENTRY_REJECT_REASON:
                rejected[entry] = _entry_text(text, entry)
        if v.get(QUOTE_STATUS) == "5":
            # rejected as a whole: whether the venue still withdrew what the message
            # left out depends on why (failed entries, or the symbol refused outright),
            # so nothing is known to have changed until the next MassQuote settles it
            return self._settle(symbol, sq, inf, rejected, now_ns, text or "mass quote rejected")
        return self._settle(symbol, sq, inf, rejected, now_ns)

    def _answered(self, qid: str) -> tuple[str, _SymQuotes, _InFlight] | None:
        """MassQuote `qid` is answered (acknowledged or refused): no longer in flight.

        Returns its symbol, quotes and in-flight record (None when it is not the
        one in flight), having kept what was ours until the next book update."""
        symbol = self._by_quote_id.pop(qid, None)
        if symbol is None:
            return None
        sq = self._syms[symbol]
        inf = sq.inflight
        if inf is None or inf.quote_id != qid:
            return None
        self._remember(symbol)
        sq.inflight = None
        return symbol, sq, inf

    def _settle(
        self,
        symbol: str,
        sq: _SymQuotes,
        inf: _InFlight,
        rejected: Mapping[str, str],
        now_ns: int,
        refused: str | None = None,
    ) -> list[OrderUpdate]:
        """The venue's answer to MassQuote `inf` (no longer in flight): entries in
        `rejected` (entry id -> reason) failed, every other one stands. `refused`
        (a reason): rejected as a whole, or never acted on, so no level is known
        to have changed, withdrawals included: every level is uncertain (not
        counted as resting, open for risk, under the id the venue knows) until
        re-sent; an entry's own reason, when echoed, is kept."""
        out: list[OrderUpdate] = []
        settled = True
        for slot in sorted(
            inf.sent.keys() | sq.levels.keys(), key=lambda s: (s[1], s[0] is Side.SELL)
        ):
            side, k = slot
            s = inf.sent.get(slot)
            lv = sq.levels.get(slot)
            eid = inf.entry_ids[k] if k < len(inf.entry_ids) else None
            if refused is not None:
                settled = False
                known = lv.client_id if lv is not None else eid
                if known is not None:
                    why = rejected.get(eid, refused) if eid is not None else refused
                    out += self._uncertain(sq, slot, lv, s, inf, known, why, now_ns)
                continue
            if eid is not None and eid in rejected:
                settled = False
                out += self._uncertain(sq, slot, lv, s, inf, eid, rejected[eid], now_ns)
                continue
            if s is None or s.qty_lots == 0:
                # withdrawn (explicitly or by omission)
                if lv is not None:
                    del sq.levels[slot]
                    lv.state = OrderState.CANCELLED
                    self.risk.on_order_closed(lv.risk_id)
                    out.append(self._update(lv, now_ns, "cancelled", "withdrawn"))
                continue
            assert eid is not None and s.risk_id is not None
            if s.kind == "new":
                nl = inf.new_levels[slot]
            elif lv is not None:
                nl = lv
                if s.kind == "replace":
                    nl.risk_id = s.risk_id
                    nl.tracked = True
            else:  # a fill on the wire closed the level: the venue entered this one afresh
                nl = QuoteLevel(
                    eid, sq.instrument, side, k, s.px_ticks, s.qty_lots, now_ns, s.risk_id
                )
                # re-sent unchanged, so never risk-checked: the risk engine has closed it
                nl.tracked = s.kind != "keep"
            changed = s.kind != "keep" or nl.leaves_lots != s.qty_lots or lv is None
            nl.client_id = eid
            nl.px_ticks, nl.qty_lots, nl.filled_lots = s.px_ticks, s.qty_lots, s.filled_lots
            if s.kind != "keep":
                nl.placed_ns = now_ns
            if s.cancelled is not None or nl.leaves_lots == 0:
                if sq.levels.get(slot) is nl:
                    del sq.levels[slot]
                nl.state = OrderState.CANCELLED if s.cancelled is not None else OrderState.FILLED
                self.risk.on_order_closed(s.risk_id)
                if lv is not None:
                    out.append(self._update(nl, now_ns, "cancelled", s.cancelled or "filled"))
                continue
            was = nl.state
            nl.state = OrderState.PARTIALLY_FILLED if nl.filled_lots else OrderState.LIVE
            sq.levels[slot] = nl
            if was is OrderState.PENDING_NEW and s.kind == "new":
                out.append(self._update(nl, now_ns, "accepted"))
            elif changed or was is OrderState.PENDING_NEW:
                out.append(self._update(nl, now_ns, "replaced"))
        # ids of older versions are no longer reported once the venue has relabelled
        # every level (unless a rejected entry leaves a level under its old id)
        if settled:
            keep = set(inf.entry_ids)
            for eid in sq.entry_ids - keep:
                self._entry_symbol.pop(eid, None)
            sq.entry_ids = keep
        if sq.has_pending and sq.cancel_id is None:
            pending = sq.pending
            sq.pending, sq.has_pending = None, False
            self.reconcile(symbol, pending, now_ns)
        return out

    def _uncertain(
        self,
        sq: _SymQuotes,
        slot: Slot,
        lv: QuoteLevel | None,
        s: _Sent | None,
        inf: _InFlight,
        eid: str,
        reason: str,
        now_ns: int,
    ) -> list[OrderUpdate]:
        """A side of a rejected entry: not counted as resting; open for risk until settled."""
        out: list[OrderUpdate] = []
        nl = inf.new_levels.get(slot) if s is not None and s.kind == "new" else None
        if nl is not None:
            out.append(self._update(nl, now_ns, "rejected", reason))
        if lv is not None and lv.confirmed:
            lv.state = OrderState.PENDING_NEW
            out.append(self._update(lv, now_ns, "cancelled", f"state unknown: {reason}"))
        target = lv or nl
        if target is None:
            return out
        if s is not None and s.risk_id is not None and s.kind != "keep":
            target.risk_id = s.risk_id
            target.tracked = True
        if s is not None and s.qty_lots > 0:
            target.px_ticks, target.qty_lots, target.filled_lots = s.px_ticks, s.qty_lots, 0
        target.state = OrderState.PENDING_NEW
        target.client_id = eid
        sq.levels[slot] = target
        return out

    def _cancel_ack(self, qid: str, msg: RawMessage, now_ns: int) -> list[OrderUpdate]:
        symbols = self._cancels.pop(qid)
        status = msg.values.get(297)
        out: list[OrderUpdate] = []
        for sym in symbols:
            sq = self._syms[sym]
            if sq.cancel_id == qid:
                sq.cancel_id = None
            if status not in ("1", "4"):
                self.unexpected_reports += 1
                continue
            for lv in sq.levels.values():
                lv.state = OrderState.CANCELLED
                self.risk.on_order_closed(lv.risk_id)
                out.append(self._update(lv, now_ns, "cancelled", "quote cancelled"))
            sq.levels.clear()
            if sq.inflight is not None:
                # the venue answers in order: a mass quote sent before this cancel and
                # still unanswered never reached it (refused by the session layer)
                for sent in sq.inflight.sent.values():
                    if sent.risk_id is not None:
                        self.risk.on_order_closed(sent.risk_id)
                self._by_quote_id.pop(sq.inflight.quote_id, None)
                sq.inflight = None
            for eid in sq.entry_ids:
                self._entry_symbol.pop(eid, None)
            sq.entry_ids = set()
        return out

    def on_send_rejected(
        self, msg_type: str, ref_id: str, reason: str, now_ns: int
    ) -> list[OrderUpdate]:
        """A message of ours the venue refused before acting on it (35=3 or 35=j):
        `ref_id` is the QuoteID of a MassQuote (i) or QuoteCancel (Z), or the
        ClOrdID of a hedge order (D, G, F). No 35=b will come for it: after a
        refused MassQuote no level is counted as resting (what it would have
        changed, withdrawals included, did not happen; the next MassQuote re-sends
        the target, which settles them), a refused QuoteCancel leaves the quotes
        where they were (whoever pulled asks again)."""
        if msg_type == "i":
            answered = self._answered(ref_id)
            if answered is None:
                return []
            symbol, sq, inf = answered
            return self._settle(symbol, sq, inf, {}, now_ns, reason or "mass quote refused")
        if msg_type == "Z":
            for sym in self._cancels.pop(ref_id, ()):
                sq = self._syms[sym]
                if sq.cancel_id == ref_id:
                    sq.cancel_id = None
            return []
        return self.hedges.on_send_rejected(msg_type, ref_id, reason, now_ns)

    def on_cancel_reject(self, msg: RawMessage, now_ns: int) -> list[OrderUpdate]:
        """Apply one 35=9 (only hedge orders are cancelled one by one)."""
        return self.hedges.on_cancel_reject(msg, now_ns)

    def on_disconnect(self) -> list[object]:
        """The session dropped: every quote is gone (cancel-on-disconnect). Returns them."""
        gone: list[object] = list(self.hedges.on_disconnect())
        for sq in self._syms.values():
            for lv in [*sq.levels.values(), *self._new_levels(sq)]:
                lv.state = OrderState.CANCELLED
                gone.append(lv)
            sq.levels.clear()
            sq.inflight = None
            sq.cancel_id = None
            sq.pending, sq.has_pending = None, False
            sq.entry_ids = set()
        self._by_quote_id.clear()
        self._cancels.clear()
        self._entry_symbol.clear()
        self._recent.clear()
        self.throttle.reset()
        return gone


def _merge_max(into: dict[int, int], other: Mapping[int, int]) -> None:
    """`into[px] = max(into[px], other[px])` for every price of `other`."""
    for px, lots in other.items():
        if lots > into.get(px, 0):
            into[px] = lots


def _crosses(side: Side, px_ticks: int, other_best: int | None) -> bool:
    """A price on `side` at or through the other side's best target."""
    if other_best is None:
        return False
    return px_ticks >= other_best if side is Side.BUY else px_ticks <= other_best


def _entry_text(text: str, entry_id: str) -> str:
    """The part of the acknowledgement's Text about one entry (the venue joins them)."""
    for part in text.split("; "):
        if part.startswith(f"entry {entry_id}:"):
            return part
    return text or "entry rejected"
