"""Event codec: exact decimals, topics, and rejection of malformed frames."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from mmsla.domain import Level, Quote
from mmsla.events import EventDecodeError, decode, encode, quote_from_event, quote_to_event


def test_quote_round_trip_keeps_exact_decimals() -> None:
    q = Quote(
        ts_ns=1_700_000_000_123_456_789,
        symbol="ABC",
        bids=(Level(Decimal("0.00001"), Decimal("1500")), Level(Decimal("99.99"), Decimal("3"))),
        asks=(Level(Decimal("100.10"), Decimal("0.5")),),
        event="fill",
    )
    topic, payload = encode(quote_to_event(q, seq=7, ts_init=5, source="quoter-1"))
    assert topic == b"quote.ABC"
    # Decimals travel as plain strings, never exponent notation or floats.
    raw = json.loads(payload)
    assert raw["bids"][0] == ["0.00001", "1500"]
    assert raw["asks"][0] == ["100.10", "0.5"]
    back = quote_from_event(decode(payload))
    assert back == q


def test_heartbeat_topic_has_no_symbol() -> None:
    topic, payload = encode(
        {"type": "heartbeat", "seq": 1, "ts_event": 1, "ts_init": 1, "source": "q"}
    )
    assert topic == b"heartbeat"
    assert decode(payload)["type"] == "heartbeat"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"type": "nope", "seq": 1}', "unknown event type"),
        (b'{"type": "heartbeat", "seq": 1, "ts_event": 1, "source": "q"}', "missing 'ts_init'"),
        (
            b'{"type": "heartbeat", "seq": "1", "ts_event": 1, "ts_init": 1, "source": "q"}',
            "seq must be an integer",
        ),
        (
            b'{"type": "fill", "seq": 1, "ts_event": 1, "ts_init": 1, "source": "q", "symbol": "A",'
            b' "side": "buy", "px": 1.5, "qty": "1", "fee": "0", "liquidity": "maker",'
            b' "order_id": "o", "trade_id": "t"}',
            "expected a decimal string",
        ),
        (
            b'{"type": "quote", "seq": 1, "ts_event": 1, "ts_init": 1, "source": "q",'
            b' "symbol": "A",'
            b' "bids": [["1"]], "asks": [], "cause": "quote"}',
            "expected [px, qty]",
        ),
        (
            b'{"type": "market", "seq": 1, "ts_event": 1, "ts_init": 1, "source": "q",'
            b' "symbol": "A", "bid_px": "NaN", "bid_qty": "1", "ask_px": "2", "ask_qty": "1",'
            b' "last_px": null}',
            "not finite",
        ),
    ],
)
def test_malformed_payloads_are_rejected(payload: bytes, message: str) -> None:
    with pytest.raises(EventDecodeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        decode(payload)
