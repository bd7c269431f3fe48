"""Typed events the matching engine returns for every command (past tense, immutable).

Prices are integer ticks and sizes integer lots of the symbol (see
`rules.SymbolSpec.px` / `.qty` for exact decimals); fees are exact `Decimal`
amounts in the quote currency (positive paid, negative rebate). Order and
trade ids are engine-assigned ints. This module has no behaviour.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from mmsla.domain import Side

T = TypeVar("T")


def _fast_init(cls: type[T]) -> type[T]:
    """Give a frozen slots dataclass an `__init__` that stores each field through its
    slot descriptor: same signature, defaults and immutability afterwards, about
    twice as fast as dataclasses' `object.__setattr__` calls (events are the
    engine's hot path)."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    ns: dict[str, Any] = {f"_set_{n}": getattr(cls, n).__set__ for n in names}
    params = []
    for f in fields(cls):  # type: ignore[arg-type]
        if f.default is MISSING:
            params.append(f.name)
        else:
            ns[f"_def_{f.name}"] = f.default
            params.append(f"{f.name}=_def_{f.name}")
    body = "\n".join(f"    _set_{n}(self, {n})" for n in names)
    src = f"def __init__(self, {', '.join(params)}):\n{body}\n"
    exec(src, ns)  # generated from the class's own field names only
    init = ns["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


class RejectReason(StrEnum):
    UNKNOWN_SYMBOL = "unknown_symbol"
    UNKNOWN_ORDER = "unknown_order"
    BAD_PRICE = "bad_price"  # not a positive multiple of the tick
    BAD_QTY = "bad_qty"  # not a positive multiple of the lot
    MAX_QTY = "max_qty"
    PRICE_BAND = "price_band"
    THROTTLED = "throttled"
    POST_ONLY_WOULD_CROSS = "post_only_would_cross"
    MARKET_CLOSED = "market_closed"  # halt / closed phase
    IOC_IN_AUCTION = "ioc_in_auction"
    QTY_NOT_ABOVE_FILLED = "qty_not_above_filled"


class CancelReason(StrEnum):
    REQUESTED = "requested"
    IOC_REMAINDER = "ioc_remainder"
    SELF_TRADE = "self_trade"
    MMP = "mmp"
    MEMBER_CANCEL_ALL = "member_cancel_all"  # e.g. cancel-on-disconnect
    QUOTE_REPLACED = "quote_replaced"
    QUOTE_CANCEL = "quote_cancel"
    SYSTEM = "system"  # replay/synthetic liquidity withdrawn


class TradingPhase(StrEnum):
    OPEN = "open"
    HALT = "halt"
    AUCTION = "auction"
    CLOSED = "closed"


@_fast_init
@dataclass(frozen=True, slots=True)
class Accepted:
    ts_ns: int
    symbol: str
    order_id: int
    member: str
    side: Side
    px: int
    qty: int
    post_only: bool
    ioc: bool
    slid: bool = False  # post-only slid one tick behind the opposite best


@_fast_init
@dataclass(frozen=True, slots=True)
class Rejected:
    ts_ns: int
    symbol: str
    member: str
    reason: RejectReason
    order_id: int | None = None  # set for a rejected cancel/replace of a known order
    text: str = ""


@_fast_init
@dataclass(frozen=True, slots=True)
class Cancelled:
    ts_ns: int
    symbol: str
    order_id: int
    member: str
    side: Side
    px: int
    qty: int  # the leaves quantity that was cancelled
    reason: CancelReason


@_fast_init
@dataclass(frozen=True, slots=True)
class Replaced:
    ts_ns: int
    symbol: str
    order_id: int
    member: str
    side: Side
    px: int
    qty: int  # new leaves quantity
    priority_kept: bool


@_fast_init
@dataclass(frozen=True, slots=True)
class Fill:
    """One match. `*_leaves` are the remaining quantities after this fill."""

    ts_ns: int
    symbol: str
    trade_id: int
    px: int
    qty: int
    maker_order_id: int
    maker_member: str
    maker_side: Side
    maker_leaves: int
    maker_fee: Decimal
    taker_order_id: int
    taker_member: str
    taker_side: Side
    taker_leaves: int
    taker_fee: Decimal


@_fast_init
@dataclass(frozen=True, slots=True)
class TradePrinted:
    """Public trade print: what market data shows (no member identities)."""

    ts_ns: int
    symbol: str
    trade_id: int
    px: int
    qty: int
    aggressor: Side


@_fast_init
@dataclass(frozen=True, slots=True)
class BookChanged:
    """Top-N levels after a command, best first: ((px, qty), ...) per side."""

    ts_ns: int
    symbol: str
    bids: tuple[tuple[int, int], ...]
    asks: tuple[tuple[int, int], ...]


@_fast_init
@dataclass(frozen=True, slots=True)
class QuoteStatus:
    """Per-entry status of a mass quote (one side, one level)."""

    ts_ns: int
    symbol: str
    member: str
    side: Side
    level: int
    order_id: int | None
    accepted: bool
    reason: RejectReason | None = None


@_fast_init
@dataclass(frozen=True, slots=True)
class ProtectionTriggered:
    ts_ns: int
    symbol: str
    member: str
    kind: str  # "mmp"
    text: str


@_fast_init
@dataclass(frozen=True, slots=True)
class PhaseChanged:
    ts_ns: int
    symbol: str
    phase: TradingPhase
    stressed: bool
    reason: str = ""


Event = (
    Accepted
    | Rejected
    | Cancelled
    | Replaced
    | Fill
    | TradePrinted
    | BookChanged
    | QuoteStatus
    | ProtectionTriggered
    | PhaseChanged
)
