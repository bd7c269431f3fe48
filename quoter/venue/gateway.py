"""The venue's FIX order-entry application: member sessions <-> matching-engine commands/events.

One `Gateway` serves every member session (it is the `Application` of all of
them). Inbound (FIX 4.4, see DESIGN's venue<->quoter contract):
- NewOrderSingle 35=D: limit only (40=2), 59 TimeInForce 0 Day / 1 GTC / 3 IOC,
  18 ExecInst containing `6` = post-only. Prices and sizes are exact decimals:
  a price off the tick or a size off the lot is *rejected* (never rounded).
- OrderCancelRequest 35=F and OrderCancelReplaceRequest 35=G by OrigClOrdID
  (41); G takes the new 44 Price / 38 OrderQty (FIX total quantity, filled
  part included); unknown order or refused replace -> OrderCancelReject 35=9.
- MassQuote 35=i: per symbol, the k-th entry of that symbol in the message is
  quote level k (bid 132/134, offer 133/135; a missing or zero side withdraws
  that level's side; an entry is all or nothing: when either side fails the
  tick/lot checks or the engine's entry checks, neither side rests and the
  entry is reported rejected). Answered with MassQuoteAcknowledgement 35=b: 297=0
  (5 when every entry failed) and, per entry, 299 QuoteEntryID, 55, the prices
  and sizes as received, and 368 QuoteEntryRejectReason on a rejected entry.
- QuoteCancel 35=Z: 298=1 the symbols listed (295/55), 298=4 all quotes;
  acknowledged with 35=b 297=1 / 297=4.
- MarketDataRequest 35=V: handed to `MdPublisher`.
Outbound ExecutionReports 35=8 (37, 11, 41 on cancel/replace, 17, 150, 39, 55,
54, 38, 40, 44, 59, 32/31 on a fill, 151, 14, 6, 60 TransactTime = simulation
time, 58 Text on reject/cancel reasons, 851 LastLiquidityInd 1 added / 2
removed, 12 Commission with 13=3 absolute per fill, negative = rebate).
Mass-quote orders report fills (and unsolicited cancels: MMP, STP,
cancel-on-disconnect) as ExecutionReports whose 11 is the entry's QuoteEntryID.
AvgPx is exact when the quotient terminates, else rounded to 28 significant digits.

Cancel-on-disconnect (per member, on by default) cancels every resting order
and quote of a member whose connection ends. Logon, logout, disconnect,
rejects and protections are logged as one line each through `log`.

Not here: sockets, the acceptor, duplicate-logon refusal (`server`), pacing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from mmsla.domain import Side
from quoter.fix.codec.framing import RawMessage
from quoter.fix.codec.tags import (
    AVG_PX,
    BID_PX,
    BID_SIZE,
    CL_ORD_ID,
    COMM_TYPE,
    COMMISSION,
    CUM_QTY,
    CXL_REJ_REASON,
    CXL_REJ_RESPONSE_TO,
    EXEC_ID,
    EXEC_INST,
    LAST_LIQUIDITY_IND,
    LAST_PX,
    LAST_QTY,
    LEAVES_QTY,
    NO_QUOTE_ENTRIES,
    NO_QUOTE_SETS,
    OFFER_PX,
    OFFER_SIZE,
    ORD_REJ_REASON,
    ORD_STATUS,
    ORD_TYPE,
    ORDER_ID,
    ORDER_QTY,
    ORIG_CL_ORD_ID,
    PRICE,
    QUOTE_CANCEL_TYPE,
    QUOTE_ENTRY_ID,
    QUOTE_ENTRY_REJECT_REASON,
    QUOTE_ID,
    QUOTE_REJECT_REASON,
    QUOTE_SET_ID,
    QUOTE_STATUS,
    SIDE,
    SYMBOL,
    TEXT,
    TIME_IN_FORCE,
    TOT_NO_QUOTE_ENTRIES,
    TRANSACT_TIME,
)
from quoter.fix.codec.times import format_utc
from quoter.fix.session import BaseApplication, Session, UnsupportedMessageType
from quoter.fix.validation import split_groups
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
)
from quoter.venue.matching import MatchingEngine
from quoter.venue.md_publisher import Body, MdPublisher, venue_dictionary
from quoter.venue.rules import SymbolSpec

_SIDE_IN = {"1": Side.BUY, "2": Side.SELL}
_SIDE_OUT = {Side.BUY: "1", Side.SELL: "2"}
_TIF = {"0", "1", "3"}  # Day, GTC, IOC
_QUIET_QUOTE_CANCELS = (CancelReason.QUOTE_REPLACED, CancelReason.QUOTE_CANCEL)

_ORD_REJ = {
    RejectReason.UNKNOWN_SYMBOL: "1",
    RejectReason.MARKET_CLOSED: "2",
    RejectReason.MAX_QTY: "3",
    RejectReason.UNKNOWN_ORDER: "5",
}
_QUOTE_REJ = {
    RejectReason.UNKNOWN_SYMBOL: "1",
    RejectReason.MARKET_CLOSED: "2",
    RejectReason.MAX_QTY: "3",
    RejectReason.BAD_PRICE: "8",
    RejectReason.PRICE_BAND: "8",
}
_CANCEL_TEXT = {
    CancelReason.REQUESTED: "",
    CancelReason.IOC_REMAINDER: "IOC remainder cancelled",
    CancelReason.SELF_TRADE: "cancelled by self-trade prevention",
    CancelReason.MMP: "cancelled by market-maker protection",
    CancelReason.MEMBER_CANCEL_ALL: "cancelled: member cancel-all (cancel-on-disconnect)",
    CancelReason.QUOTE_REPLACED: "quote replaced",
    CancelReason.QUOTE_CANCEL: "quote cancelled",
    CancelReason.SYSTEM: "cancelled by the venue",
}

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Member:
    """A venue member: its FIX CompID and logon credentials (553/554)."""

    comp_id: str
    username: str
    password: str
    cancel_on_disconnect: bool = True


class _Order:
    """What the gateway remembers about a member's live order (internal)."""

    __slots__ = (
        "cl_ord_id",
        "cum",
        "member",
        "notional",
        "order_id",
        "order_qty",
        "post_only",
        "px",
        "quote",
        "side",
        "symbol",
        "tif",
    )

    def __init__(
        self,
        order_id: int,
        member: str,
        symbol: str,
        side: Side,
        cl_ord_id: str,
        px: int,
        order_qty: int,
        tif: str,
        post_only: bool,
        quote: bool,
    ) -> None:
        self.order_id = order_id
        self.member = member
        self.symbol = symbol
        self.side = side
        self.cl_ord_id = cl_ord_id
        self.px = px
        self.order_qty = order_qty  # FIX OrderQty in lots: leaves + cum
        self.cum = 0
        self.notional = 0  # sum of fill px * qty (ticks * lots)
        self.tif = tif
        self.post_only = post_only
        self.quote = quote


