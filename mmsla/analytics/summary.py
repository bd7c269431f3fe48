"""One call for the whole performance picture: `summarise(fills, mids, ...) -> PerformanceSummary`.

Window: [start_ns, end_ns], by default from the first to the last timestamp of
fills and mids together. Fills outside the window are left out, so the position
at start_ns is taken as flat: to carry a position into a report, pass the
fills since it was last flat (or the whole history) and no start_ns.

Money sums are exact (`Decimal`): realised FIFO PnL, fees, and unrealised PnL
of the open FIFO lots at the final mark (the last mid at or before end_ns; the
last fill price for a symbol without mids). Total = realised + unrealised - net
fees.

Per-interval figures: equity (float) on the grid start + k * interval_ns inside
the window; returns are its differences (the trailing part of the window
shorter than one interval is not a return). Sharpe and Sortino use those
returns (see `ratios` for the conventions). The maximum drawdown uses the
equity after every event (each fill and each mid update) for precision.

Win rate and profit factor are reported two ways: per closing fill (each fill
that closes some position; its outcome is the FIFO PnL it realises, before
fees) and per interval (only intervals whose PnL changed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, cast

import numpy as np
import pandas as pd

from mmsla.analytics.inputs import fills_frame, mids_frame, to_decimal
from mmsla.analytics.inventory_stats import InventoryStats, inventory_stats
from mmsla.analytics.markouts import DEFAULT_HORIZONS_S, MarkoutStats, markouts, spread_capture
from mmsla.analytics.marks import MidIndex
from mmsla.analytics.pnl import FeeTotals, equity_curve, fee_totals, fifo_realised, unrealised
from mmsla.analytics.ratios import (
    Drawdown,
    max_drawdown,
    periods_per_year,
    profit_factor,
    sharpe,
    sortino,
    win_rate,
)
from mmsla.domain import Fill
from mmsla.errors import InputError

__all__ = ["PerformanceSummary", "SymbolPnl", "summarise"]

_ZERO = Decimal(0)


@dataclass(frozen=True)
class SymbolPnl:
    """One symbol's exact PnL: realised (FIFO) + unrealised at `mark` - net fees."""

    symbol: str
    position: Decimal
    mark: Decimal | None
    realised: Decimal
    unrealised: Decimal
    net_fees: Decimal

    @property
    def total(self) -> Decimal:
        return self.realised + self.unrealised - self.net_fees


