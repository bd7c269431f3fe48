"""What leaves the strategy: order intents, and the order-state machine.

An intent is a request (new order, cancel, replace) that has not yet been sent;
pre-trade risk (`quoter.risk`) approves or denies it, the order manager turns an
approved intent into FIX messages, and the hedger produces its own intents.
Prices and sizes are integer ticks and lots of an `Instrument`; the exact
`Decimal` values are derived (`px`, `qty`) for the FIX codec and reports.

The order-state machine is data (`TRANSITIONS`) plus one pure function
(`transition`): the order manager drives it from ExecutionReports. This module
does no I/O, holds no order book and knows nothing about FIX tags.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from mmsla.domain import Side

__all__ = [
    "TERMINAL_STATES",
    "TRANSITIONS",
    "CancelIntent",
    "IllegalTransitionError",
    "Instrument",
    "Intent",
    "OrderEvent",
    "OrderIntent",
    "OrderState",
    "Purpose",
    "ReplaceIntent",
    "TimeInForce",
    "to_lots",
    "to_ticks",
    "transition",
]


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable symbol: price grid `tick` and size grid `lot` (both > 0).

    `delta_weight` is the position's delta per unit of size in the portfolio's
    delta unit (1 for the underlying itself, an option's delta for options).
    """

    symbol: str
    tick: Decimal
    lot: Decimal
    delta_weight: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        if self.tick <= 0 or self.lot <= 0:
            raise ValueError(f"{self.symbol}: tick and lot must be positive")


def to_ticks(px: Decimal, instrument: Instrument) -> int:
    """Exact tick count of `px`; `ValueError` if `px` is not on the instrument's grid."""
    q, r = divmod(px, instrument.tick)
    if r != 0:
        raise ValueError(f"{instrument.symbol}: price {px} is not a multiple of {instrument.tick}")
    return int(q)


def to_lots(qty: Decimal, instrument: Instrument) -> int:
    """Exact lot count of `qty`; `ValueError` if `qty` is not a multiple of the lot."""
    q, r = divmod(qty, instrument.lot)
    if r != 0:
        raise ValueError(f"{instrument.symbol}: size {qty} is not a multiple of {instrument.lot}")
    return int(q)


class TimeInForce(StrEnum):
    """GTC rests until cancelled; IOC fills what it can at once, the rest is cancelled."""

    GTC = "gtc"
    IOC = "ioc"


class Purpose(StrEnum):
    """Why the order exists: a resting quote or a hedge."""

    QUOTE = "quote"
    HEDGE = "hedge"


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """A new order to send: `qty_lots` > 0 lots at `px_ticks` ticks (a limit price)."""

    client_id: str
    instrument: Instrument
    side: Side
    px_ticks: int
    qty_lots: int
    tif: TimeInForce = TimeInForce.GTC
    post_only: bool = False
    purpose: Purpose = Purpose.QUOTE

    @property
    def symbol(self) -> str:
        return self.instrument.symbol

    @property
    def px(self) -> Decimal:
        """Exact limit price."""
        return self.px_ticks * self.instrument.tick

    @property
    def qty(self) -> Decimal:
        """Exact size."""
        return self.qty_lots * self.instrument.lot

    @classmethod
    def from_decimal(
        cls,
        client_id: str,
        instrument: Instrument,
        side: Side,
        px: Decimal,
        qty: Decimal,
        *,
        tif: TimeInForce = TimeInForce.GTC,
        post_only: bool = False,
        purpose: Purpose = Purpose.QUOTE,
    ) -> OrderIntent:
        """Build from exact decimals; `ValueError` when off the tick/lot grid."""
        return cls(
            client_id,
            instrument,
            side,
            to_ticks(px, instrument),
            to_lots(qty, instrument),
            tif,
            post_only,
            purpose,
        )


@dataclass(frozen=True, slots=True)
class CancelIntent:
    """Cancel the live order `orig_client_id` (request id `client_id`)."""

    client_id: str
    orig_client_id: str
    instrument: Instrument
    side: Side

    @property
    def symbol(self) -> str:
        return self.instrument.symbol


@dataclass(frozen=True, slots=True)
class ReplaceIntent:
    """Replace `orig_client_id` by new terms under `client_id` (cancel/replace).

    `qty_lots` is the new total order quantity (FIX OrderQty), not the leaves.
    """

    client_id: str
    orig_client_id: str
    instrument: Instrument
    side: Side
    px_ticks: int
    qty_lots: int
    post_only: bool = False
    purpose: Purpose = Purpose.QUOTE

    @property
    def symbol(self) -> str:
        return self.instrument.symbol

    @property
    def px(self) -> Decimal:
        return self.px_ticks * self.instrument.tick

    @property
    def qty(self) -> Decimal:
        return self.qty_lots * self.instrument.lot


