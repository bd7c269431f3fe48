"""The venue's market data over FIX: subscriptions, W snapshots, X incrementals, Y, SecurityStatus.

What it does:
- MarketDataRequest (35=V): 263=0 snapshot only, 263=1 snapshot + updates,
  263=2 unsubscribe (by MDReqID). 264 MarketDepth N (0 = full; capped at the
  engine's published depth), 267/269 entry types 0 bid, 1 offer, 2 trade,
  146/55 symbols. 265 MDUpdateType must be absent or 1 (incremental).
- MarketDataSnapshotFullRefresh (35=W) of the top N levels per symbol, then
  MarketDataIncrementalRefresh (35=X) on every change of those N levels and on
  every trade. X entries are keyed by price: 279=2 deletes a price level that
  left the top N, 279=0 adds one that entered it, 279=1 changes its size; the
  deletes of one update come first. 1023 MDPriceLevel is the level's 1-based
  position (after the update for new/change, before it for a delete). A trade
  is `269=2` with 270/271 and 2446 AggressorSide (1 buy, 2 sell).
- MarketDataRequestReject (35=Y): unknown symbol (281=0), duplicate MDReqID
  (1), unsupported update type (5) or entry type (8), bad depth (4).
- SecurityStatus (35=f) per symbol right after the snapshot and, to the
  symbol's subscribers, on every trading phase or stressed-flag change:
  326 SecurityTradingStatus (17 open, 2 halt, 21 pre-open/auction, 18
  closed) and user-defined 20001
  StressedMarket Y/N, 58 the reason when known.
- Every entry carries SIMULATION time: 272 MDEntryDate + 273 MDEntryTime
  (microseconds); SecurityStatus carries 60 TransactTime (sim).

`venue_dictionary()` is the FIX 4.4 dictionary extended with what the venue
sends beyond the compact built-in one (1023, 2446, 326, 20001, message f);
both ends of a venue session should validate with it.

Not here: order entry (`gateway`), sockets and pumping (`server`), the book.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from quoter.fix.codec.framing import RawMessage
from quoter.fix.codec.tags import (
    AGGRESSOR_SIDE,
    MARKET_DEPTH,
    MD_ENTRY_DATE,
    MD_ENTRY_PX,
    MD_ENTRY_SIZE,
    MD_ENTRY_TIME,
    MD_ENTRY_TYPE,
    MD_PRICE_LEVEL,
    MD_REQ_ID,
    MD_REQ_REJ_REASON,
    MD_UPDATE_ACTION,
    MD_UPDATE_TYPE,
    NO_MD_ENTRIES,
    NO_MD_ENTRY_TYPES,
    NO_RELATED_SYM,
    SECURITY_TRADING_STATUS,
    STRESSED_MARKET,
    SUBSCRIPTION_REQUEST_TYPE,
    SYMBOL,
    TEXT,
    TRANSACT_TIME,
)
from quoter.fix.codec.times import format_utc
from quoter.fix.dictionary import Dictionary, FieldDef, MessageDef
from quoter.fix.session import Session
from quoter.fix.validation import split_groups
from quoter.venue.events import BookChanged, Event, PhaseChanged, TradePrinted, TradingPhase
from quoter.venue.matching import MatchingEngine
from quoter.venue.rules import SymbolSpec

Body = list[tuple[int, str]]
Sender = Callable[[Session, str, Body], None]
Levels = tuple[tuple[int, int], ...]


BID, OFFER, TRADE = "0", "1", "2"
NEW, CHANGE, DELETE = "0", "1", "2"

TRADING_STATUS = {
    TradingPhase.OPEN: "17",
    TradingPhase.HALT: "2",
    TradingPhase.AUCTION: "21",
    TradingPhase.CLOSED: "18",
}

# MDReqRejReason
REJ_UNKNOWN_SYMBOL = "0"
REJ_DUPLICATE_ID = "1"
REJ_DEPTH = "4"
REJ_UPDATE_TYPE = "5"
REJ_ENTRY_TYPE = "8"


@cache
def venue_dictionary() -> Dictionary:
    """FIX 4.4 dictionary plus the venue's market-data additions (see module doc)."""
    base = Dictionary.fix44()
    fields = dict(base.fields)
    extra = [
        FieldDef(MD_PRICE_LEVEL, "MDPriceLevel", "INT", None),
        FieldDef(AGGRESSOR_SIDE, "AggressorSide", "CHAR", frozenset("12")),
        FieldDef(SECURITY_TRADING_STATUS, "SecurityTradingStatus", "INT", None),
        FieldDef(STRESSED_MARKET, "StressedMarket", "BOOLEAN", frozenset("YN")),
        FieldDef(324, "SecurityStatusReqID", "STRING", None),
    ]
    for fd in extra:
        fields[fd.tag] = fd
    messages = dict(base.messages)
    for mt in ("W", "X"):
        m = messages[mt]
        g = m.groups[NO_MD_ENTRIES]
        g2 = dataclasses.replace(
            g,
            members=g.members | {MD_PRICE_LEVEL, AGGRESSOR_SIDE},
            order=(*g.order, MD_PRICE_LEVEL, AGGRESSOR_SIDE),
        )
        messages[mt] = dataclasses.replace(m, groups={**m.groups, NO_MD_ENTRIES: g2})
    f_order = (324, SYMBOL, SECURITY_TRADING_STATUS, TRANSACT_TIME, TEXT, STRESSED_MARKET)
    messages["f"] = MessageDef(
        "f", "SecurityStatus", False, frozenset(f_order), f_order, frozenset(), {}
    )
    return dataclasses.replace(base, fields=fields, messages=messages, checks={}, enums={})


