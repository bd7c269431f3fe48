"""Sharpe, Sortino, drawdown, win rate and profit factor against hand arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mmsla.analytics.ratios import (
    TRADING_DAYS_PER_YEAR,
    max_drawdown,
    periods_per_year,
    profit_factor,
    sharpe,
    sortino,
    win_rate,
)


def test_sharpe_and_sortino_by_hand() -> None:
    r = np.array([1.0, -1.0, 2.0, 0.0])
    # mean 0.5; sample variance ((0.5)^2 + (1.5)^2 + (1.5)^2 + (0.5)^2) / 3 = 5/3
    assert sharpe(r, 1.0) == pytest.approx(0.5 / math.sqrt(5 / 3))
    assert sharpe(r, TRADING_DAYS_PER_YEAR) == pytest.approx(
        0.5 / math.sqrt(5 / 3) * math.sqrt(252)
    )
    # downside deviation sqrt((0 + 1 + 0 + 0) / 4) = 0.5 -> 0.5 / 0.5 = 1 per period
    assert sortino(r, 252.0) == pytest.approx(math.sqrt(252))


def test_undefined_ratios_are_none() -> None:
    assert sharpe(np.array([1.0]), 252) is None
    assert sharpe(np.array([1.0, 1.0, 1.0]), 252) is None  # no dispersion
    assert sortino(np.array([1.0, 2.0]), 252) is None  # no downside
    assert profit_factor(np.array([1.0, 2.0])) is None
    assert win_rate(np.array([])) is None


def test_drawdown_peak_and_trough() -> None:
    eq = np.array([0.0, 5.0, 3.0, 6.0, 1.0, 4.0, 7.0])
    t = np.arange(7, dtype=np.int64) * 10
    dd = max_drawdown(eq, t)
    # running peak 0,5,5,6,6,6,7; falls 0,0,2,0,5,2,0 -> 5 from the peak at t=30 to t=40
    assert (dd.amount, dd.peak_ns, dd.trough_ns) == (5.0, 30, 40)
    up = max_drawdown(np.array([0.0, 1.0, 2.0]), np.arange(3, dtype=np.int64))
    assert up.amount == 0.0 and up.peak_ns is None


def test_win_rate_zeros_are_not_wins_and_profit_factor() -> None:
    o = np.array([3.0, -1.0, 0.0, 2.0, -4.0])
    assert win_rate(o) == pytest.approx(2 / 5)
    assert profit_factor(o) == pytest.approx(5 / 5)


def test_periods_per_year() -> None:
    assert periods_per_year(86_400 * 1_000_000_000) == pytest.approx(365.0)
    assert periods_per_year(3_600 * 1_000_000_000) == pytest.approx(8760.0)
    with pytest.raises(ValueError, match="positive"):
        periods_per_year(0)