Intent = OrderIntent | CancelIntent | ReplaceIntent


class OrderState(StrEnum):
    """Lifecycle of one order as the venue reports it."""

    PENDING_NEW = "pending_new"
    LIVE = "live"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    PENDING_CANCEL = "pending_cancel"
    PENDING_REPLACE = "pending_replace"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class OrderEvent(StrEnum):
    """What happened to an order: our own requests and the venue's reports."""

    ACCEPTED = "accepted"  # ExecType=New
    REJECTED = "rejected"  # ExecType=Rejected (the new order)
    PARTIAL_FILL = "partial_fill"  # a fill that leaves quantity open
    FILL = "fill"  # the fill that completes the order
    CANCEL_SENT = "cancel_sent"  # we sent OrderCancelRequest
    REPLACE_SENT = "replace_sent"  # we sent OrderCancelReplaceRequest
    CANCELLED = "cancelled"  # ExecType=Canceled (requested, IOC rest, or unsolicited)
    REPLACED = "replaced"  # ExecType=Replaced
    CANCEL_REJECTED = "cancel_rejected"  # OrderCancelReject for a cancel
    REPLACE_REJECTED = "replace_rejected"  # OrderCancelReject for a replace


TERMINAL_STATES: Final = frozenset({OrderState.FILLED, OrderState.CANCELLED, OrderState.REJECTED})

_S = OrderState
_E = OrderEvent

#: Legal transitions: state -> {event: next state}. Anything absent is illegal.
#: After a rejected cancel/replace, or a completed replace, the order is back to
#: LIVE, or PARTIALLY_FILLED when some quantity has filled (see `transition`).
#: A cancel or replace is not allowed while the order is still pending new or has
#: another change in flight: at most one in-flight change per order.
TRANSITIONS: Final[dict[OrderState, dict[OrderEvent, OrderState]]] = {
    _S.PENDING_NEW: {
        _E.ACCEPTED: _S.LIVE,
        _E.REJECTED: _S.REJECTED,
        _E.PARTIAL_FILL: _S.PARTIALLY_FILLED,
        _E.FILL: _S.FILLED,
        _E.CANCELLED: _S.CANCELLED,
    },
    _S.LIVE: {
        _E.PARTIAL_FILL: _S.PARTIALLY_FILLED,
        _E.FILL: _S.FILLED,
        _E.CANCEL_SENT: _S.PENDING_CANCEL,
        _E.REPLACE_SENT: _S.PENDING_REPLACE,
        _E.CANCELLED: _S.CANCELLED,
    },
    _S.PARTIALLY_FILLED: {
        _E.PARTIAL_FILL: _S.PARTIALLY_FILLED,
        _E.FILL: _S.FILLED,
        _E.CANCEL_SENT: _S.PENDING_CANCEL,
        _E.REPLACE_SENT: _S.PENDING_REPLACE,
        _E.CANCELLED: _S.CANCELLED,
    },
    _S.PENDING_CANCEL: {
        _E.PARTIAL_FILL: _S.PENDING_CANCEL,
        _E.FILL: _S.FILLED,
        _E.CANCELLED: _S.CANCELLED,
        _E.CANCEL_REJECTED: _S.LIVE,
    },
    _S.PENDING_REPLACE: {
        _E.PARTIAL_FILL: _S.PENDING_REPLACE,
        _E.FILL: _S.FILLED,
        _E.REPLACED: _S.LIVE,
        _E.CANCELLED: _S.CANCELLED,
        _E.REPLACE_REJECTED: _S.LIVE,
    },
    _S.FILLED: {},
    _S.CANCELLED: {},
    _S.REJECTED: {},
}


class IllegalTransitionError(ValueError):
    """An event that cannot happen in the order's state (a broken invariant)."""

    def __init__(self, state: OrderState, event: OrderEvent) -> None:
        self.state = state
        self.event = event
        super().__init__(f"illegal order transition: {event.value} in state {state.value}")


def transition(state: OrderState, event: OrderEvent, *, filled_any: bool = False) -> OrderState:
    """The state after `event`; `IllegalTransitionError` if `TRANSITIONS` forbids it.

    `filled_any` says whether some of the order has filled: an order that returns
    to resting (cancel or replace rejected, replace done) is then PARTIALLY_FILLED.
    """
    nxt = TRANSITIONS[state].get(event)
    if nxt is None:
        raise IllegalTransitionError(state, event)
    if nxt is OrderState.LIVE and filled_any:
        return OrderState.PARTIALLY_FILLED
    return nxt
