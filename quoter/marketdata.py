"""Our view of the venue: books from 35=W/X, market state from 35=f, their FIX dictionary.

- `MarketData` keeps one `BookView` per subscribed symbol, keyed by price in
  integer ticks/lots: a snapshot (35=W) replaces the symbol's book; an
  incremental refresh (35=X) applies each entry (279 new/change set the level's
  size, delete removes it; 269=2 is a trade: last price). Venue time comes from
  MDEntryDate(272)+MDEntryTime(273) (or TransactTime 60): the simulation clock.
  MDPriceLevel(1023) is read but not needed: levels are keyed by price.
  `BookView.top_excluding` is the best bid/offer of everyone else (our own
  lots per price taken out, never below zero; a level entirely ours skipped).
- `parse_security_status` reads 35=f: 326 SecurityTradingStatus (17 open,
  2 halt, 21 auction, 18 closed), 60 TransactTime and the user-defined 20001
  StressedMarket Y/N.
- `market_data_request` builds a 35=V subscribe for top-N bids, offers, trades.
- `quoter_dictionary()` is the FIX 4.4 dictionary plus the tags of the venue
  contract the built-in one lacks: 1023 MDPriceLevel and 2446 AggressorSide in
  the W/X entries, 1057 AggressorIndicator on ExecutionReports, 20001.

Not here: deciding anything from the book (the strategy), sending (the app).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from quoter.fix.codec.framing import RawMessage
from quoter.fix.codec.tags import (
    AGGRESSOR_INDICATOR,
    AGGRESSOR_SIDE,
    MARKET_DEPTH,
    MD_ENTRY_DATE,
    MD_ENTRY_PX,
    MD_ENTRY_SIZE,
    MD_ENTRY_TIME,
    MD_ENTRY_TYPE,
    MD_PRICE_LEVEL,
    MD_REQ_ID,
    MD_UPDATE_ACTION,
    MD_UPDATE_TYPE,
    NO_MD_ENTRIES,
    NO_MD_ENTRY_TYPES,
    NO_RELATED_SYM,
    SECURITY_TRADING_STATUS,
    STRESSED_MARKET,
    SUBSCRIPTION_REQUEST_TYPE,
    SYMBOL,
    TRANSACT_TIME,
)
from quoter.fix.codec.times import parse_utc
from quoter.fix.dictionary import Dictionary, FieldDef, GroupDef, MessageDef
from quoter.intents import Instrument
from quoter.strategy import TopOfBook

__all__ = [
    "BookView",
    "MarketData",
    "MarketState",
    "market_data_request",
    "parse_security_status",
    "quoter_dictionary",
]


# 35=X entry fields -> position in an entry's plan (`_x_plan`)
_X_SLOTS = {
    MD_UPDATE_ACTION: 0,
    MD_ENTRY_TYPE: 1,
    MD_ENTRY_PX: 2,
    MD_ENTRY_SIZE: 3,
    SYMBOL: 4,
    MD_ENTRY_DATE: 5,
    MD_ENTRY_TIME: 6,
}

# 35=X shapes (tag sequences) -> per entry, the positions of its fields in
# `_X_SLOTS` order (-1: absent); bounded, a venue sends a handful of shapes
_X_PLANS: dict[tuple[int, ...], tuple[tuple[int, int, int, int, int, int, int], ...]] = {}


def _x_plan(tags: tuple[int, ...]) -> tuple[tuple[int, int, int, int, int, int, int], ...]:
    """Where each entry's fields sit in a 35=X of this shape, from the tags alone.

    An entry starts at MDUpdateAction; a field of `_X_SLOTS` before the first
    entry is ignored except Symbol, which applies to the entries that omit it,
    as an entry's Symbol carries over to the entries after it that omit theirs.
    """
    entries: list[tuple[int, int, int, int, int, int, int]] = []
    cur: list[int] | None = None
    sym = -1
    for pos, tag in enumerate(tags):
        i = _X_SLOTS.get(tag)
        if i is None:
            continue
        if i == 0:
            if cur is not None:
                entries.append((cur[0], cur[1], cur[2], cur[3], cur[4], cur[5], cur[6]))
                sym = cur[4]
            cur = [pos, -1, -1, -1, sym, -1, -1]
        elif cur is not None:
            cur[i] = pos
        elif i == 4:
            sym = pos
    if cur is not None:
        entries.append((cur[0], cur[1], cur[2], cur[3], cur[4], cur[5], cur[6]))
    if len(_X_PLANS) >= 256:
        _X_PLANS.clear()
    plan = _X_PLANS[tags] = tuple(entries)
    return plan


_TRADING_STATUS = {"17": "open", "2": "halt", "21": "auction", "18": "closed"}


@lru_cache(maxsize=1)
def quoter_dictionary() -> Dictionary:
    """The built-in FIX 4.4 dictionary extended with the venue contract's extra tags."""
    base = Dictionary.fix44()
    fields = dict(base.fields)
    fields[MD_PRICE_LEVEL] = FieldDef(MD_PRICE_LEVEL, "MDPriceLevel", "INT", None)
    fields[AGGRESSOR_INDICATOR] = FieldDef(
        AGGRESSOR_INDICATOR, "AggressorIndicator", "BOOLEAN", frozenset({"Y", "N"})
    )
    fields[AGGRESSOR_SIDE] = FieldDef(AGGRESSOR_SIDE, "AggressorSide", "CHAR", None)
    fields[STRESSED_MARKET] = FieldDef(
        STRESSED_MARKET, "StressedMarket", "BOOLEAN", frozenset({"Y", "N"})
    )
    messages = dict(base.messages)
    for mt in ("W", "X"):
        m = messages[mt]
        g = m.groups[NO_MD_ENTRIES]
        extra = (MD_PRICE_LEVEL, AGGRESSOR_SIDE)
        g2 = GroupDef(
            g.count_tag,
            g.delimiter,
            g.members | frozenset(extra),
            g.order + extra,
            g.required,
            g.groups,
        )
        messages[mt] = MessageDef(
            m.msg_type,
            m.name,
            m.is_admin,
            m.fields,
            m.order,
            m.required,
            {**m.groups, NO_MD_ENTRIES: g2},
        )
    er = messages["8"]
    messages["8"] = MessageDef(
        er.msg_type,
        er.name,
        er.is_admin,
        er.fields | {AGGRESSOR_INDICATOR},
        (*er.order, AGGRESSOR_INDICATOR),
        er.required,
        er.groups,
    )
    return Dictionary(
        begin_string=base.begin_string,
        fields=fields,
        header=base.header,
        header_required=base.header_required,
        trailer=base.trailer,
        trailer_required=base.trailer_required,
        messages=messages,
        msg_types=base.msg_types,
        max_standard_tag=base.max_standard_tag,
        checks={},
        enums={},
    )


