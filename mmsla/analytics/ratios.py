"""Ratios of a PnL series: Sharpe, Sortino, maximum drawdown, win rate, profit factor.

Conventions (stated once, used by the reports):

- Returns are per-interval PnL changes in money (equity differences on a regular
  grid). Sharpe and Sortino are scale-free, so dividing by a constant capital
  changes nothing; the risk-free rate and the Sortino target are 0.
- Sharpe = mean / sample standard deviation (ddof 1) * sqrt(periods_per_year).
- Sortino = mean / downside deviation * sqrt(periods_per_year), with downside
  deviation = sqrt(mean over ALL periods of min(r, 0)^2).
- Annualisation is by `periods_per_year`: 252 for daily returns of an exchange
  that trades on weekdays (`TRADING_DAYS_PER_YEAR`), 365 for a 24/7 crypto
  venue, or `periods_per_year(interval_ns)` for intraday intervals over
  365-day years of continuous trading.
- None is returned when a ratio is undefined (fewer than two periods, zero
  dispersion, no losses for the profit factor).
- Maximum drawdown = the largest fall of the equity curve from a running peak,
  in money (the curve starts at its first value, normally 0 PnL).
- Win rate = wins / outcomes counted; profit factor = gross gains / gross
  losses. Which outcomes are counted (closing fills or intervals) is the
  caller's choice; `summary` reports both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "TRADING_DAYS_PER_YEAR",
    "Drawdown",
    "max_drawdown",
    "periods_per_year",
    "profit_factor",
    "sharpe",
    "sortino",
    "win_rate",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
TRADING_DAYS_PER_YEAR = 252.0
_YEAR_NS = 365 * 86_400 * 1_000_000_000


def periods_per_year(interval_ns: int) -> float:
    """Intervals of `interval_ns` in a 365-day year of continuous trading."""
    if interval_ns <= 0:
        raise ValueError("interval_ns must be positive")
    return _YEAR_NS / interval_ns


def sharpe(returns: F64, periods_per_year: float) -> float | None:
    r = np.asarray(returns, dtype=np.float64)
    if r.size < 2:
        return None
    sd = float(np.std(r, ddof=1))
    if sd == 0.0 or not math.isfinite(sd):
        return None
    return float(np.mean(r)) / sd * math.sqrt(periods_per_year)


def sortino(returns: F64, periods_per_year: float) -> float | None:
    r = np.asarray(returns, dtype=np.float64)
    if r.size < 2:
        return None
    dd = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2)))
    if dd == 0.0:
        return None
    return float(np.mean(r)) / dd * math.sqrt(periods_per_year)


@dataclass(frozen=True)
class Drawdown:
    """Largest peak-to-trough fall (money) and when the peak and the trough were."""

    amount: float
    peak_ns: int | None
    trough_ns: int | None


def max_drawdown(equity: F64, times_ns: I64) -> Drawdown:
    eq = np.asarray(equity, dtype=np.float64)
    if eq.size == 0:
        return Drawdown(0.0, None, None)
    peak = np.maximum.accumulate(eq)
    fall = peak - eq
    trough = int(np.argmax(fall))
    amount = float(fall[trough])
    if amount <= 0.0:
        return Drawdown(0.0, None, None)
    peak_at = int(np.argmax(eq[: trough + 1]))  # first time the running peak was reached
    return Drawdown(amount, int(times_ns[peak_at]), int(times_ns[trough]))


def win_rate(outcomes: F64) -> float | None:
    """Share of outcomes > 0 among all outcomes (zeros count as non-wins)."""
    o = np.asarray(outcomes, dtype=np.float64)
    if o.size == 0:
        return None
    return float(np.count_nonzero(o > 0)) / o.size


def profit_factor(outcomes: F64) -> float | None:
    """Sum of gains / |sum of losses|; None without losses."""
    o = np.asarray(outcomes, dtype=np.float64)
    losses = -float(np.sum(o[o < 0]))
    if losses == 0.0:
        return None
    return float(np.sum(o[o > 0])) / losses
