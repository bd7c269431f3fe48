"""Market-data view: snapshot + incremental books, trades, venue time, security status."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quoter.fix.codec.framing import RawMessage, encode, parse
from quoter.fix.codec.times import parse_utc
from quoter.fix.dictionary import Dictionary
from quoter.fix.validation import validate
from quoter.intents import Instrument
from quoter.marketdata import (
    BookView,
    MarketData,
    market_data_request,
    parse_security_status,
    quoter_dictionary,
)

ABC = Instrument("ABC", Decimal("0.01"), Decimal(1))
HDR = [(34, "2"), (49, "VENUE"), (52, "20261123-09:00:00.000000"), (56, "MM1")]


def _msg(mt: str, body: list[tuple[int, str]]) -> RawMessage:
    return parse(encode("FIX.4.4", mt, HDR, body))


def _t(text: str) -> list[tuple[int, str]]:
    return [(272, text[:8]), (273, text[9:])]


SNAP = _msg(
    "W",
    [
        (262, "md"),
        (55, "ABC"),
        (268, "4"),
        (269, "0"),
        (270, "99.90"),
        (271, "300"),
        *_t("20261123-09:00:00.250000"),
        (269, "0"),
        (270, "99.89"),
        (271, "200"),
        *_t("20261123-09:00:00.250000"),
        (269, "1"),
        (270, "100.10"),
        (271, "100"),
        *_t("20261123-09:00:00.250000"),
        (269, "2"),
        (270, "100.00"),
        (271, "5"),
        *_t("20261123-09:00:00.200000"),
    ],
)


def test_snapshot_then_incremental() -> None:
    md = MarketData([ABC])
    assert md.on_snapshot(SNAP) == "ABC"
    book = md.books["ABC"]
    top = book.top()
    assert (top.bid_ticks, top.bid_lots, top.ask_ticks, top.ask_lots) == (9990, 300, 10010, 100)
    assert book.last_px_ticks == 10000
    assert md.venue_ns == parse_utc("20261123-09:00:00.250000")
    inc = _msg(
        "X",
        [
            (262, "md"),
            (268, "4"),
            (279, "2"),
            (269, "0"),
            (55, "ABC"),
            (270, "99.90"),
            (1023, "1"),
            *_t("20261123-09:00:01.000001"),
            (279, "0"),
            (269, "1"),
            (55, "ABC"),
            (270, "100.05"),
            (271, "70"),
            (1023, "1"),
            *_t("20261123-09:00:01.000001"),
            (279, "1"),
            (269, "0"),
            (55, "ABC"),
            (270, "99.89"),
            (271, "250"),
            (1023, "1"),
            *_t("20261123-09:00:01.000001"),
            (279, "0"),
            (269, "2"),
            (55, "ABC"),
            (270, "100.05"),
            (271, "10"),
            (2446, "1"),
            *_t("20261123-09:00:01.000002"),
        ],
    )
    assert validate(inc, quoter_dictionary()) is None
    assert md.on_incremental(inc) == ["ABC"]
    top = book.top()
    assert (top.bid_ticks, top.bid_lots, top.ask_ticks, top.ask_lots) == (9989, 250, 10005, 70)
    assert book.last_px_ticks == 10005
    assert md.venue_ns == parse_utc("20261123-09:00:01.000002")
    assert book.best() == (9989, 10005)


def test_unsubscribed_symbol_and_off_grid_price() -> None:
    md = MarketData([ABC])
    other = _msg("X", [(268, "1"), (279, "0"), (269, "0"), (55, "XYZ"), (270, "1.0"), (271, "1")])
    assert md.on_incremental(other) == []
    bad = _msg("X", [(268, "1"), (279, "0"), (269, "0"), (55, "ABC"), (270, "99.905"), (271, "1")])
    with pytest.raises(ValueError, match="off the tick grid"):
        md.on_incremental(bad)


def test_security_status() -> None:
    msg = _msg("f", [(55, "ABC"), (326, "17"), (60, "20261123-09:01:00.000000"), (20001, "Y")])
    assert validate(msg, quoter_dictionary()) is None
    assert validate(msg, Dictionary.fix44()) is not None, "20001 needs the extension"
    st = parse_security_status(msg)
    assert (st.symbol, st.status, st.stressed, st.active, st.label) == (
        "ABC",
        "open",
        True,
        True,
        "stressed",
    )
    assert st.ts_ns == parse_utc("20261123-09:01:00.000000")
    halt = parse_security_status(_msg("f", [(55, "ABC"), (326, "2"), (20001, "N")]))
    assert (halt.status, halt.active, halt.label) == ("halt", False, "halt")


def test_market_data_request_is_valid_fix() -> None:
    body = market_data_request("r1", ["ABC", "XYZ"], 5)
    msg = _msg("V", body)
    assert validate(msg, Dictionary.fix44()) is None
    assert msg.values[263] == "1" and msg.values[264] == "5"
    assert [v for t, v in msg.fields if t == 55] == ["ABC", "XYZ"]
    assert [v for t, v in msg.fields if t == 269] == ["0", "1", "2"]


def test_extension_does_not_touch_the_builtin_dictionary() -> None:
    quoter_dictionary()
    assert 20001 not in Dictionary.fix44().fields
    assert 1023 not in Dictionary.fix44().messages["X"].groups[268].members


def test_top_excluding_our_own_orders() -> None:
    book = BookView(Instrument("ABC", Decimal("0.01"), Decimal(1)))
    book.bids.update({9999: 300, 9998: 500, 9990: 50})
    book.asks.update({10001: 100, 10002: 400, 10010: 70})
    # we rest 300 at 99.99 (the whole level) and 40 at 100.01
    top = book.top_excluding({9999: 300}, {10001: 40})
    assert (top.bid_ticks, top.bid_lots, top.ask_ticks, top.ask_lots) == (9998, 500, 10001, 60)
    # nothing of ours: the plain top
    assert book.top_excluding({}, {}) == book.top()
    # more of ours than the level shows (a change in flight): never below zero, skipped
    top = book.top_excluding({9999: 900, 9998: 500}, {10001: 100, 10002: 100, 10009: 5})
    assert (top.bid_ticks, top.bid_lots, top.ask_ticks, top.ask_lots) == (9990, 50, 10002, 300)
    # a side made only of our orders is empty for fair value
    only_ours = book.top_excluding({9999: 300, 9998: 500, 9990: 50}, {})
    assert only_ours.bid_ticks is None and only_ours.bid_lots == 0
    assert only_ours.ask_ticks == 10001 and only_ours.ask_lots == 100
