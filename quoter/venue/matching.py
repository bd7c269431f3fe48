"""The venue's matching engine: commands in, typed events out. Pure and deterministic.

Per symbol, price-time priority on integer ticks and lots. Supports limit, IOC
and post-only orders (reject or slide, `VenueRules.post_only`), cancel,
cancel-replace (priority kept only for a size decrease at the same price),
self-trade prevention (`VenueRules.stp`), maker/taker fees and rebates as exact
`Decimal`, protections (max order quantity, price band around the reference
price, per-member message throttle, market-maker protection), mass quotes with
per-entry status, quote cancels, cancel-all per member (cancel-on-disconnect),
and trading phases (halt/closed refuse entry; an auction collects orders and
uncrosses at one equilibrium price when the phase returns to open).

Time is an argument (`ts_ns`); there is no clock and no I/O. Members listed in
`system_members` (replay and synthetic liquidity) bypass protections and phases.
Not here: FIX, sessions and authentication (the acceptor), market-data fan-out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from mmsla.domain import Side
from quoter.venue.book import BUY, SELL, BookSide, Order, OrderBook
from quoter.venue.events import (
    Accepted,
    BookChanged,
    Cancelled,
    CancelReason,
    Event,
    Fill,
    PhaseChanged,
    ProtectionTriggered,
    QuoteStatus,
    Rejected,
    RejectReason,
    Replaced,
    TradePrinted,
    TradingPhase,
)
from quoter.venue.protections import MmpCounter, Throttle, band_ratio, within_band
from quoter.venue.rules import PostOnlyMode, StpMode, SymbolSpec, VenueRules

_SIDE = {BUY: Side.BUY, SELL: Side.SELL}
_INT = {Side.BUY: BUY, Side.SELL: SELL}
_ZERO = Decimal(0)
_BPS = Decimal(10_000)
_ENTRY_PHASES = (TradingPhase.OPEN, TradingPhase.AUCTION)
# enum members as module constants: attribute access on an Enum class is slow in the hot path
_OPEN = TradingPhase.OPEN
_AUCTION = TradingPhase.AUCTION
_BUY_SIDE = Side.BUY
_REQUESTED = CancelReason.REQUESTED


class _Symbol:
    """Per-symbol engine state (internal)."""

    __slots__ = (
        "band",
        "book",
        "dirty",
        "last_top",
        "last_trade",
        "limits",
        "maker_rate",
        "mmp",
        "phase",
        "reference",
        "spec",
        "stressed",
        "taker_rate",
    )

    def __init__(self, spec: SymbolSpec) -> None:
        self.spec = spec
        self.book = OrderBook(spec.symbol)
        unit = spec.tick * spec.lot / _BPS
        self.maker_rate = unit * spec.maker_fee_bps
        self.taker_rate = unit * spec.taker_fee_bps
        self.band = None if spec.price_band_bps is None else band_ratio(spec.price_band_bps)
        self.mmp = None if spec.mmp is None else MmpCounter(spec.mmp)
        self.limits = self.band is not None or spec.max_order_qty is not None
        self.phase = TradingPhase.OPEN
        self.stressed = False
        self.reference: int | None = None
        self.last_trade: int | None = None
        self.dirty = 0  # bit 1: bids changed near the top, bit 2: asks
        self.last_top: tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]] = ((), ())


class MatchingEngine:
    """Multi-symbol price-time matching engine. Every command returns its events in order."""

    def __init__(
        self,
        symbols: Sequence[SymbolSpec],
        rules: VenueRules | None = None,
        system_members: Iterable[str] = (),
    ) -> None:
        self.rules = rules or VenueRules()
        self._sym = {s.symbol: _Symbol(s) for s in symbols}
        self._orders: dict[int, Order] = {}
        self._quotes: dict[tuple[str, str], dict[tuple[int, int], Order]] = {}
        self._system = frozenset(system_members)
        self._throttle = None if self.rules.throttle is None else Throttle(self.rules.throttle)
        self._next_order_id = 1
        self._next_trade_id = 1
        self._depth = self.rules.book_depth
        self._slide = self.rules.post_only is PostOnlyMode.SLIDE
        self._stp = self.rules.stp

    # ------------------------------------------------------------------ queries
    def spec(self, symbol: str) -> SymbolSpec:
        return self._sym[symbol].spec

    def book(self, symbol: str) -> OrderBook:
        return self._sym[symbol].book

    def order(self, order_id: int) -> Order | None:
        """A live resting order (read it, do not mutate it), or None."""
        return self._orders.get(order_id)

    def orders_of(self, member: str, symbol: str | None = None) -> list[Order]:
        """Live resting orders of a member in id order."""
        return [
            o
            for o in self._orders.values()
            if o.member == member and (symbol is None or o.symbol == symbol)
        ]

    @property
    def trade_count(self) -> int:
        """Trade ids handed out so far (matches, external fills and printed trades)."""
        return self._next_trade_id - 1

    def phase(self, symbol: str) -> TradingPhase:
        return self._sym[symbol].phase

    def reference_px(self, symbol: str) -> int | None:
        """Price band reference: set reference, else last trade, else mid (rounded down)."""
        st = self._sym[symbol]
        if st.reference is not None:
            return st.reference
        if st.last_trade is not None:
            return st.last_trade
        bid, ask = st.book.best_bid(), st.book.best_ask()
        if bid is not None and ask is not None:
            return (bid + ask) // 2
        return None

    # ----------------------------------------------------------------- commands
    def submit(
        self,
        member: str,
        symbol: str,
        side: Side,
        px: int,
        qty: int,
        ts_ns: int,
        *,
        post_only: bool = False,
        ioc: bool = False,
    ) -> list[Event]:
        """New limit order (`ioc` = immediate-or-cancel) of `qty` lots at `px` ticks.

        This is the hot path: the steps of `_enter`/`_place` are inlined here."""
        st = self._sym.get(symbol)
        if st is None:
            return [Rejected(ts_ns, symbol, member, RejectReason.UNKNOWN_SYMBOL)]
        phase = st.phase
        if member not in self._system:
            reason = None
            if phase is not _OPEN and phase is not _AUCTION:
                reason = RejectReason.MARKET_CLOSED
            elif self._throttle is not None and not self._throttle.allow(member, ts_ns):
                reason = RejectReason.THROTTLED
            elif px <= 0 or qty <= 0 or st.limits:
                reason = self._check_entry(st, px, qty)
            if reason is None and ioc and phase is _AUCTION:
                reason = RejectReason.IOC_IN_AUCTION
            if reason is not None:
                return [Rejected(ts_ns, symbol, member, reason)]
        s = BUY if side is _BUY_SIDE else SELL
        slid = False
        if post_only:
            new_px = self._post_only_px(st, s, px)
            if new_px is None:
                return [Rejected(ts_ns, symbol, member, RejectReason.POST_ONLY_WOULD_CROSS)]
            slid = new_px != px
            px = new_px
        oid = self._next_order_id
        self._next_order_id = oid + 1
        o = Order(oid, member, symbol, s, px, qty, post_only, ioc)
        events: list[Event] = [
            Accepted(ts_ns, symbol, oid, member, side, px, qty, post_only, ioc, slid)
        ]
        if phase is not _AUCTION:
            opp = st.book.asks if s == BUY else st.book.bids
            if opp.keys and s * px + opp.keys[-1] >= 0:
                self._match(st, o, ts_ns, events)
        if o.qty:
            if ioc:
                events.append(
                    Cancelled(
                        ts_ns, symbol, oid, member, side, px, o.qty, CancelReason.IOC_REMAINDER
                    )
                )
                o.qty = 0
            else:
                bside = st.book.bids if s == BUY else st.book.asks
                depth = self._depth
                if depth is not None and (len(bside.keys) <= depth or s * px >= bside.keys[-depth]):
                    st.dirty |= (3 - s) >> 1
                bside.append(o)
                self._orders[oid] = o
        if st.dirty:
            self._publish(st, ts_ns, events)
        return events

    def submit_decimal(
        self,
        member: str,
        symbol: str,
        side: Side,
        px: Decimal,
        qty: Decimal,
        ts_ns: int,
        *,
        post_only: bool = False,
        ioc: bool = False,
    ) -> list[Event]:
        """`submit` with exact decimals: rejects prices off the tick and sizes off the lot."""
        st = self._sym.get(symbol)
        if st is None:
            return [Rejected(ts_ns, symbol, member, RejectReason.UNKNOWN_SYMBOL)]
        ticks = st.spec.to_ticks(px)
        if ticks is None:
            return [Rejected(ts_ns, symbol, member, RejectReason.BAD_PRICE, text=f"{px}")]
        lots = st.spec.to_lots(qty)
        if lots is None:
            return [Rejected(ts_ns, symbol, member, RejectReason.BAD_QTY, text=f"{qty}")]
        return self.submit(member, symbol, side, ticks, lots, ts_ns, post_only=post_only, ioc=ioc)

    def cancel(self, member: str, order_id: int, ts_ns: int) -> list[Event]:
        """Cancel a resting order of `member` (cancels are never throttled)."""
        o = self._orders.get(order_id)
        if o is None or o.member != member:
            return [
                Rejected(
                    ts_ns,
                    "" if o is None else o.symbol,
                    member,
                    RejectReason.UNKNOWN_ORDER,
                    order_id,
                )
            ]
        # hot path: `_cancel` / `_remove` / `BookSide.remove` inlined
        st = self._sym[o.symbol]
        s = o.side
        px = o.px
        qty = o.qty
        bside = st.book.bids if s == BUY else st.book.asks
        key = s * px  # the side's sort key: px for bids, -px for asks
        keys = bside.keys
        depth = self._depth
        if depth is not None and (len(keys) <= depth or key >= keys[-depth]):
            st.dirty |= (3 - s) >> 1
        level = bside.levels[key]
        level.qty -= qty
        level.count -= 1
        o.qty = 0
        if not level.count:
            bside.drop_level(key)
        del self._orders[order_id]
        if o.quote_slot is not None:
            self._forget_quote(o)
        events: list[Event] = [
            Cancelled(ts_ns, o.symbol, order_id, member, _SIDE[s], px, qty, _REQUESTED)
        ]
        if st.dirty:
            self._publish(st, ts_ns, events)
        return events

    def replace(self, member: str, order_id: int, px: int, qty: int, ts_ns: int) -> list[Event]:
        """Cancel-replace to price `px` and total quantity `qty` (FIX OrderQty: includes
        the filled part, so the new leaves are `qty - filled`). Priority is kept only
        when the price is unchanged and the leaves do not grow."""
        o = self._orders.get(order_id)
        if o is None or o.member != member:
            return [
                Rejected(
                    ts_ns,
                    "" if o is None else o.symbol,
                    member,
                    RejectReason.UNKNOWN_ORDER,
                    order_id,
                )
            ]
        st = self._sym[o.symbol]
        if member not in self._system:
            reason = self._admit(st, member, ts_ns)
            if reason is None:
                reason = self._check_entry(st, px, qty)
            if reason is not None:
                return [Rejected(ts_ns, o.symbol, member, reason, order_id)]
        leaves = qty - o.filled
        if leaves <= 0:
            return [Rejected(ts_ns, o.symbol, member, RejectReason.QTY_NOT_ABOVE_FILLED, order_id)]
        events: list[Event] = []
        side = st.book.side(o.side)
        if px == o.px and leaves <= o.qty:
            if self._depth is not None and side.in_top(px, self._depth):
                st.dirty |= (3 - o.side) >> 1
            side.resize(o, leaves)
            events.append(
                Replaced(ts_ns, o.symbol, o.order_id, member, _SIDE[o.side], px, leaves, True)
            )
            self._publish(st, ts_ns, events)
            return events
        if o.post_only:
            new_px = self._post_only_px(st, o.side, px)
            if new_px is None:
                return [
                    Rejected(ts_ns, o.symbol, member, RejectReason.POST_ONLY_WOULD_CROSS, order_id)
                ]
            px = new_px
        self._remove(st, side, o)
        # a fresh object: the dead one may still sit in its old level's deque
        n = Order(
            o.order_id, member, o.symbol, o.side, px, leaves, o.post_only, o.ioc, o.quote_slot
        )
        n.filled = o.filled
        del self._orders[o.order_id]  # `_place` re-registers it if it rests
        if o.quote_slot is not None:
            self._quotes[(member, o.symbol)][(o.side, o.quote_slot)] = n
        o = n
        events.append(
            Replaced(ts_ns, o.symbol, o.order_id, member, _SIDE[o.side], px, leaves, False)
        )
        self._place(st, o, ts_ns, events)
        self._publish(st, ts_ns, events)
        return events

    def mass_quote(
        self,
        member: str,
        symbol: str,
        bids: Sequence[tuple[int, int]],
        asks: Sequence[tuple[int, int]],
        ts_ns: int,
    ) -> list[Event]:
        """Replace the member's whole quote on `symbol`: entry i of each side replaces
        quote level i; qty 0 withdraws a level, levels beyond the lists are withdrawn.
        One message for the throttle; a `QuoteStatus` per side and level. Level i's
        bid and ask form one entry, all or nothing: if either fails the entry checks,
        neither rests. An entry that keeps its price and does not grow keeps its
        priority."""
        st = self._sym.get(symbol)
        if st is None:
            return [Rejected(ts_ns, symbol, member, RejectReason.UNKNOWN_SYMBOL)]
        if member not in self._system:
            reason = self._admit(st, member, ts_ns)
            if reason is not None:
                return [Rejected(ts_ns, symbol, member, reason)]
        events: list[Event] = []
        slots = self._quotes.setdefault((member, symbol), {})
        wanted = {(BUY, i): e for i, e in enumerate(bids)}
        wanted.update({(SELL, i): e for i, e in enumerate(asks)})
        # Level i's bid and ask are one quote entry, all or nothing: when one side
        # fails the entry checks, neither side rests and both report that reason.
        failed: dict[int, RejectReason] = {}
        if member not in self._system:
            for (_side, level), (px, qty) in wanted.items():
                reason = self._check_entry(st, px, qty) if qty else None
                if reason is not None and level not in failed:
                    failed[level] = reason
        # 1. withdraw or shrink existing levels first, so new entries never meet stale ones
        kept: set[tuple[int, int]] = set()
        for slot, o in sorted(slots.items()):
            entry = wanted.get(slot)
            if (
                entry is not None
                and entry[0] == o.px
                and 0 < entry[1] <= o.qty
                and slot[1] not in failed
            ):
                if entry[1] != o.qty:
                    bside = st.book.side(o.side)
                    if self._depth is not None and bside.in_top(o.px, self._depth):
                        st.dirty |= (3 - o.side) >> 1
                    bside.resize(o, entry[1])
                    events.append(
                        Replaced(
                            ts_ns, symbol, o.order_id, member, _SIDE[o.side], o.px, o.qty, True
                        )
                    )
                kept.add(slot)
                continue
            self._cancel(st, o, ts_ns, CancelReason.QUOTE_REPLACED, events)
        # 2. enter the new levels
        for (side_int, level), (px, qty) in sorted(
            wanted.items(), key=lambda kv: (-kv[0][0], kv[0][1])
        ):
            side = _SIDE[side_int]
            if (side_int, level) in kept:
                o = slots[(side_int, level)]
                events.append(QuoteStatus(ts_ns, symbol, member, side, level, o.order_id, True))
                continue
            if qty == 0:
                events.append(QuoteStatus(ts_ns, symbol, member, side, level, None, True))
                continue
            reason = failed.get(level)
            if reason is not None:
                events.append(QuoteStatus(ts_ns, symbol, member, side, level, None, False, reason))
                continue
            o2 = self._enter(st, member, side_int, px, qty, ts_ns, False, False, level, events)
            oid = None if o2 is None else o2.order_id
            events.append(QuoteStatus(ts_ns, symbol, member, side, level, oid, o2 is not None))
        self._publish(st, ts_ns, events)
        return events

    def cancel_quotes(self, member: str, symbol: str | None, ts_ns: int) -> list[Event]:
        """Quote cancel: withdraw the member's mass-quote orders on one symbol or all."""
        events: list[Event] = []
        for (m, sym), slots in list(self._quotes.items()):
            if m != member or (symbol is not None and sym != symbol):
                continue
            st = self._sym[sym]
            for o in sorted(slots.values(), key=lambda x: x.order_id):
                self._cancel(st, o, ts_ns, CancelReason.QUOTE_CANCEL, events)
            self._publish(st, ts_ns, events)
        return events

    def cancel_all(self, member: str, ts_ns: int, symbol: str | None = None) -> list[Event]:
        """Cancel every resting order and quote of a member (cancel-on-disconnect)."""
        events: list[Event] = []
        touched: dict[str, _Symbol] = {}
        for o in self.orders_of(member, symbol):
            st = self._sym[o.symbol]
            touched[o.symbol] = st
            self._cancel(st, o, ts_ns, CancelReason.MEMBER_CANCEL_ALL, events)
        for st in touched.values():
            self._publish(st, ts_ns, events)
        return events

    def set_reference(self, symbol: str, px: int | None) -> None:
        """Fix the price-band reference (None = last trade, else mid)."""
        self._sym[symbol].reference = px

    def set_phase(
        self,
        symbol: str,
        phase: TradingPhase,
        ts_ns: int,
        *,
        stressed: bool | None = None,
        reason: str = "",
    ) -> list[Event]:
        """Change the trading phase (and optionally the stressed flag). Leaving an
        auction for open uncrosses the book at one equilibrium price."""
        st = self._sym[symbol]
        events: list[Event] = []
        was = st.phase
        st.phase = phase
        if stressed is not None:
            st.stressed = stressed
        events.append(PhaseChanged(ts_ns, symbol, phase, st.stressed, reason))
        if was is TradingPhase.AUCTION and phase is TradingPhase.OPEN:
            self._uncross(st, ts_ns, events)
        self._publish(st, ts_ns, events)
        return events

    def external_fill(self, order_id: int, qty: int, ts_ns: int, taker_member: str) -> list[Event]:
        """Fill a resting order by `qty` at its own price against liquidity outside the
        book (a recorded trade in replay). Maker fee applies; the taker side is
        `taker_member` with order id 0 and no fee."""
        o = self._orders[order_id]
        st = self._sym[o.symbol]
        events: list[Event] = []
        q = min(qty, o.qty)
        side = st.book.side(o.side)
        st.dirty |= (3 - o.side) >> 1
        if q == o.qty:
            self._remove(st, side, o)
            del self._orders[order_id]  # filled: a later cancel must find no live order
            if o.quote_slot is not None:
                self._forget_quote(o)
        else:
            side.resize(o, o.qty - q)
        o.filled += q
        trade_id = self._next_trade_id
        self._next_trade_id += 1
        fee = st.maker_rate * (o.px * q) if st.maker_rate else _ZERO
        events.append(
            Fill(
                ts_ns,
                o.symbol,
                trade_id,
                o.px,
                q,
                o.order_id,
                o.member,
                _SIDE[o.side],
                o.qty,
                fee,
                0,
                taker_member,
                _SIDE[-o.side],
                0,
                _ZERO,
            )
        )
        st.last_trade = o.px
        self._after_passive_fill(st, o.member, ts_ns, events)
        self._publish(st, ts_ns, events)
        return events

    def print_trade(
        self, symbol: str, px: int, qty: int, aggressor: Side, ts_ns: int
    ) -> TradePrinted:
        """Record a trade that happened outside the book (replay) as a public print."""
        st = self._sym[symbol]
        trade_id = self._next_trade_id
        self._next_trade_id += 1
        st.last_trade = px
        return TradePrinted(ts_ns, symbol, trade_id, px, qty, aggressor)

    # ---------------------------------------------------------------- internals
    def _admit(self, st: _Symbol, member: str, ts_ns: int) -> RejectReason | None:
        if st.phase not in _ENTRY_PHASES:
            return RejectReason.MARKET_CLOSED
        if self._throttle is not None and not self._throttle.allow(member, ts_ns):
            return RejectReason.THROTTLED
        return None

    def _check_entry(self, st: _Symbol, px: int, qty: int) -> RejectReason | None:
        if px <= 0:
            return RejectReason.BAD_PRICE
        if qty <= 0:
            return RejectReason.BAD_QTY
        spec = st.spec
        if spec.max_order_qty is not None and qty > spec.max_order_qty:
            return RejectReason.MAX_QTY
        if st.band is not None:
            ref = self.reference_px(spec.symbol)
            if ref is not None and not within_band(px, ref, st.band):
                return RejectReason.PRICE_BAND
        return None

    def _post_only_px(self, st: _Symbol, side: int, px: int) -> int | None:
        """Price for a post-only order: unchanged, slid behind the opposite best, or None."""
        if side == BUY:
            best = st.book.asks.best()
            if best is None or px < best:
                return px
            new = best - 1
        else:
            best = st.book.bids.best()
            if best is None or px > best:
                return px
            new = best + 1
        if not self._slide or new <= 0:
            return None
        return new

    def _enter(
        self,
        st: _Symbol,
        member: str,
        side: int,
        px: int,
        qty: int,
        ts_ns: int,
        post_only: bool,
        ioc: bool,
        quote_slot: int | None,
        events: list[Event],
    ) -> Order | None:
        """Accept a validated order, match it, rest the remainder. None if rejected."""
        slid = False
        if post_only:
            new_px = self._post_only_px(st, side, px)
            if new_px is None:
                events.append(
                    Rejected(ts_ns, st.spec.symbol, member, RejectReason.POST_ONLY_WOULD_CROSS)
                )
                return None
            slid = new_px != px
            px = new_px
        oid = self._next_order_id
        self._next_order_id += 1
        o = Order(oid, member, st.spec.symbol, side, px, qty, post_only, ioc, quote_slot)
        events.append(
            Accepted(ts_ns, o.symbol, oid, member, _SIDE[side], px, qty, post_only, ioc, slid)
        )
        if quote_slot is not None:
            self._quotes[(member, o.symbol)][(side, quote_slot)] = o
        self._place(st, o, ts_ns, events)
        return o

    def _place(self, st: _Symbol, o: Order, ts_ns: int, events: list[Event]) -> None:
        """Match an accepted order (unless in auction) and rest or cancel what is left."""
        if st.phase is not _AUCTION:
            opp = st.book.asks if o.side == BUY else st.book.bids
            if opp.keys and o.side * o.px + opp.keys[-1] >= 0:
                self._match(st, o, ts_ns, events)
        if not o.qty:
            if o.quote_slot is not None:
                self._forget_quote(o)
            return
        if o.ioc:
            qty = o.qty
            o.qty = 0
            events.append(
                Cancelled(
                    ts_ns,
                    o.symbol,
                    o.order_id,
                    o.member,
                    _SIDE[o.side],
                    o.px,
                    qty,
                    CancelReason.IOC_REMAINDER,
                )
            )
            return
        side = st.book.side(o.side)
        if self._depth is not None and side.in_top(o.px, self._depth):
            st.dirty |= (3 - o.side) >> 1
        side.append(o)
        self._orders[o.order_id] = o

    def _match(self, st: _Symbol, o: Order, ts_ns: int, events: list[Event]) -> None:
        s = o.side
        opp = st.book.asks if s == BUY else st.book.bids
        keys = opp.keys
        levels = opp.levels
        if not keys or s * o.px + keys[-1] < 0:
            return
        st.dirty |= (3 + s) >> 1  # the opposite side
        symbol = o.symbol
        orders = self._orders
        stp = self._stp
        maker_rate = st.maker_rate
        taker_rate = st.taker_rate
        taker_side = _SIDE[s]
        maker_side = _SIDE[-s]
        passive: list[str] = []
        stop = False
        last_px = 0
        while o.qty and keys and s * o.px + keys[-1] >= 0:
            key = keys[-1]
            level = levels[key]
            dq = level.orders
            px = level.px
            while o.qty and dq:
                m = dq[0]
                mq = m.qty
                if not mq:
                    dq.popleft()
                    continue
                if m.member == o.member:
                    if stp is not StpMode.CANCEL_INCOMING:
                        dq.popleft()
                        level.qty -= mq
                        level.count -= 1
                        m.qty = 0
                        del orders[m.order_id]
                        if m.quote_slot is not None:
                            self._forget_quote(m)
                        events.append(
                            Cancelled(
                                ts_ns,
                                symbol,
                                m.order_id,
                                m.member,
                                maker_side,
                                px,
                                mq,
                                CancelReason.SELF_TRADE,
                            )
                        )
                    if stp is not StpMode.CANCEL_RESTING:
                        stop = True
                        break
                    continue
                q = o.qty if o.qty < mq else mq
                mq -= q
                m.qty = mq
                m.filled += q
                o.qty -= q
                o.filled += q
                level.qty -= q
                trade_id = self._next_trade_id
                self._next_trade_id = trade_id + 1
                notional = px * q
                events.append(
                    Fill(
                        ts_ns,
                        symbol,
                        trade_id,
                        px,
                        q,
                        m.order_id,
                        m.member,
                        maker_side,
                        mq,
                        maker_rate * notional if maker_rate else _ZERO,
                        o.order_id,
                        o.member,
                        taker_side,
                        o.qty,
                        taker_rate * notional if taker_rate else _ZERO,
                    )
                )
                events.append(TradePrinted(ts_ns, symbol, trade_id, px, q, taker_side))
                last_px = px
                if not mq:
                    dq.popleft()
                    level.count -= 1
                    del orders[m.order_id]
                    if m.quote_slot is not None:
                        self._forget_quote(m)
                if st.mmp is not None:
                    passive.append(m.member)
            if level.count == 0:
                opp.drop_level(key)
            if stop:
                break
        if last_px:
            st.last_trade = last_px
        if stop and o.qty:
            qty = o.qty
            o.qty = 0
            events.append(
                Cancelled(
                    ts_ns,
                    symbol,
                    o.order_id,
                    o.member,
                    taker_side,
                    o.px,
                    qty,
                    CancelReason.SELF_TRADE,
                )
            )
        for member in passive:
            self._after_passive_fill(st, member, ts_ns, events)

    def _after_passive_fill(
        self, st: _Symbol, member: str, ts_ns: int, events: list[Event]
    ) -> None:
        if st.mmp is None or member in self._system or not st.mmp.record(member, ts_ns):
            return
        pulled = [o for o in self.orders_of(member, st.spec.symbol)]
        events.append(
            ProtectionTriggered(
                ts_ns,
                st.spec.symbol,
                member,
                "mmp",
                f"{len(pulled)} orders pulled after market-maker protection tripped",
            )
        )
        for o in pulled:
            self._cancel(st, o, ts_ns, CancelReason.MMP, events)

    def _remove(self, st: _Symbol, side: BookSide, o: Order) -> None:
        if self._depth is not None and side.in_top(o.px, self._depth):
            st.dirty |= (3 - o.side) >> 1
        side.remove(o)

    def _cancel(
        self, st: _Symbol, o: Order, ts_ns: int, reason: CancelReason, events: list[Event]
    ) -> None:
        if not o.qty:
            return
        qty = o.qty
        self._remove(st, st.book.side(o.side), o)
        del self._orders[o.order_id]
        if o.quote_slot is not None:
            self._forget_quote(o)
        events.append(
            Cancelled(ts_ns, o.symbol, o.order_id, o.member, _SIDE[o.side], o.px, qty, reason)
        )

    def _forget_quote(self, o: Order) -> None:
        slots = self._quotes.get((o.member, o.symbol))
        key = (o.side, o.quote_slot if o.quote_slot is not None else -1)
        if slots is not None and slots.get(key) is o:
            del slots[key]

    def _uncross(self, st: _Symbol, ts_ns: int, events: list[Event]) -> None:
        """Execute a crossed book until it is no longer crossed.

        Each round trades at one price (`_uncross_round`). Self-trade prevention can
        cancel the orders that made that price, leaving the book crossed at other
        prices (a member's bid at 96 against its own asks at 95 and someone's ask
        at 96), so the price is chosen again until no bid meets an ask. Every round
        trades or cancels at least one order, so this ends.
        """
        book = st.book
        while True:
            bid, ask = book.best_bid(), book.best_ask()
            if bid is None or ask is None or bid < ask:
                return
            self._uncross_round(st, bid, ask, ts_ns, events)

    def _uncross_round(
        self, st: _Symbol, bid: int, ask: int, ts_ns: int, events: list[Event]
    ) -> None:
        """Execute a crossed book at the single price that maximises volume, then
        minimises imbalance, then is closest to the reference (then the lower price).
        Earlier order = maker; the aggressor printed is the later order's side."""
        book = st.book
        bid_lv = [(lv.px, lv.qty) for lv in (book.bids.levels[k] for k in reversed(book.bids.keys))]
        ask_lv = [(lv.px, lv.qty) for lv in (book.asks.levels[k] for k in reversed(book.asks.keys))]
        candidates = sorted({p for p, _ in bid_lv + ask_lv if ask <= p <= bid})
        ref = self.reference_px(st.spec.symbol)
        best_key: tuple[int, int, int, int] | None = None
        price = ask
        for p in candidates:
            demand = sum(q for bp, q in bid_lv if bp >= p)
            supply = sum(q for ap, q in ask_lv if ap <= p)
            key = (
                -min(demand, supply),
                abs(demand - supply),
                0 if ref is None else abs(p - ref),
                p,
            )
            if best_key is None or key < best_key:
                best_key, price = key, p
        st.dirty = 3
        while True:
            best_bid, best_ask = book.best_bid(), book.best_ask()
            if best_bid is None or best_ask is None or best_bid < price or best_ask > price:
                break
            b = next(o for o in book.bids.levels[best_bid].orders if o.qty)
            a = next(o for o in book.asks.levels[-best_ask].orders if o.qty)
            if b.member == a.member:
                later = b if b.order_id > a.order_id else a
                self._cancel(st, later, ts_ns, CancelReason.SELF_TRADE, events)
                continue
            maker, taker = (b, a) if b.order_id < a.order_id else (a, b)
            q = min(b.qty, a.qty)
            trade_id = self._next_trade_id
            self._next_trade_id += 1
            notional = price * q
            for o in (maker, taker):
                o.filled += q
                if q == o.qty:
                    self._remove(st, book.side(o.side), o)
                    del self._orders[o.order_id]
                    if o.quote_slot is not None:
                        self._forget_quote(o)
                else:
                    book.side(o.side).resize(o, o.qty - q)
            events.append(
                Fill(
                    ts_ns,
                    st.spec.symbol,
                    trade_id,
                    price,
                    q,
                    maker.order_id,
                    maker.member,
                    _SIDE[maker.side],
                    maker.qty,
                    st.maker_rate * notional,
                    taker.order_id,
                    taker.member,
                    _SIDE[taker.side],
                    taker.qty,
                    st.taker_rate * notional,
                )
            )
            events.append(
                TradePrinted(ts_ns, st.spec.symbol, trade_id, price, q, _SIDE[taker.side])
            )
            st.last_trade = price

    def _publish(self, st: _Symbol, ts_ns: int, events: list[Event]) -> None:
        """Append a BookChanged when the top-N levels changed since the last one."""
        depth = self._depth
        dirty = st.dirty
        if not dirty or depth is None:
            return
        st.dirty = 0
        bids, asks = st.last_top
        book = st.book
        new_bids = book.bids.top(depth) if dirty & 1 else bids
        new_asks = book.asks.top(depth) if dirty & 2 else asks
        if new_bids != bids or new_asks != asks:
            st.last_top = (new_bids, new_asks)
            events.append(BookChanged(ts_ns, st.spec.symbol, new_bids, new_asks))
