"""Symbol specifications and venue-wide rules the matching engine enforces.

Pure configuration values (frozen dataclasses): tick and lot sizes, maker/taker
fees, protections, post-only and self-trade modes. `None` switches a rule off.
Conversion between exact decimals and integer ticks/lots lives here too, so
tick and lot validation has one definition. Loading from YAML is `config`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class PostOnlyMode(StrEnum):
    """What a post-only order that would cross does: rejected, or slid one tick behind."""

    REJECT = "reject"
    SLIDE = "slide"


class StpMode(StrEnum):
    """Self-trade prevention: which side of a would-be self-match is cancelled."""

    CANCEL_INCOMING = "cancel_incoming"
    CANCEL_RESTING = "cancel_resting"
    CANCEL_BOTH = "cancel_both"


@dataclass(frozen=True, slots=True)
class ThrottleSpec:
    """At most `max_msgs` order-entry messages per member within any `window_ms`."""

    max_msgs: int
    window_ms: int


@dataclass(frozen=True, slots=True)
class MmpSpec:
    """Market-maker protection: pull a member's orders on a symbol after
    `max_fills` passive fills within `window_ms`."""

    max_fills: int
    window_ms: int


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """One tradable symbol. Fees in bps of notional: positive paid, negative rebate."""

    symbol: str
    tick: Decimal
    lot: Decimal
    maker_fee_bps: Decimal = Decimal(0)
    taker_fee_bps: Decimal = Decimal(0)
    max_order_qty: int | None = None  # lots
    price_band_bps: Decimal | None = None  # around the reference price
    mmp: MmpSpec | None = None

    def __post_init__(self) -> None:
        if self.tick <= 0 or self.lot <= 0:
            raise ValueError(f"{self.symbol}: tick and lot must be positive")

    def to_ticks(self, px: Decimal) -> int | None:
        """Exact price -> integer ticks, or None when not a positive multiple of the tick."""
        q, r = divmod(px, self.tick)
        if r != 0 or q <= 0:
            return None
        return int(q)

    def to_lots(self, qty: Decimal) -> int | None:
        """Exact size -> integer lots, or None when not a positive multiple of the lot."""
        q, r = divmod(qty, self.lot)
        if r != 0 or q <= 0:
            return None
        return int(q)

    def px(self, ticks: int) -> Decimal:
        """Integer ticks -> exact price."""
        return ticks * self.tick

    def qty(self, lots: int) -> Decimal:
        """Integer lots -> exact size."""
        return lots * self.lot


@dataclass(frozen=True, slots=True)
class VenueRules:
    """Venue-wide behaviour. `book_depth` None = no BookChanged events."""

    post_only: PostOnlyMode = PostOnlyMode.REJECT
    stp: StpMode = StpMode.CANCEL_INCOMING
    throttle: ThrottleSpec | None = None
    book_depth: int | None = 5
