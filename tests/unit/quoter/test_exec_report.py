"""`report_fill`: fee and liquidity read the same way for both venue profiles."""

from __future__ import annotations

from decimal import Decimal

from mmsla.domain import Fill, Side
from quoter.exec_report import report_fill
from quoter.fix.codec.tags import (
    AGGRESSOR_INDICATOR,
    COMM_TYPE,
    COMMISSION,
    EXEC_ID,
    LAST_LIQUIDITY_IND,
)

PX, QTY = Decimal("100.05"), Decimal(30)


def _fill(values: dict[int, str]) -> Fill:
    return report_fill(values, 7, "ABC", Side.BUY, PX, QTY, "q1")


def test_liquidity_from_851_then_1057_then_unknown() -> None:
    assert _fill({LAST_LIQUIDITY_IND: "1"}).liquidity == "maker"
    assert _fill({LAST_LIQUIDITY_IND: "2", AGGRESSOR_INDICATOR: "N"}).liquidity == "taker"
    assert _fill({AGGRESSOR_INDICATOR: "Y"}).liquidity == "taker"
    assert _fill({AGGRESSOR_INDICATOR: "N"}).liquidity == "maker"
    assert _fill({}).liquidity is None


def test_fee_only_when_commission_is_absolute() -> None:
    assert _fill({COMMISSION: "-0.15", COMM_TYPE: "3"}).fee == Decimal("-0.15")
    assert _fill({COMMISSION: "0.02"}).fee == Decimal("0.02")  # 13 absent: absolute
    assert _fill({COMMISSION: "2", COMM_TYPE: "2"}).fee == 0  # a percentage is not a fee amount
    f = _fill({EXEC_ID: "e9"})
    assert (f.ts_ns, f.symbol, f.side, f.px, f.qty) == (7, "ABC", Side.BUY, PX, QTY)
    assert (f.order_id, f.trade_id) == ("q1", "e9")
