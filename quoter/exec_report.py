"""The fill an ExecutionReport reports: one reading shared by both venue profiles.

`OrderManager` (orders) and `MassQuoteManager` (mass quotes) both turn a 35=8
carrying LastQty/LastPx into a `Fill`; the fee (Commission 12 when CommType 13
is absolute, 3) and the liquidity (LastLiquidityInd 851, else AggressorIndicator
1057) are read here so the two profiles cannot disagree. Does not: track order
state, touch risk or inventory, or parse the message (the FIX session does).
"""

from __future__ import annotations

from decimal import Decimal

from mmsla.domain import Fill, Side
from quoter.fix.codec.tags import (
    AGGRESSOR_INDICATOR,
    COMM_TYPE,
    COMMISSION,
    EXEC_ID,
    LAST_LIQUIDITY_IND,
)

_LIQUIDITY = {"1": "maker", "2": "taker"}
_ZERO = Decimal(0)


def report_fill(
    values: dict[int, str],
    ts_ns: int,
    symbol: str,
    side: Side,
    last_px: Decimal,
    last_qty: Decimal,
    client_id: str,
) -> Fill:
    """The `Fill` of an ExecutionReport's fields `values` (LastPx/LastQty already read)."""
    fee = _ZERO
    commission = values.get(COMMISSION)
    if commission and values.get(COMM_TYPE, "3") == "3":
        fee = Decimal(commission)
    liquidity = _LIQUIDITY.get(values.get(LAST_LIQUIDITY_IND) or "")
    if liquidity is None and values.get(AGGRESSOR_INDICATOR):
        liquidity = "taker" if values[AGGRESSOR_INDICATOR] == "Y" else "maker"
    return Fill(
        ts_ns, symbol, side, last_px, last_qty, fee, liquidity, client_id, values.get(EXEC_ID)
    )
