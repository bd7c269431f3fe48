"""Encode and decode the inter-process events of DESIGN.md section 8.

Wire form: ZeroMQ multipart `[topic, payload]`. The topic is `type` or
`type.symbol` (so a subscriber can filter by prefix, e.g. `quote.ABC`); the
payload is one UTF-8 JSON object. Decimals travel as strings and come back as
`Decimal`, never through binary floats.

Every event carries `type`, `seq`, `ts_event`, `ts_init` (int ns) and
`source`. `state` events carry obligation states as flags, one event per change:
`{"state": "stressed"|"halt"|"auction"|"exceptional", "active": true}` when
the state starts and the same with `"active": false` when it ends (plus an
informative `phase`, the venue's trading phase), so a subscriber rebuilds the
same intervals as the DESIGN.md market-states file. `decode` checks those and
the keys each type requires, and raises
`EventDecodeError` (a counted, non-fatal condition for a subscriber) on
anything else. It does not check business meaning (a quote may be crossed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from mmsla.domain import Level, Quote

# Events published by the quoter (plus `state`: market state changes seen at the venue).
EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "quote": ("symbol", "bids", "asks", "cause"),
    "order": ("symbol", "status", "order_id"),
    "fill": ("symbol", "side", "px", "qty", "fee", "liquidity", "order_id", "trade_id"),
    "market": ("symbol", "bid_px", "bid_qty", "ask_px", "ask_qty", "last_px"),
    "position": ("symbol", "qty"),
    "risk": ("decision",),
    "state": ("symbol", "state", "active"),
    "heartbeat": (),
}
# Commands from the monitor (or a person) to the quoter.
CONTROL_TYPES: dict[str, tuple[str, ...]] = {
    "widen": ("symbol", "factor"),
    "pull": ("symbol", "reason"),
    "resume": ("symbol",),
    "kill": ("reason",),
}
# Alerts raised by the monitor.
ALERT_TYPES: dict[str, tuple[str, ...]] = {
    "breach_opened": ("symbol", "reasons"),
    "breach_closed": ("symbol", "reasons", "duration_s"),
    "budget_warning": ("symbol", "used_pct"),
    "daily_fail_certain": ("symbol",),
    "obligation_secured": ("symbol",),
    "feed_stale": ("silent_s",),
    "gap_detected": ("first_missing", "last_missing"),
    "action": ("action", "cause"),
}
_REQUIRED: dict[str, tuple[str, ...]] = {**EVENT_TYPES, **CONTROL_TYPES, **ALERT_TYPES}
_COMMON = ("seq", "ts_event", "ts_init", "source")
_DECIMAL_KEYS = ("px", "qty", "fee", "bid_px", "bid_qty", "ask_px", "ask_qty", "last_px", "factor")


class EventDecodeError(ValueError):
    """A frame that is not a well-formed event. Subscribers count these and go on."""


def _default(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"cannot encode {type(value).__name__} in an event")


def encode(event: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """Frames `(topic, payload)` for one event dict (Decimals become strings)."""
    kind = event["type"]
    symbol = event.get("symbol")
    topic = f"{kind}.{symbol}" if isinstance(symbol, str) and symbol else kind
    payload = json.dumps(event, default=_default, separators=(",", ":"))
    return topic.encode(), payload.encode()


def _as_decimal(value: object, key: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise EventDecodeError(f"{key}: expected a decimal string, got {value!r}")
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise EventDecodeError(f"{key}: not a decimal: {value!r}") from None
    if not d.is_finite():
        raise EventDecodeError(f"{key}: not finite: {value!r}")
    return d


def _levels(value: object, key: str) -> list[list[Decimal]]:
    if not isinstance(value, list):
        raise EventDecodeError(f"{key}: expected a list of [px, qty]")
    out = []
    for i, level in enumerate(value):
        if not isinstance(level, list) or len(level) != 2:
            raise EventDecodeError(f"{key}[{i}]: expected [px, qty]")
        px = _as_decimal(level[0], f"{key}[{i}].px")
        out.append([px, _as_decimal(level[1], f"{key}[{i}].qty")])
    return out


def decode(payload: bytes) -> dict[str, Any]:
    """Parse and check one event payload; decimals come back as `Decimal`.

    Raises `EventDecodeError` on malformed JSON, an unknown type, a missing
    key or a malformed number.
    """
    try:
        event = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise EventDecodeError(f"not JSON: {e}") from None
    if not isinstance(event, dict):
        raise EventDecodeError("payload is not a JSON object")
    kind = event.get("type")
    if not isinstance(kind, str) or kind not in _REQUIRED:
        raise EventDecodeError(f"unknown event type {kind!r}")
    for key in _COMMON + _REQUIRED[kind]:
        if key not in event:
            raise EventDecodeError(f"{kind}: missing {key!r}")
    for key in ("seq", "ts_event", "ts_init"):
        if not isinstance(event[key], int) or isinstance(event[key], bool):
            raise EventDecodeError(f"{kind}: {key} must be an integer")
    for key in _DECIMAL_KEYS:
        if event.get(key) is not None:
            event[key] = _as_decimal(event[key], key)
    if kind == "quote":
        event["bids"] = _levels(event["bids"], "bids")
        event["asks"] = _levels(event["asks"], "asks")
    return event


def quote_to_event(
    quote: Quote, *, seq: int, ts_init: int, source: str, cause: str | None = None
) -> dict[str, Any]:
    """The `quote` event for our whole resting quote on one symbol."""
    return {
        "type": "quote",
        "seq": seq,
        "ts_event": quote.ts_ns,
        "ts_init": ts_init,
        "source": source,
        "symbol": quote.symbol,
        "bids": [[lv.px, lv.qty] for lv in quote.bids],
        "asks": [[lv.px, lv.qty] for lv in quote.asks],
        "cause": cause if cause is not None else quote.event,
    }


def quote_from_event(event: Mapping[str, Any]) -> Quote:
    """The `Quote` carried by a decoded `quote` event."""
    return Quote(
        ts_ns=event["ts_event"],
        symbol=event["symbol"],
        bids=tuple(Level(px, qty) for px, qty in event["bids"]),
        asks=tuple(Level(px, qty) for px, qty in event["asks"]),
        event=event.get("cause"),
    )
