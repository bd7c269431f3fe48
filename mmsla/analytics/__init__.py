"""Performance analytics of a market-making session, from its fills and a mid/mark series.

Shared by the PnL job, the reports and the backtester. Pure functions over
pandas/NumPy; no I/O, no clock. Money figures that are sums of exact amounts
(realised FIFO PnL, fees, rebates, unrealised at the final mark) are `Decimal`;
statistics (markouts, spread capture, ratios, drawdown, inventory averages)
are floats.

- `inputs`: normalise fills and mids into sorted frames (clear errors on bad input)
- `pnl`: FIFO realised PnL per fill, fees/rebates, unrealised at a mark, equity curve
- `markouts`: spread capture at the fill and markouts after it (adverse selection)
- `ratios`: Sharpe, Sortino, maximum drawdown, win rate, profit factor
- `inventory_stats`: time-weighted and extreme positions
- `grid`: local trading-day boundaries for daily returns
- `summary`: `summarise(...)`, everything above in one `PerformanceSummary`
"""

from mmsla.analytics.grid import day_starts_ns
from mmsla.analytics.inputs import fills_frame, mids_frame
from mmsla.analytics.inventory_stats import InventoryStats, inventory_stats
from mmsla.analytics.markouts import MarkoutStats, markouts, markouts_by, spread_capture
from mmsla.analytics.pnl import FeeTotals, equity_curve, fee_totals, fifo_realised, unrealised
from mmsla.analytics.ratios import (
    Drawdown,
    max_drawdown,
    profit_factor,
    sharpe,
    sortino,
    win_rate,
)
from mmsla.analytics.summary import PerformanceSummary, SymbolPnl, summarise

__all__ = [
    "Drawdown",
    "FeeTotals",
    "InventoryStats",
    "MarkoutStats",
    "PerformanceSummary",
    "SymbolPnl",
    "day_starts_ns",
    "equity_curve",
    "fee_totals",
    "fifo_realised",
    "fills_frame",
    "inventory_stats",
    "markouts",
    "markouts_by",
    "max_drawdown",
    "mids_frame",
    "profit_factor",
    "sharpe",
    "sortino",
    "spread_capture",
    "summarise",
    "unrealised",
    "win_rate",
]