def market_data_request(req_id: str, symbols: Iterable[str], depth: int) -> list[tuple[int, str]]:
    """Body of a 35=V subscribe (snapshot + incremental) to bids, offers and trades."""
    syms = list(symbols)
    body = [
        (MD_REQ_ID, req_id),
        (SUBSCRIPTION_REQUEST_TYPE, "1"),
        (MARKET_DEPTH, str(depth)),
        (MD_UPDATE_TYPE, "1"),
        (NO_MD_ENTRY_TYPES, "3"),
        (MD_ENTRY_TYPE, "0"),
        (MD_ENTRY_TYPE, "1"),
        (MD_ENTRY_TYPE, "2"),
        (NO_RELATED_SYM, str(len(syms))),
    ]
    body += [(SYMBOL, s) for s in syms]
    return body


@dataclass(frozen=True, slots=True)
class MarketState:
    """A SecurityStatus: `status` open|halt|auction|closed, the stress flag, venue time."""

    symbol: str
    status: str
    stressed: bool
    ts_ns: int | None

    @property
    def active(self) -> bool:
        """Continuous trading (open), stressed or not."""
        return self.status == "open"

    @property
    def flags(self) -> frozenset[str]:
        """The obligation states in force (DESIGN.md states): stressed, halt, auction.

        A closed market counts as `halt`, as in the venue's states file.
        """
        if self.status == "open":
            return frozenset({"stressed"}) if self.stressed else frozenset()
        if self.status in ("halt", "closed"):
            return frozenset({"halt"})
        if self.status == "auction":
            return frozenset({"auction"})
        return frozenset()

    @property
    def label(self) -> str:
        """The `state` event's state: stressed while open and stressed, else the status."""
        return "stressed" if self.stressed and self.status == "open" else self.status


def parse_security_status(msg: RawMessage) -> MarketState:
    """Read a 35=f; `ValueError` when it has no symbol."""
    v = msg.values
    sym = v.get(SYMBOL)
    if not sym:
        raise ValueError("SecurityStatus without Symbol(55)")
    status = _TRADING_STATUS.get(v.get(SECURITY_TRADING_STATUS, "17"), "other")
    ts_text = v.get(TRANSACT_TIME)
    return MarketState(
        sym, status, v.get(STRESSED_MARKET) == "Y", parse_utc(ts_text) if ts_text else None
    )