def entry_time(ts_ns: int) -> tuple[str, str]:
    """(MDEntryDate, MDEntryTime) of a simulation time, microsecond precision."""
    text = format_utc(ts_ns, "us")
    return text[:8], text[9:]


def _level_updates(old: Levels, new: Levels) -> list[tuple[str, int, int, int]]:
    """(action, px, qty, level) changes turning `old` top levels into `new`, deletes first."""
    old_px = {px: (q, i) for i, (px, q) in enumerate(old, 1)}
    new_px = {px for px, _ in new}
    out = [(DELETE, px, q, i) for px, (q, i) in old_px.items() if px not in new_px]
    for i, (px, q) in enumerate(new, 1):
        prev = old_px.get(px)
        if prev is None:
            out.append((NEW, px, q, i))
        elif prev[0] != q:
            out.append((CHANGE, px, q, i))
    return out


@dataclass(frozen=True, slots=True)
class Subscription:
    """One live MarketDataRequest of one session."""

    session: Session
    req_id: str
    symbols: tuple[str, ...]
    depth: int
    book: bool  # bids/offers wanted
    bids: bool
    offers: bool
    trades: bool


class MdRequestError(Exception):
    """A MarketDataRequest the venue refuses: (MDReqRejReason, text)."""

    def __init__(self, reason: str, text: str) -> None:
        super().__init__(text)
        self.reason = reason
        self.text = text


