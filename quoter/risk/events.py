"""Risk decisions and risk events: trading states, denial reasons, and what goes on the event bus.

`Approved`/`Denied` are what `RiskEngine.check` returns; the event classes are
what the engine records for the `risk` bus event (`event_fields` gives the
JSON-ready fields). Pure data; no engine logic here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "APPROVED",
    "Approved",
    "Denied",
    "DenyReason",
    "KillSwitchChanged",
    "RebuildRequired",
    "Rebuilt",
    "RiskDenied",
    "RiskEvent",
    "TradingState",
    "TradingStateChanged",
    "event_fields",
]


class TradingState(StrEnum):
    ACTIVE = "active"
    REDUCE_ONLY = "reduce_only"
    HALTED = "halted"


class DenyReason(StrEnum):
    UNKNOWN_SYMBOL = "unknown_symbol"
    UNKNOWN_ORDER = "unknown_order"
    DUPLICATE_ID = "duplicate_id"
    NOT_REBUILT = "not_rebuilt"
    KILL_SWITCH = "kill_switch"
    HALTED = "halted"
    REDUCE_ONLY = "reduce_only"
    BAD_ORDER = "bad_order"
    MAX_ORDER_QTY = "max_order_qty"
    MAX_ORDER_NOTIONAL = "max_order_notional"
    NO_REFERENCE = "no_reference"
    PRICE_COLLAR = "price_collar"
    MAX_NET_POSITION = "max_net_position"
    MAX_GROSS_NOTIONAL = "max_gross_notional"
    MAX_TOTAL_NET_NOTIONAL = "max_total_net_notional"
    MAX_TOTAL_GROSS_NOTIONAL = "max_total_gross_notional"
    RATE_LIMIT = "rate_limit"
    MAX_OPEN_ORDERS = "max_open_orders"
    MAX_VEGA = "max_vega"
    MAX_TOTAL_VEGA = "max_total_vega"


@dataclass(frozen=True, slots=True)
class Approved:
    """The intent may be sent."""


APPROVED: Final = Approved()


@dataclass(frozen=True, slots=True)
class Denied:
    """The intent may not be sent, and why."""

    reason: DenyReason
    detail: str


# ---- events ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RiskDenied:
    ts_ns: int
    client_id: str
    symbol: str
    reason: DenyReason
    detail: str


@dataclass(frozen=True, slots=True)
class TradingStateChanged:
    ts_ns: int
    old: TradingState
    new: TradingState
    reason: str


@dataclass(frozen=True, slots=True)
class KillSwitchChanged:
    ts_ns: int
    engaged: bool
    reason: str
    cancel_ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class RebuildRequired:
    """The session dropped: every order is assumed gone; no new orders until rebuilt."""

    ts_ns: int
    lost_ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class Rebuilt:
    ts_ns: int
    open_orders: int


RiskEvent = RiskDenied | TradingStateChanged | KillSwitchChanged | RebuildRequired | Rebuilt


def event_fields(event: RiskEvent) -> dict[str, object]:
    """JSON-ready fields of a `risk` bus event (DESIGN.md section 8) without the envelope.

    The publisher adds `type: "risk"`, `seq`, `ts_init` and `source`; `kind`
    says which risk event this is. Ids are sorted so the payload is stable.
    """
    if isinstance(event, RiskDenied):
        return {
            "kind": "denied",
            "ts_event": event.ts_ns,
            "client_id": event.client_id,
            "symbol": event.symbol,
            "reason": event.reason.value,
            "detail": event.detail,
        }
    if isinstance(event, TradingStateChanged):
        return {
            "kind": "state_changed",
            "ts_event": event.ts_ns,
            "old": event.old.value,
            "new": event.new.value,
            "reason": event.reason,
        }
    if isinstance(event, KillSwitchChanged):
        return {
            "kind": "kill_switch",
            "ts_event": event.ts_ns,
            "engaged": event.engaged,
            "reason": event.reason,
            "cancel_ids": sorted(event.cancel_ids),
        }
    if isinstance(event, RebuildRequired):
        return {
            "kind": "rebuild_required",
            "ts_event": event.ts_ns,
            "lost_ids": sorted(event.lost_ids),
        }
    return {"kind": "rebuilt", "ts_event": event.ts_ns, "open_orders": event.open_orders}