class OrderRefused(Exception):
    """A request the gateway refuses before it reaches the engine (text for 58)."""

    def __init__(self, text: str, reason: str = "99") -> None:
        super().__init__(text)
        self.text = text
        self.reason = reason


class Gateway(BaseApplication):
    """FIX application of every member session (see module docstring).

    `now_ns` is the simulation clock; `log` receives one line per session event.
    Messages are written with `session.send`; sessions written to outside their
    own callback are collected in `touched` for the server to flush.
    """

    def __init__(
        self,
        engine: MatchingEngine,
        symbols: Sequence[SymbolSpec],
        members: Sequence[Member],
        now_ns: Callable[[], int],
        log: Log = lambda line: None,
    ) -> None:
        self.engine = engine
        self.now_ns = now_ns
        self.log = log
        self.members = {m.comp_id: m for m in members}
        self.specs = {s.symbol: s for s in symbols}
        self.sessions: dict[str, Session] = {}
        self.touched: set[Session] = set()
        # called with every event list the gateway dispatches (recorders, files)
        self.observers: list[Callable[[list[Event]], None]] = []
        self.publisher = MdPublisher(engine, symbols, self._send, now_ns)
        self._orders: dict[int, _Order] = {}
        self._by_cl: dict[tuple[str, str], int] = {}
        self._exec_seq = 0
        self._ctx_cl: dict[int, tuple[str, str]] = {}  # order id -> (new 11, orig 41)
        self._mq_groups = venue_dictionary().messages["i"].groups
        self._qc_groups = venue_dictionary().messages["Z"].groups
        self._header = venue_dictionary().header

    # --------------------------------------------------------------- plumbing
    def _send(self, session: Session, msg_type: str, body: Body) -> None:
        if session.is_logged_on:
            session.send(msg_type, body)
            self.touched.add(session)

    def _to_member(self, member: str, msg_type: str, body: Body) -> None:
        session = self.sessions.get(member)
        if session is not None:
            self._send(session, msg_type, body)

    def take_touched(self) -> set[Session]:
        touched, self.touched = self.touched, set()
        return touched

    # ------------------------------------------------------- session events
    def on_logon(self, session: Session) -> None:
        member = session.config.target_comp_id
        self.sessions[member] = session
        self.log(f"logon {member}")

    def on_logout(self, session: Session) -> None:
        text = f": {session.logout_text}" if session.logout_text else ""
        self.log(f"logout {session.config.target_comp_id}{text}")

    def on_disconnect(self, session: Session) -> None:
        member = session.config.target_comp_id
        why = f": {session.last_error}" if session.last_error else ""
        self.log(f"disconnect {member}{why}")
        session.last_error = None
        if self.sessions.get(member) is session:
            del self.sessions[member]
        self.publisher.drop_session(session)
        m = self.members.get(member)
        if m is not None and m.cancel_on_disconnect:
            events = self.engine.cancel_all(member, self.now_ns())
            n = sum(1 for e in events if type(e) is Cancelled)
            if n:
                self.log(f"cancel-on-disconnect {member}: {n} orders cancelled")
            self.dispatch(events)

    def on_message(self, session: Session, msg: RawMessage) -> None:
        mt = msg.msg_type
        member = session.config.target_comp_id
        if mt == "D":
            self._new_order(session, member, msg)
        elif mt == "F":
            self._cancel(session, member, msg)
        elif mt == "G":
            self._replace(session, member, msg)
        elif mt == "i":
            self._mass_quote(session, member, msg)
        elif mt == "Z":
            self._quote_cancel(session, member, msg)
        elif mt == "V":
            self.publisher.handle_request(session, msg)
        else:
            raise UnsupportedMessageType(mt)

    # ------------------------------------------------------------ conversions
    def _spec(self, symbol: str | None) -> SymbolSpec:
        spec = self.specs.get(symbol or "")
        if spec is None:
            raise OrderRefused(f"unknown symbol {symbol!r}", "1")
        return spec

    @staticmethod
    def _decimal(text: str | None, name: str) -> Decimal:
        if text is None:
            raise OrderRefused(f"{name} missing")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise OrderRefused(f"{name} {text!r} is not a number") from None
        if not value.is_finite():
            raise OrderRefused(f"{name} {text!r} is not a number")
        return value

    def _ticks(self, spec: SymbolSpec, text: str | None) -> int:
        px = self._decimal(text, "price")
        ticks = spec.to_ticks(px)
        if ticks is None:
            raise OrderRefused(f"price {px} is not a positive multiple of the tick {spec.tick}")
        return ticks

    def _lots(self, spec: SymbolSpec, text: str | None) -> int:
        qty = self._decimal(text, "quantity")
        lots = spec.to_lots(qty)
        if lots is None:
            raise OrderRefused(f"quantity {qty} is not a positive multiple of the lot {spec.lot}")
        return lots

    def reject_text(self, e: Rejected) -> str:
        """A clear one-line reason for an engine rejection."""
        spec = self.specs.get(e.symbol)
        r = e.reason
        if r is RejectReason.UNKNOWN_SYMBOL:
            return f"unknown symbol {e.symbol!r}"
        if r is RejectReason.UNKNOWN_ORDER:
            return "unknown order (not live or not yours)"
        if r is RejectReason.THROTTLED:
            t = self.engine.rules.throttle
            if t is not None:
                return f"throttled: more than {t.max_msgs} order messages in {t.window_ms} ms"
            return "throttled"
        if r is RejectReason.POST_ONLY_WOULD_CROSS:
            return "post-only order would cross the book"
        if r is RejectReason.MARKET_CLOSED:
            return f"order entry refused: market is {self.engine.phase(e.symbol).value}"
        if r is RejectReason.IOC_IN_AUCTION:
            return "IOC orders are refused during the auction"
        if r is RejectReason.MAX_QTY and spec is not None:
            return f"quantity above the maximum order quantity of {spec.max_order_qty} lots"
        if r is RejectReason.PRICE_BAND and spec is not None:
            ref = self.engine.reference_px(e.symbol)
            ref_text = "" if ref is None else f" around the reference {spec.px(ref)}"
            return f"price outside the band of {spec.price_band_bps} bps{ref_text}"
        if r is RejectReason.QTY_NOT_ABOVE_FILLED:
            return "new order quantity is not above the filled quantity"
        if r is RejectReason.BAD_PRICE:
            return "price must be a positive multiple of the tick"
        if r is RejectReason.BAD_QTY:
            return "quantity must be a positive multiple of the lot"
        return f"rejected: {r.value}{' ' + e.text if e.text else ''}"

    # -------------------------------------------------------- order entry
    def _new_order(self, session: Session, member: str, msg: RawMessage) -> None:
        v = msg.values
        cl = v.get(CL_ORD_ID, "")
        symbol = v.get(SYMBOL, "")
        side_text = v.get(SIDE, "")
        now = self.now_ns()
        try:
            spec = self._spec(symbol)
            side = _SIDE_IN.get(side_text)
            if side is None:
                raise OrderRefused(f"unsupported side {side_text!r} (1 buy, 2 sell)")
            if v.get(ORD_TYPE) != "2":
                raise OrderRefused("only limit orders (40=2) are accepted")
            tif = v.get(TIME_IN_FORCE, "0")
            if tif not in _TIF:
                raise OrderRefused(f"unsupported TimeInForce {tif!r} (0 day, 1 GTC, 3 IOC)")
            if (member, cl) in self._by_cl:
                raise OrderRefused(f"duplicate ClOrdID {cl!r} of a live order", "6")
            px = self._ticks(spec, v.get(PRICE))
            qty = self._lots(spec, v.get(ORDER_QTY))
        except OrderRefused as e:
            self._reject_order(session, member, msg, e.text, e.reason, now)
            return
        post_only = "6" in (v.get(EXEC_INST) or "").split()
        events = self.engine.submit(
            member, symbol, side, px, qty, now, post_only=post_only, ioc=tif == "3"
        )
        first = events[0]
        if type(first) is Rejected:
            self._reject_order(
                session,
                member,
                msg,
                self.reject_text(first),
                _ORD_REJ.get(first.reason, "99"),
                first.ts_ns,
            )
            return
        assert isinstance(first, Accepted)
        o = _Order(
            first.order_id, member, symbol, side, cl, first.px, qty, tif, post_only, quote=False
        )
        self._orders[o.order_id] = o
        self._by_cl[(member, cl)] = o.order_id
        self.dispatch(events)

    def _reject_order(
        self, session: Session, member: str, msg: RawMessage, text: str, reason: str, ts_ns: int
    ) -> None:
        v = msg.values
        self.log(f"reject {member} NewOrderSingle 11={v.get(CL_ORD_ID, '')}: {text}")
        body: Body = [
            (ORDER_ID, "NONE"),
            (CL_ORD_ID, v.get(CL_ORD_ID, "")),
            (EXEC_ID, self._exec_id()),
            (150, "8"),
            (ORD_STATUS, "8"),
            (ORD_REJ_REASON, reason),
            (SYMBOL, v.get(SYMBOL, "")),
            (SIDE, v.get(SIDE, "1") if v.get(SIDE) in _SIDE_IN else "1"),
            (LEAVES_QTY, "0"),
            (CUM_QTY, "0"),
            (AVG_PX, "0"),
            (TRANSACT_TIME, format_utc(ts_ns, "us")),
            (TEXT, text),
        ]
        for tag in (ORDER_QTY, PRICE):
            val = v.get(tag)
            if val is not None and _is_number(val):
                body.append((tag, val))
        self._send(session, "8", body)

    def _live(self, member: str, msg: RawMessage) -> _Order | None:
        oid = self._by_cl.get((member, msg.values.get(ORIG_CL_ORD_ID, "")))
        return None if oid is None else self._orders.get(oid)

    def _cancel(self, session: Session, member: str, msg: RawMessage) -> None:
        o = self._live(member, msg)
        if o is None:
            self._cancel_reject(session, member, msg, "1", "unknown order (OrigClOrdID)", "1")
            return
        self._ctx_cl[o.order_id] = (msg.values.get(CL_ORD_ID, ""), o.cl_ord_id)
        events = self.engine.cancel(member, o.order_id, self.now_ns())
        first = events[0]
        if type(first) is Rejected:
            self._ctx_cl.pop(o.order_id, None)
            self._cancel_reject(session, member, msg, "1", self.reject_text(first), "1", o)
            return
        self.dispatch(events)

    def _replace(self, session: Session, member: str, msg: RawMessage) -> None:
        o = self._live(member, msg)
        v = msg.values
        if o is None:
            self._cancel_reject(session, member, msg, "2", "unknown order (OrigClOrdID)", "1")
            return
        spec = self.specs[o.symbol]
        try:
            if v.get(SYMBOL, o.symbol) != o.symbol or _SIDE_IN.get(v.get(SIDE, "")) != o.side:
                raise OrderRefused("symbol and side cannot change on replace")
            px = o.px if v.get(PRICE) is None else self._ticks(spec, v.get(PRICE))
            qty = o.order_qty if v.get(ORDER_QTY) is None else self._lots(spec, v.get(ORDER_QTY))
            cl = v.get(CL_ORD_ID, "")
            if (member, cl) in self._by_cl:
                raise OrderRefused(f"duplicate ClOrdID {cl!r} of a live order")
        except OrderRefused as e:
            self._cancel_reject(session, member, msg, "2", e.text, "99", o)
            return
        self._ctx_cl[o.order_id] = (cl, o.cl_ord_id)
        events = self.engine.replace(member, o.order_id, px, qty, self.now_ns())
        first = events[0]
        if type(first) is Rejected:
            self._ctx_cl.pop(o.order_id, None)
            self._cancel_reject(session, member, msg, "2", self.reject_text(first), "99", o)
            return
        self.dispatch(events)

    def _cancel_reject(
        self,
        session: Session,
        member: str,
        msg: RawMessage,
        response_to: str,
        text: str,
        reason: str,
        o: _Order | None = None,
    ) -> None:
        v = msg.values
        what = "OrderCancelRequest" if response_to == "1" else "OrderCancelReplaceRequest"
        self.log(f"reject {member} {what} 41={v.get(ORIG_CL_ORD_ID, '')}: {text}")
        self._send(
            session,
            "9",
            [
                (ORDER_ID, "NONE" if o is None else str(o.order_id)),
                (CL_ORD_ID, v.get(CL_ORD_ID, "")),
                (ORIG_CL_ORD_ID, v.get(ORIG_CL_ORD_ID, "")),
                (ORD_STATUS, "8" if o is None else ("1" if o.cum else "0")),
                (CXL_REJ_RESPONSE_TO, response_to),
                (CXL_REJ_REASON, reason),
                (TEXT, text),
            ],
        )

    # ----------------------------------------------------------- mass quotes
    def _mass_quote(self, session: Session, member: str, msg: RawMessage) -> None:
        body = [f for f in msg.fields[3:-1] if f[0] not in self._header]
        _, groups = split_groups(body, self._mq_groups)
        # (set id, tot entries, [entry fields as dicts])
        sets: list[tuple[str, list[dict[int, str]]]] = []
        for tag, _g, instances in groups:
            if tag != NO_QUOTE_SETS:
                continue
            for inst, nested in instances:
                set_id = dict(inst).get(QUOTE_SET_ID, "")
                entries = [dict(e) for _t, _gg, ei in nested for e, _n in ei]
                sets.append((set_id, entries))
        now = self.now_ns()
        # per symbol: levels in message order; entry -> problems
        per_symbol: dict[str, list[dict[int, str]]] = {}
        problems: dict[int, tuple[str, str]] = {}  # id(entry) -> (368 reason, text)
        for _set_id, entries in sets:
            for e in entries:
                per_symbol.setdefault(e.get(SYMBOL, ""), []).append(e)
        accepted_any = False
        for symbol, entries in per_symbol.items():
            spec = self.specs.get(symbol)
            if spec is None:
                for e in entries:
                    problems[id(e)] = ("1", f"unknown symbol {symbol!r}")
                continue
            bids: list[tuple[int, int]] = []
            asks: list[tuple[int, int]] = []
            for e in entries:
                for px_tag, qty_tag, out in (
                    (BID_PX, BID_SIZE, bids),
                    (OFFER_PX, OFFER_SIZE, asks),
                ):
                    level = (0, 0)
                    qty_text = e.get(qty_tag)
                    if e.get(px_tag) is not None and qty_text is not None:
                        try:
                            if self._decimal(qty_text, "size") != 0:
                                level = (
                                    self._ticks(spec, e.get(px_tag)),
                                    self._lots(spec, qty_text),
                                )
                        except OrderRefused as err:
                            problems[id(e)] = (
                                "8",
                                f"entry {e.get(QUOTE_ENTRY_ID, '')}: {err.text}",
                            )
                    out.append(level)
                if id(e) in problems:  # an entry is all or nothing: withdraw both sides
                    bids[-1] = asks[-1] = (0, 0)
            events = self.engine.mass_quote(member, symbol, bids, asks, now)
            first = events[0] if events else None
            if type(first) is Rejected:
                text = self.reject_text(first)
                for e in entries:
                    problems.setdefault(id(e), (_QUOTE_REJ.get(first.reason, "99"), text))
                continue
            self._register_quotes(member, symbol, entries, events)
            for ev in events:
                if type(ev) is QuoteStatus and not ev.accepted and ev.reason is not None:
                    e = entries[ev.level]
                    problems.setdefault(
                        id(e),
                        (
                            _QUOTE_REJ.get(ev.reason, "99"),
                            f"entry {e.get(QUOTE_ENTRY_ID, '')}: {ev.reason.value}",
                        ),
                    )
            accepted_any = accepted_any or any(id(e) not in problems for e in entries)
            self.dispatch(events)
        all_rejected = not accepted_any
        ack: Body = [(QUOTE_ID, msg.values.get(QUOTE_ID, ""))]
        ack.append((QUOTE_STATUS, "5" if all_rejected else "0"))
        if all_rejected:
            ack.append((QUOTE_REJECT_REASON, "99"))
        texts = [problems[id(e)][1] for _s, es in sets for e in es if id(e) in problems]
        if texts:
            ack.append((TEXT, "; ".join(dict.fromkeys(texts))))
            self.log(f"reject {member} MassQuote 117={msg.values.get(QUOTE_ID, '')}: {texts[0]}")
        ack.append((NO_QUOTE_SETS, str(len(sets))))
        for set_id, entries in sets:
            ack += [
                (QUOTE_SET_ID, set_id),
                (TOT_NO_QUOTE_ENTRIES, str(len(entries))),
                (NO_QUOTE_ENTRIES, str(len(entries))),
            ]
            for e in entries:
                ack.append((QUOTE_ENTRY_ID, e.get(QUOTE_ENTRY_ID, "")))
                ack.append((SYMBOL, e.get(SYMBOL, "")))
                for tag in (BID_PX, OFFER_PX, BID_SIZE, OFFER_SIZE):
                    val = e.get(tag)
                    if val is not None:
                        ack.append((tag, val))
                if id(e) in problems:
                    ack.append((QUOTE_ENTRY_REJECT_REASON, problems[id(e)][0]))
        self._send(session, "b", ack)

    def _register_quotes(
        self, member: str, symbol: str, entries: list[dict[int, str]], events: list[Event]
    ) -> None:
        accepted = {e.order_id: e for e in events if type(e) is Accepted}
        for ev in events:
            if type(ev) is not QuoteStatus or ev.order_id is None:
                continue
            entry_id = entries[ev.level].get(QUOTE_ENTRY_ID, "")
            o = self._orders.get(ev.order_id)
            if o is not None:
                o.cl_ord_id = entry_id
                live = self.engine.order(ev.order_id)
                if live is not None:
                    o.order_qty = o.cum + live.qty
                continue
            acc = accepted.get(ev.order_id)
            if acc is None:
                continue
            self._orders[ev.order_id] = _Order(
                ev.order_id, member, symbol, ev.side, entry_id, acc.px, acc.qty, "1", False, True
            )

    def _quote_cancel(self, session: Session, member: str, msg: RawMessage) -> None:
        v = msg.values
        kind = v.get(QUOTE_CANCEL_TYPE, "")
        now = self.now_ns()
        quote_id = v.get(QUOTE_ID, "")
        if kind == "4":
            self.dispatch(self.engine.cancel_quotes(member, None, now))
            self._send(session, "b", [(QUOTE_ID, quote_id), (QUOTE_STATUS, "4")])
            return
        if kind != "1":
            text = f"unsupported QuoteCancelType {kind!r} (1 by symbol, 4 all)"
            self.log(f"reject {member} QuoteCancel 117={quote_id}: {text}")
            self._send(
                session,
                "b",
                [
                    (QUOTE_ID, quote_id),
                    (QUOTE_STATUS, "5"),
                    (QUOTE_REJECT_REASON, "99"),
                    (TEXT, text),
                ],
            )
            return
        body = [f for f in msg.fields[3:-1] if f[0] not in self._header]
        _, groups = split_groups(body, self._qc_groups)
        symbols = [
            val for _t, _g, inst in groups for fs, _n in inst for t, val in fs if t == SYMBOL
        ]
        unknown = [s for s in symbols if s not in self.specs]
        if unknown or not symbols:
            text = f"unknown symbol {', '.join(unknown)}" if unknown else "no symbol to cancel"
            self.log(f"reject {member} QuoteCancel 117={quote_id}: {text}")
            self._send(
                session,
                "b",
                [
                    (QUOTE_ID, quote_id),
                    (QUOTE_STATUS, "5"),
                    (QUOTE_REJECT_REASON, "1"),
                    (TEXT, text),
                ],
            )
            return
        for sym in dict.fromkeys(symbols):
            self.dispatch(self.engine.cancel_quotes(member, sym, now))
        self._send(session, "b", [(QUOTE_ID, quote_id), (QUOTE_STATUS, "1")])

    # ------------------------------------------------------------- events
    def _exec_id(self) -> str:
        self._exec_seq += 1
        return str(self._exec_seq)

    def _report(
        self,
        o: _Order,
        exec_type: str,
        status: str,
        leaves: int,
        ts_ns: int,
        extra: Body = (),  # type: ignore[assignment]
        cl: tuple[str, str] | None = None,
    ) -> None:
        spec = self.specs[o.symbol]
        body: Body = [(ORDER_ID, str(o.order_id))]
        if cl is None:
            body.append((CL_ORD_ID, o.cl_ord_id))
        else:
            body += [(CL_ORD_ID, cl[0]), (ORIG_CL_ORD_ID, cl[1])]
        if o.cum:
            avg = spec.tick * Decimal(o.notional) / Decimal(o.cum)
            avg_text = format(avg.normalize(), "f")
        else:
            avg_text = "0"
        body += [
            (EXEC_ID, self._exec_id()),
            (150, exec_type),
            (ORD_STATUS, status),
            (SYMBOL, o.symbol),
            (SIDE, _SIDE_OUT[o.side]),
            (ORDER_QTY, format(spec.qty(o.order_qty), "f")),
            (ORD_TYPE, "2"),
            (PRICE, format(spec.px(o.px), "f")),
            (TIME_IN_FORCE, o.tif),
            (LEAVES_QTY, format(spec.qty(leaves), "f")),
            (CUM_QTY, format(spec.qty(o.cum), "f")),
            (AVG_PX, avg_text),
            (TRANSACT_TIME, format_utc(ts_ns, "us")),
        ]
        if o.post_only:
            body.append((EXEC_INST, "6"))
        body.extend(extra)
        self._to_member(o.member, "8", body)

    def dispatch(self, events: Iterable[Event]) -> None:
        """Turn engine events into ExecutionReports (members) and market data (subscribers)."""
        events = list(events)
        orders = self._orders
        for e in events:
            cls = type(e)
            if cls is Fill:
                assert isinstance(e, Fill)
                for oid, leaves, fee, liquidity in (
                    (e.maker_order_id, e.maker_leaves, e.maker_fee, "1"),
                    (e.taker_order_id, e.taker_leaves, e.taker_fee, "2"),
                ):
                    o = orders.get(oid)
                    if o is None:
                        continue
                    o.cum += e.qty
                    o.notional += e.px * e.qty
                    spec = self.specs[o.symbol]
                    extra: Body = [
                        (LAST_QTY, format(spec.qty(e.qty), "f")),
                        (LAST_PX, format(spec.px(e.px), "f")),
                        (COMMISSION, format(fee, "f")),
                        (COMM_TYPE, "3"),
                        (LAST_LIQUIDITY_IND, liquidity),
                    ]
                    self._report(o, "F", "1" if leaves else "2", leaves, e.ts_ns, extra)
                    if not leaves:
                        self._forget(o)
            elif cls is Accepted:
                assert isinstance(e, Accepted)
                o = orders.get(e.order_id)
                if o is None or o.quote:
                    continue
                o.px = e.px
                extra = (
                    [(TEXT, f"post-only price slid to {self.specs[o.symbol].px(e.px)}")]
                    if e.slid
                    else []
                )
                self._report(o, "0", "0", e.qty, e.ts_ns, extra)
            elif cls is Cancelled:
                assert isinstance(e, Cancelled)
                o = orders.get(e.order_id)
                if o is None:
                    continue
                self._forget(o)
                if o.quote and e.reason in _QUIET_QUOTE_CANCELS:
                    continue
                cl = (
                    self._ctx_cl.pop(e.order_id, None)
                    if e.reason is CancelReason.REQUESTED
                    else None
                )
                text = _CANCEL_TEXT[e.reason]
                self._report(o, "4", "4", 0, e.ts_ns, [(TEXT, text)] if text else [], cl)
            elif cls is Replaced:
                assert isinstance(e, Replaced)
                o = orders.get(e.order_id)
                if o is None:
                    continue
                cl = self._ctx_cl.pop(e.order_id, None)
                if cl is not None:
                    self._by_cl.pop((o.member, o.cl_ord_id), None)
                    o.cl_ord_id = cl[0]
                    self._by_cl[(o.member, o.cl_ord_id)] = o.order_id
                o.px = e.px
                o.order_qty = o.cum + e.qty
                text = "priority kept" if e.priority_kept else "priority lost"
                self._report(o, "5", "1" if o.cum else "0", e.qty, e.ts_ns, [(TEXT, text)], cl)
            elif cls is ProtectionTriggered:
                assert isinstance(e, ProtectionTriggered)
                self.log(f"protection {e.kind} {e.member} {e.symbol}: {e.text}")
            elif cls is PhaseChanged:
                assert isinstance(e, PhaseChanged)
                flag = " stressed" if e.stressed else ""
                why = f" ({e.reason})" if e.reason else ""
                self.log(f"phase {e.symbol} {e.phase.value}{flag}{why}")
        if any(type(e) in (BookChanged, TradePrinted, PhaseChanged) for e in events):
            self.publisher.on_events(events)
        for observe in self.observers:
            observe(events)

    def _forget(self, o: _Order) -> None:
        self._orders.pop(o.order_id, None)
        if self._by_cl.get((o.member, o.cl_ord_id)) == o.order_id:
            del self._by_cl[(o.member, o.cl_ord_id)]

    def live_orders(self, member: str) -> list[tuple[str, int]]:
        """(ClOrdID, order id) of a member's live orders known to the gateway."""
        return [(o.cl_ord_id, o.order_id) for o in self._orders.values() if o.member == member]


def _is_number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False
