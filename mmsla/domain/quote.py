"""Our resting quote and our fills, as exact decimals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from mmsla.domain.side import Side


@dataclass(frozen=True, slots=True)
class Level:
    """One price level of our quote: price and total resting size."""

    px: Decimal
    qty: Decimal


@dataclass(frozen=True, slots=True)
class Quote:
    """Our whole resting quote on one symbol after an event (one quote-log row).

    `bids` best first (descending price), `asks` best first (ascending price);
    an empty tuple is an absent side. `event` is the cause (quote, replace,
    cancel, fill, ...) or None when unknown.
    """

    ts_ns: int
    symbol: str
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    event: str | None = None


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of ours. `fee` positive = paid, negative = rebate."""

    ts_ns: int
    symbol: str
    side: Side
    px: Decimal
    qty: Decimal
    fee: Decimal = Decimal(0)
    liquidity: str | None = None  # "maker" | "taker"
    order_id: str | None = None
    trade_id: str | None = None