class MdPublisher:
    """Market-data fan-out for one engine. `send(session, msg_type, body)` writes a message."""

    def __init__(
        self,
        engine: MatchingEngine,
        symbols: Sequence[SymbolSpec],
        send: Sender,
        now_ns: Callable[[], int],
    ) -> None:
        self.engine = engine
        self.send = send
        self.now_ns = now_ns
        self.depth = engine.rules.book_depth or 0
        self._specs = {s.symbol: s for s in symbols}
        self._subs: dict[str, list[Subscription]] = {s.symbol: [] for s in symbols}
        self._by_session: dict[Session, dict[str, Subscription]] = {}
        self._top: dict[str, tuple[Levels, Levels]] = {}
        self._stressed: dict[str, bool] = {s.symbol: False for s in symbols}
        self._reason: dict[str, str] = {s.symbol: "" for s in symbols}
        for s in symbols:
            self._top[s.symbol] = engine.book(s.symbol).top(self.depth) if self.depth else ((), ())

    # ------------------------------------------------------------ requests
    def handle_request(self, session: Session, msg: RawMessage) -> None:
        """Answer one MarketDataRequest (W + f per symbol, Y on refusal, nothing on 263=2)."""
        req_id = msg.values.get(MD_REQ_ID, "")
        kind = msg.values.get(SUBSCRIPTION_REQUEST_TYPE, "")
        try:
            if kind == "2":
                self.unsubscribe(session, req_id)
                return
            sub = self._parse(session, msg)
        except MdRequestError as e:
            self.send(
                session,
                "Y",
                [(MD_REQ_ID, req_id), (MD_REQ_REJ_REASON, e.reason), (TEXT, e.text)],
            )
            return
        if kind == "1":
            self._by_session.setdefault(session, {})[req_id] = sub
            for sym in sub.symbols:
                self._subs[sym].append(sub)
        ts = self.now_ns()
        for sym in sub.symbols:
            self.send(session, "W", self._snapshot(sub, sym, ts))
            self.send(session, "f", self._status(sym, ts))

    def unsubscribe(self, session: Session, req_id: str) -> None:
        sub = self._by_session.get(session, {}).pop(req_id, None)
        if sub is None:
            raise MdRequestError(REJ_UNKNOWN_SYMBOL, f"no subscription with MDReqID {req_id!r}")
        for sym in sub.symbols:
            self._subs[sym].remove(sub)

    def drop_session(self, session: Session) -> None:
        """Forget every subscription of a session (logout / disconnect)."""
        for sub in self._by_session.pop(session, {}).values():
            for sym in sub.symbols:
                self._subs[sym].remove(sub)

    def subscriptions(self, session: Session) -> list[Subscription]:
        return list(self._by_session.get(session, {}).values())

    def _parse(self, session: Session, msg: RawMessage) -> Subscription:
        v = msg.values
        req_id = v.get(MD_REQ_ID, "")
        if req_id in self._by_session.get(session, {}):
            raise MdRequestError(REJ_DUPLICATE_ID, f"MDReqID {req_id!r} is already subscribed")
        if v.get(MD_UPDATE_TYPE, "1") != "1":
            raise MdRequestError(REJ_UPDATE_TYPE, "only incremental refresh (265=1) is supported")
        depth_text = v.get(MARKET_DEPTH, "0")
        if not depth_text.isdigit():
            raise MdRequestError(REJ_DEPTH, f"bad MarketDepth {depth_text!r}")
        depth = int(depth_text)
        depth = self.depth if depth == 0 else min(depth, self.depth)
        mdef = venue_dictionary().messages["V"]
        body = [f for f in msg.fields[3:-1] if f[0] not in venue_dictionary().header]
        _, groups = split_groups(body, mdef.groups)
        types: set[str] = set()
        symbols: list[str] = []
        for tag, _g, instances in groups:
            for inst, _nested in instances:
                for t, val in inst:
                    if tag == NO_MD_ENTRY_TYPES and t == MD_ENTRY_TYPE:
                        types.add(val)
                    elif tag == NO_RELATED_SYM and t == SYMBOL:
                        symbols.append(val)
        bad_types = types - {BID, OFFER, TRADE}
        if bad_types:
            raise MdRequestError(
                REJ_ENTRY_TYPE, f"unsupported MDEntryType {', '.join(sorted(bad_types))}"
            )
        unknown = [s for s in symbols if s not in self._specs]
        if unknown or not symbols:
            raise MdRequestError(
                REJ_UNKNOWN_SYMBOL,
                f"unknown symbol {', '.join(unknown)}" if unknown else "no symbol requested",
            )
        return Subscription(
            session,
            req_id,
            tuple(dict.fromkeys(symbols)),
            depth,
            BID in types or OFFER in types,
            BID in types,
            OFFER in types,
            TRADE in types,
        )

    # ------------------------------------------------------------- messages
    def _fmt_px(self, symbol: str, ticks: int) -> str:
        return format(self._specs[symbol].px(ticks), "f")

    def _fmt_qty(self, symbol: str, lots: int) -> str:
        return format(self._specs[symbol].qty(lots), "f")

    def _snapshot(self, sub: Subscription, symbol: str, ts_ns: int) -> Body:
        bids, asks = self._top[symbol]
        date, tm = entry_time(ts_ns)
        entries: Body = []
        n = 0
        for typ, levels, wanted in ((BID, bids, sub.bids), (OFFER, asks, sub.offers)):
            if not wanted:
                continue
            for i, (px, q) in enumerate(levels[: sub.depth], 1):
                entries += [
                    (MD_ENTRY_TYPE, typ),
                    (MD_ENTRY_PX, self._fmt_px(symbol, px)),
                    (MD_ENTRY_SIZE, self._fmt_qty(symbol, q)),
                    (MD_ENTRY_DATE, date),
                    (MD_ENTRY_TIME, tm),
                    (MD_PRICE_LEVEL, str(i)),
                ]
                n += 1
        return [(MD_REQ_ID, sub.req_id), (SYMBOL, symbol), (NO_MD_ENTRIES, str(n)), *entries]

    def _status(self, symbol: str, ts_ns: int) -> Body:
        body: Body = [
            (SYMBOL, symbol),
            (SECURITY_TRADING_STATUS, TRADING_STATUS[self.engine.phase(symbol)]),
            (TRANSACT_TIME, format_utc(ts_ns, "us")),
        ]
        if self._reason[symbol]:
            body.append((TEXT, self._reason[symbol]))
        body.append((STRESSED_MARKET, "Y" if self._stressed[symbol] else "N"))
        return body

    # --------------------------------------------------------------- events
    def on_events(self, events: Iterable[Event]) -> None:
        """Publish the market-data consequences of engine events, in order."""
        for e in events:
            cls = type(e)
            if cls is BookChanged:
                self._book_changed(e)  # type: ignore[arg-type]
            elif cls is TradePrinted:
                self._trade(e)  # type: ignore[arg-type]
            elif cls is PhaseChanged:
                self._phase(e)  # type: ignore[arg-type]

    def _book_changed(self, e: BookChanged) -> None:
        symbol = e.symbol
        old_bids, old_asks = self._top[symbol]
        self._top[symbol] = (e.bids, e.asks)
        subs = self._subs[symbol]
        if not subs:
            return
        date, tm = entry_time(e.ts_ns)
        cache: dict[tuple[int, bool, bool], Body] = {}
        for sub in subs:
            if not sub.book:
                continue
            key = (sub.depth, sub.bids, sub.offers)
            entries = cache.get(key)
            if entries is None:
                entries = []
                d = sub.depth
                for typ, old, new, wanted in (
                    (BID, old_bids, e.bids, sub.bids),
                    (OFFER, old_asks, e.asks, sub.offers),
                ):
                    if not wanted:
                        continue
                    o, n = old[:d], new[:d]
                    if o == n:
                        continue
                    for action, px, q, level in _level_updates(o, n):
                        entries += [
                            (MD_UPDATE_ACTION, action),
                            (MD_ENTRY_TYPE, typ),
                            (SYMBOL, symbol),
                            (MD_ENTRY_PX, self._fmt_px(symbol, px)),
                        ]
                        if action != DELETE:
                            entries.append((MD_ENTRY_SIZE, self._fmt_qty(symbol, q)))
                        entries += [
                            (MD_ENTRY_DATE, date),
                            (MD_ENTRY_TIME, tm),
                            (MD_PRICE_LEVEL, str(level)),
                        ]
                cache[key] = entries
            if entries:
                count = sum(1 for t, _ in entries if t == MD_UPDATE_ACTION)
                self.send(
                    sub.session,
                    "X",
                    [(MD_REQ_ID, sub.req_id), (NO_MD_ENTRIES, str(count)), *entries],
                )

    def _trade(self, e: TradePrinted) -> None:
        subs = [s for s in self._subs[e.symbol] if s.trades]
        if not subs:
            return
        date, tm = entry_time(e.ts_ns)
        entry: Body = [
            (MD_UPDATE_ACTION, NEW),
            (MD_ENTRY_TYPE, TRADE),
            (SYMBOL, e.symbol),
            (MD_ENTRY_PX, self._fmt_px(e.symbol, e.px)),
            (MD_ENTRY_SIZE, self._fmt_qty(e.symbol, e.qty)),
            (MD_ENTRY_DATE, date),
            (MD_ENTRY_TIME, tm),
            (AGGRESSOR_SIDE, "1" if e.aggressor.value == "buy" else "2"),
        ]
        for sub in subs:
            self.send(sub.session, "X", [(MD_REQ_ID, sub.req_id), (NO_MD_ENTRIES, "1"), *entry])

    def _phase(self, e: PhaseChanged) -> None:
        self._stressed[e.symbol] = e.stressed
        self._reason[e.symbol] = e.reason
        body = self._status(e.symbol, e.ts_ns)
        seen: set[Session] = set()
        for sub in self._subs[e.symbol]:
            if sub.session not in seen:
                seen.add(sub.session)
                self.send(sub.session, "f", body)

    def stressed(self, symbol: str) -> bool:
        return self._stressed[symbol]