class BookView:
    """One symbol's book as the venue publishes it: price ticks -> size lots per side."""

    __slots__ = ("_px_cache", "_qty_cache", "asks", "bids", "instrument", "last_px_ticks")

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self.last_px_ticks: int | None = None
        self._px_cache: dict[str, int] = {}
        self._qty_cache: dict[str, int] = {}

    def ticks(self, text: str) -> int:
        """Exact tick count of a FIX price (`ValueError` off the grid or malformed)."""
        t = self._px_cache.get(text)
        if t is None:
            try:
                q, r = divmod(Decimal(text), self.instrument.tick)
            except InvalidOperation:
                raise ValueError(f"bad price {text!r}") from None
            if r != 0:
                raise ValueError(f"{self.instrument.symbol}: price {text} off the tick grid")
            t = int(q)
            if len(self._px_cache) > 65_536:
                self._px_cache.clear()
            self._px_cache[text] = t
        return t

    def lots(self, text: str) -> int:
        """Size in lots, rounded down to whole lots (other members may trade odd sizes)."""
        n = self._qty_cache.get(text)
        if n is None:
            try:
                n = int(Decimal(text) // self.instrument.lot)
            except InvalidOperation:
                raise ValueError(f"bad size {text!r}") from None
            if len(self._qty_cache) > 65_536:
                self._qty_cache.clear()
            self._qty_cache[text] = n
        return n

    def top(self) -> TopOfBook:
        bids, asks = self.bids, self.asks
        b = max(bids) if bids else None
        a = min(asks) if asks else None
        return TopOfBook(b, bids[b] if b is not None else 0, a, asks[a] if a is not None else 0)

    def top_excluding(self, own_bids: dict[int, int], own_asks: dict[int, int]) -> TopOfBook:
        """The best bid/offer of everyone else: each level less our own lots there.

        Never below zero; a level made only of our orders is skipped (the next one
        is best). `own_*` map price ticks to our lots (`OrderManager.own_lots`).
        Only the best `len(own) + 1` prices of a side can hold the answer, so a
        deep book costs one linear pass, not a sort.
        """
        if not own_bids and not own_asks:
            return self.top()
        b, bq = _best_others(self.bids, own_bids, heapq.nlargest)
        a, aq = _best_others(self.asks, own_asks, heapq.nsmallest)
        return TopOfBook(b, bq, a, aq)

    def best(self) -> tuple[int, int] | None:
        """(best bid, best ask) ticks when both sides exist."""
        if not self.bids or not self.asks:
            return None
        return max(self.bids), min(self.asks)


def _best_others(
    side: dict[int, int],
    own: dict[int, int],
    pick: Callable[[int, Iterable[int]], list[int]],
) -> tuple[int | None, int]:
    """(price, lots) of the best level of `side` once `own` is taken out; (None, 0) if none."""
    if not side:
        return None, 0
    px = max(side) if pick is heapq.nlargest else min(side)
    rest = side[px] - own.get(px, 0)
    if rest > 0:  # the usual case: the best level is not only ours
        return px, rest
    for px in pick(len(own) + 1, side):  # best first
        rest = side[px] - own.get(px, 0)
        if rest > 0:
            return px, rest
    # at least one of those len(own)+1 prices is not ours at all, so we only get
    # here when the book holds empty (zero-lot) levels: scan it all, in order
    ordered = sorted(side, reverse=pick is heapq.nlargest)
    for px in ordered:
        rest = side[px] - own.get(px, 0)
        if rest > 0:
            return px, rest
    return None, 0


# whole seconds already parsed: (MDEntryDate, HH:MM:SS) -> UTC ns (bounded)
_SECONDS: dict[tuple[str, str], int] = {}


def _entry_ts(date: str | None, time_text: str | None) -> int | None:
    if not date or not time_text:
        return None
    # the usual `HH:MM:SS.ffffff`: the second from the cache (parsed, and so checked,
    # by `parse_utc` once), the microseconds added; anything else: `parse_utc` whole
    if len(time_text) == 15 and time_text[8] == "." and time_text[9:].isdigit():
        key = (date, time_text[:8])
        sec_ns = _SECONDS.get(key)
        if sec_ns is None:
            if len(_SECONDS) > 4096:
                _SECONDS.clear()
            sec_ns = _SECONDS[key] = parse_utc(f"{date}-{time_text[:8]}")
        return sec_ns + int(time_text[9:]) * 1000
    return parse_utc(f"{date}-{time_text}")


class MarketData:
    """Books of the subscribed symbols, updated from W/X messages; tracks venue time."""

    def __init__(self, instruments: Iterable[Instrument]) -> None:
        self.books: dict[str, BookView] = {i.symbol: BookView(i) for i in instruments}
        self.venue_ns: int | None = None

    def _advance(self, ts: int | None) -> None:
        if ts is not None and (self.venue_ns is None or ts > self.venue_ns):
            self.venue_ns = ts

    def on_snapshot(self, msg: RawMessage) -> str | None:
        """Apply a 35=W; returns the symbol (None when not subscribed)."""
        sym = msg.values.get(SYMBOL)
        book = self.books.get(sym) if sym else None
        if book is None:
            return None
        book.bids.clear()
        book.asks.clear()
        kind = px = qty = date = tm = None
        in_group = False

        def flush() -> None:
            if kind is None or px is None:
                return
            if kind == "0" and qty is not None:
                book.bids[book.ticks(px)] = book.lots(qty)
            elif kind == "1" and qty is not None:
                book.asks[book.ticks(px)] = book.lots(qty)
            elif kind == "2":
                book.last_px_ticks = book.ticks(px)
            self._advance(_entry_ts(date, tm))

        for tag, value in msg.fields:
            if tag == NO_MD_ENTRIES:
                in_group = True
            elif not in_group:
                continue
            elif tag == MD_ENTRY_TYPE:
                flush()
                kind, px, qty, date, tm = value, None, None, None, None
            elif tag == MD_ENTRY_PX:
                px = value
            elif tag == MD_ENTRY_SIZE:
                qty = value
            elif tag == MD_ENTRY_DATE:
                date = value
            elif tag == MD_ENTRY_TIME:
                tm = value
        flush()
        book.bids = {p: q for p, q in book.bids.items() if q > 0}
        book.asks = {p: q for p, q in book.asks.items() if q > 0}
        return sym

    def on_incremental(self, msg: RawMessage) -> list[str]:
        """Apply a 35=X; returns the subscribed symbols it touched, in first-touch order."""
        touched: list[str] = []
        f = msg.fields
        tags = msg.tags
        if tags is None:  # (a message built by hand, not decoded)
            tags = tuple([t for t, _ in f])
        plan = _X_PLANS.get(tags)
        if plan is None:
            plan = _x_plan(tags)
        # where each entry's fields sit is known from the message's shape: read them
        # by position instead of walking every field (-1: not in the entry)
        seen: tuple[str | None, str | None] = (None, None)
        apply = self._apply_entry
        for ia, ik, ip, iq, isym, idt, itm in plan:
            seen = apply(
                f[ia][1],
                f[ik][1] if ik >= 0 else None,
                f[ip][1] if ip >= 0 else None,
                f[iq][1] if iq >= 0 else None,
                f[isym][1] if isym >= 0 else None,
                f[idt][1] if idt >= 0 else None,
                f[itm][1] if itm >= 0 else None,
                touched,
                seen,
            )
        return touched

    def _apply_entry(
        self,
        action: str | None,
        kind: str | None,
        px: str | None,
        qty: str | None,
        sym: str | None,
        date: str | None,
        tm: str | None,
        touched: list[str],
        seen: tuple[str | None, str | None],
    ) -> tuple[str | None, str | None]:
        """Apply one 35=X entry; returns the (date, time) last used to advance venue time."""
        if sym is None or kind is None:
            return seen
        book = self.books.get(sym)
        if book is None:
            return seen
        if kind == "2":
            if px is not None:
                book.last_px_ticks = book.ticks(px)
        elif (kind == "0" or kind == "1") and px is not None:
            side = book.bids if kind == "0" else book.asks
            # the texts' caches first (the usual case), the parsing methods on a miss
            p = book._px_cache.get(px)
            if p is None:
                p = book.ticks(px)
            if action == "2" or qty is None:
                side.pop(p, None)
            else:
                q = book._qty_cache.get(qty)
                if q is None:
                    q = book.lots(qty)
                if q > 0:
                    side[p] = q
                else:
                    side.pop(p, None)
        else:
            return seen
        if sym not in touched:
            touched.append(sym)
        if (date, tm) != seen:  # entries of one message mostly share a time
            self._advance(_entry_ts(date, tm))
            return (date, tm)
        return seen

    def on_transact_time(self, msg: RawMessage) -> None:
        """Advance venue time from a message's TransactTime(60), if any."""
        text = msg.values.get(TRANSACT_TIME)
        if text:
            self._advance(parse_utc(text))