@dataclass(frozen=True)
class PerformanceSummary:
    start_ns: int
    end_ns: int
    interval_ns: int
    periods_per_year: float
    n_fills: int
    notional_traded: Decimal
    realised: Decimal
    unrealised: Decimal
    fees: FeeTotals
    total: Decimal
    by_symbol: tuple[SymbolPnl, ...]
    spread_capture: MarkoutStats
    markouts: tuple[MarkoutStats, ...]
    interval_pnl: tuple[float, ...]
    sharpe: float | None
    sortino: float | None
    max_drawdown: Drawdown
    win_rate_closes: float | None
    profit_factor_closes: float | None
    win_rate_intervals: float | None
    profit_factor_intervals: float | None
    inventory: tuple[InventoryStats, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data for templates and `--format json`: decimals as strings."""
        return cast(dict[str, Any], _plain(asdict(self)))


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def summarise(
    fills: pd.DataFrame | Iterable[Fill],
    mids: pd.DataFrame,
    *,
    interval_ns: int = 60 * 1_000_000_000,
    annualisation: float | None = None,
    start_ns: int | None = None,
    end_ns: int | None = None,
    horizons_s: Sequence[float] = DEFAULT_HORIZONS_S,
    grid_ns: Sequence[int] | None = None,
) -> PerformanceSummary:
    """Everything in `PerformanceSummary`.

    Returns are sampled every `interval_ns` from start_ns, or at the sorted
    times `grid_ns` when given (for instance `grid.day_starts_ns(...)` for
    daily returns on the agreement's calendar). `annualisation` = periods per
    year; default `periods_per_year` of `interval_ns` (of the median grid
    spacing with `grid_ns`), continuous 365-day years.
    """
    if interval_ns <= 0:
        raise InputError("<analytics>", "interval_ns must be positive")
    f = fills_frame(fills)
    m = mids_frame(mids)
    stamps = np.concatenate([f["ts"].to_numpy(np.int64), m["ts"].to_numpy(np.int64)])
    if stamps.size == 0 and (start_ns is None or end_ns is None):
        raise InputError("<analytics>", "no fills and no mids: give start_ns and end_ns")
    start = int(stamps.min()) if start_ns is None else start_ns
    end = int(stamps.max()) if end_ns is None else end_ns
    if end < start:
        raise InputError("<analytics>", "end_ns is before start_ns")
    f = f[(f["ts"] >= start) & (f["ts"] <= end)].reset_index(drop=True)
    mi = MidIndex(m[m["ts"] <= end], end_ns=end)

    # exact money
    fifo = fifo_realised(f)
    fees = fee_totals(f)
    by_symbol = []
    marks: dict[str, Decimal] = {}
    for sym, grp in f.groupby("symbol", sort=True):
        s = str(sym)
        last_mid = mi.asof(s, np.asarray([end], dtype=np.int64))[0]
        if not np.isnan(last_mid):
            marks[s] = to_decimal(float(last_mid), "mid", "<mids>")
        else:
            marks[s] = grp["px"].iloc[-1]
    unreal = unrealised(fifo.open_lots, marks)
    for sym, grp in f.groupby("symbol", sort=True):
        s = str(sym)
        rows = grp.index.to_numpy()
        gfees = fee_totals(grp)
        by_symbol.append(
            SymbolPnl(
                s,
                fifo.position[rows[-1]],
                marks.get(s),
                sum((fifo.realised[i] for i in rows), _ZERO),
                unreal.get(s, _ZERO),
                gfees.net,
            )
        )
    realised = fifo.total_realised()
    unreal_total = sum(unreal.values(), _ZERO)
    notional = sum((p * q for p, q in zip(f["px"], f["qty"], strict=True)), _ZERO)

    # per interval
    if grid_ns is None:
        grid = np.arange(start, end + 1, interval_ns, dtype=np.int64)
        spacing = interval_ns
    else:
        grid = np.sort(np.asarray(grid_ns, dtype=np.int64))
        spacing = int(np.median(np.diff(grid))) if grid.size > 1 else interval_ns
    eq_grid = equity_curve(f, mi, grid)
    returns = np.diff(eq_grid)
    if annualisation is not None:
        ppy = annualisation
    elif spacing > 0:
        ppy = periods_per_year(spacing)
    else:
        raise InputError("<analytics>", "grid_ns must hold distinct times")
    events = np.sort(np.concatenate([[start], stamps[(stamps >= start) & (stamps <= end)]]))
    events = events[np.concatenate([[True], np.diff(events) != 0])]
    eq_events = equity_curve(f, mi, events.astype(np.int64))
    closes = np.array(
        [float(r) for r, c in zip(fifo.realised, fifo.closed_qty, strict=True) if c > 0],
        dtype=np.float64,
    )
    moved = returns[returns != 0]
    inv = inventory_stats(f, start, end) if end > start else ()
    return PerformanceSummary(
        start_ns=start,
        end_ns=end,
        interval_ns=interval_ns,
        periods_per_year=ppy,
        n_fills=len(f),
        notional_traded=notional,
        realised=realised,
        unrealised=unreal_total,
        fees=fees,
        total=realised + unreal_total - fees.net,
        by_symbol=tuple(by_symbol),
        spread_capture=spread_capture(f, mi),
        markouts=markouts(f, mi, horizons_s),
        interval_pnl=tuple(float(x) for x in returns),
        sharpe=sharpe(returns, ppy),
        sortino=sortino(returns, ppy),
        max_drawdown=max_drawdown(eq_events, events.astype(np.int64)),
        win_rate_closes=win_rate(closes),
        profit_factor_closes=profit_factor(closes),
        win_rate_intervals=win_rate(moved),
        profit_factor_intervals=profit_factor(moved),
        inventory=inv,
    )
