"""Realised PnL (FIFO), fees and rebates, unrealised mark-to-market, and the equity curve.

FIFO matching is sequential by nature: one pass over the fills in time order
with a queue of open lots per symbol, exact in `Decimal` (each closing unit is
matched with the oldest open unit; a fill that crosses zero closes the whole
position and opens the rest on the other side). Everything else is vectorised.

The equity curve is in floats: at each time t, for every symbol, cash flow of
the fills with ts <= t, plus position times the mark at t, minus fees. The
mark is the last mid at or before t; before a symbol's first mid, its position
is valued at the last fill price (so a fill never moves equity by itself).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt
import pandas as pd

from mmsla.analytics.marks import MidIndex

__all__ = ["FeeTotals", "FifoResult", "equity_curve", "fee_totals", "fifo_realised", "unrealised"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_ZERO = Decimal(0)


@dataclass(frozen=True)
class FifoResult:
    """Per fill (aligned with the fills frame): realised PnL, closed quantity, position after.

    `open_lots[symbol]`: the open FIFO lots at the end, oldest first, as
    (signed qty, px).
    """

    realised: tuple[Decimal, ...]
    closed_qty: tuple[Decimal, ...]
    position: tuple[Decimal, ...]
    open_lots: Mapping[str, tuple[tuple[Decimal, Decimal], ...]]

    def total_realised(self) -> Decimal:
        return sum(self.realised, _ZERO)


def fifo_realised(fills: pd.DataFrame) -> FifoResult:
    """FIFO realised PnL (before fees) of each fill of a `fills_frame` frame."""
    lots: dict[str, deque[list[Decimal]]] = {}
    pos: dict[str, Decimal] = {}
    realised: list[Decimal] = []
    closed: list[Decimal] = []
    position: list[Decimal] = []
    cols = zip(fills["symbol"], fills["sign"], fills["px"], fills["qty"], strict=True)
    for sym, sign, px, qty in cols:
        q = lots.setdefault(sym, deque())
        remaining = qty if sign > 0 else -qty
        pnl = _ZERO
        done = _ZERO
        while remaining != 0 and q and (q[0][0] > 0) != (remaining > 0):
            lot = q[0]
            lot_qty, lot_px = lot
            n = min(abs(remaining), abs(lot_qty))
            d = 1 if lot_qty > 0 else -1
            pnl += d * n * (px - lot_px)
            done += n
            if n == abs(lot_qty):
                q.popleft()
            else:
                lot[0] = lot_qty - d * n
            remaining += d * n
        if remaining != 0:
            q.append([remaining, px])
        p = pos.get(sym, _ZERO) + (qty if sign > 0 else -qty)
        pos[sym] = p
        realised.append(pnl)
        closed.append(done)
        position.append(p)
    open_lots = {s: tuple((lot[0], lot[1]) for lot in q) for s, q in lots.items()}
    return FifoResult(tuple(realised), tuple(closed), tuple(position), open_lots)


def unrealised(
    open_lots: Mapping[str, tuple[tuple[Decimal, Decimal], ...]], marks: Mapping[str, Decimal]
) -> dict[str, Decimal]:
    """Mark-to-market of the open lots per symbol: sum of qty * (mark - px).

    `KeyError` when a symbol with open lots has no mark.
    """
    out: dict[str, Decimal] = {}
    for sym, lots in open_lots.items():
        if lots:
            mark = marks[sym]
            out[sym] = sum((q * (mark - px) for q, px in lots), _ZERO)
        else:
            out[sym] = _ZERO
    return out


@dataclass(frozen=True)
class FeeTotals:
    """Fees paid (positive fees), rebates received (negative fees, as a positive amount).

    Split by liquidity flag as well: `maker_net` and `taker_net` are net fees
    (paid minus rebates) of fills flagged maker and taker.
    """

    fees_paid: Decimal
    rebates: Decimal
    maker_net: Decimal
    taker_net: Decimal

    @property
    def net(self) -> Decimal:
        return self.fees_paid - self.rebates


def fee_totals(fills: pd.DataFrame) -> FeeTotals:
    fee = fills["fee"]
    liq = fills["liquidity"].astype(str).str.lower()
    paid = sum((f for f in fee if f > 0), _ZERO)
    rebates = -sum((f for f in fee if f < 0), _ZERO)
    maker = sum(fee[(liq == "maker").to_numpy()], _ZERO)
    taker = sum(fee[(liq == "taker").to_numpy()], _ZERO)
    return FeeTotals(paid, rebates, maker, taker)


def equity_curve(fills: pd.DataFrame, mids: MidIndex, times: I64) -> F64:
    """Total equity (PnL after fees, floats) at each of `times` (sorted ascending)."""
    total = np.zeros(times.shape, dtype=np.float64)
    for sym, grp in fills.groupby("symbol", sort=False):
        ts = grp["ts"].to_numpy(dtype=np.int64)
        sign = grp["sign"].to_numpy(dtype=np.float64)
        qty = grp["qty_f"].to_numpy()
        px = grp["px_f"].to_numpy()
        cash = np.cumsum(-sign * qty * px)
        q = np.cumsum(sign * qty)
        fees = np.cumsum(grp["fee_f"].to_numpy())
        k = np.searchsorted(ts, times, side="right") - 1  # last fill at or before t
        has = k >= 0
        kk = np.where(has, k, 0)
        mark = mids.asof(str(sym), times)
        # before the symbol's first mid: the last fill price
        mark = np.where(np.isnan(mark), px[kk], mark)
        eq = cash[kk] + q[kk] * mark - fees[kk]
        if mids.end_ns is not None:
            # past the end of the mid data the last mid still marks the position
            last = mids.asof(str(sym), np.asarray([mids.end_ns], dtype=np.int64))[0]
            late = times > mids.end_ns
            if not np.isnan(last):
                eq = np.where(late, cash[kk] + q[kk] * last - fees[kk], eq)
        total += np.where(has, eq, 0.0)
    return total
