"""Typed messages: exact decimals and round trips through the wire format."""

from __future__ import annotations

from decimal import Decimal

from quoter.fix.codec.framing import encode, parse
from quoter.fix.codec.messages import (
    ExecutionReport,
    MarketDataSnapshotFullRefresh,
    MassQuote,
    MDEntry,
    NewOrderSingle,
    QuoteEntry,
    QuoteSet,
    decode,
    format_decimal,
)
from quoter.fix.dictionary import Dictionary
from quoter.fix.validation import validate

HDR = [(34, "1"), (49, "A"), (52, "20250101-00:00:00.000"), (56, "B")]


def _wire(msg: object) -> bytes:
    return encode("FIX.4.4", msg.msg_type, HDR, msg.body())  # type: ignore[attr-defined]


def test_decimal_text_is_exact_never_exponent() -> None:
    assert format_decimal(Decimal("1E-5")) == "0.00001"
    assert format_decimal(Decimal("1E+3")) == "1000"
    assert format_decimal(Decimal("0.1") + Decimal("0.2")) == "0.3"
    assert format_decimal(Decimal("-0")) == "0"
    assert format_decimal(12) == "12"


def test_new_order_single_round_trip_and_valid() -> None:
    nos = NewOrderSingle(
        "c1",
        "ABC",
        "1",
        Decimal("0.00001"),
        "2",
        1_700_000_000_123_000_000,
        price=Decimal("101.25"),
        time_in_force="0",
    )
    raw = parse(_wire(nos))
    assert b"38=0.00001\x01" in _wire(nos)
    assert validate(raw, Dictionary.fix44()) is None
    assert decode(raw) == nos


def test_mass_quote_nested_groups_round_trip() -> None:
    mq = MassQuote(
        "Q1",
        (
            QuoteSet(
                "S1",
                2,
                (
                    QuoteEntry(
                        "E1", "ABC", Decimal("1.5"), Decimal("1.6"), Decimal(100), Decimal(200)
                    ),
                    QuoteEntry("E2", "XYZ", Decimal("9"), None, Decimal(1)),
                ),
            ),
        ),
    )
    raw = parse(_wire(mq))
    assert validate(raw, Dictionary.fix44()) is None
    assert decode(raw) == mq


def test_execution_report_and_snapshot_round_trip() -> None:
    er = ExecutionReport(
        "O1",
        "X1",
        "F",
        "2",
        "ABC",
        "1",
        Decimal(0),
        Decimal(5),
        Decimal("10.125"),
        cl_ord_id="c1",
        last_qty=Decimal(5),
        last_px=Decimal("10.125"),
    )
    assert decode(parse(_wire(er))) == er
    snap = MarketDataSnapshotFullRefresh(
        "ABC",
        (MDEntry("0", Decimal("9.99"), Decimal(3)), MDEntry("1", Decimal("10.01"), Decimal(4))),
    )
    raw = parse(_wire(snap))
    assert validate(raw, Dictionary.fix44()) is None
    assert decode(raw) == snap


def test_unrolled_bodies_match_the_generic_writer() -> None:
    from decimal import Decimal

    from quoter.fix.codec.messages import ExecutionReport, FixMessage, NewOrderSingle

    full = ExecutionReport(
        "O1",
        "E1",
        "F",
        "2",
        "AMZN",
        "1",
        Decimal("0"),
        Decimal("100"),
        Decimal("223.45"),
        cl_ord_id="C1",
        orig_cl_ord_id="C0",
        ord_rej_reason=3,
        order_qty=Decimal("100"),
        ord_type="2",
        price=Decimal("223.45"),
        time_in_force="0",
        last_qty=Decimal("1E+2"),
        last_px=Decimal("1E-7"),
        transact_time_ns=1_750_000_000_123_000_000,
        text="done",
        last_liquidity_ind=1,
    )
    bare = ExecutionReport("O1", "E1", "0", "0", "AMZN", "2", Decimal(5), Decimal(0), Decimal(0))
    order = NewOrderSingle("C1", "AMZN", "1", Decimal(3), "1", 1_750_000_000_000_000_000)
    for msg in (full, bare, order):
        generic = FixMessage.body(msg)
        assert msg.body() == generic
    assert (31, "0.0000001") in full.body() and (32, "100") in full.body()
    assert len(FixMessage.body(full)) == len(ExecutionReport.FIELDS)
