"""Calibrate the fill intensity lambda(delta) = A exp(-k delta) from trade prints and the mid.

For each trade, its depth is the distance from the prevailing mid (the latest
book mid strictly before the trade) to the trade price, on the aggressor's side:
a buyer-initiated print at px has depth px - mid, a seller-initiated one
mid - px (negative depths, prints through the mid, count as depth 0).

lambda(delta) is the rate at which a resting order at distance delta would be
reached: the number of prints with depth >= delta per second. It is measured
on a grid delta_j = j * step (the near-mid range: up to the last level with at
least `min_count` prints, or `max_depth`) and A, k come from the least-squares
line ln lambda = ln A - k delta, weighted by
count (the inverse variance of a log count). Units: depth in price units, A per second,
k per price unit.

Works on plain arrays, so any source fits (a simulator, Binance, LOBSTER).
Does not model queue position, order size or self-excitation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
NS_PER_S = 1_000_000_000


@dataclass(frozen=True)
class IntensityFit:
    """Fitted A (per s) and k (per price unit), with the points the line went through."""

    a_per_s: float
    k_per_px: float
    n_trades: int
    duration_s: float
    depth_px: F64  # grid points used
    rate_per_s: F64  # measured lambda at those points
    r2: float


def trade_depths(
    trade_ts_ns: npt.ArrayLike,
    trade_px: npt.ArrayLike,
    trade_side: npt.ArrayLike,
    book_ts_ns: npt.ArrayLike,
    mid_px: npt.ArrayLike,
) -> F64:
    """Depth of each trade from the prevailing mid; NaN where no mid precedes it.

    `trade_side` is the aggressor: +1 buyer-initiated, -1 seller-initiated.
    Book timestamps must be non-decreasing.
    """
    t_ts = np.asarray(trade_ts_ns, dtype=np.int64)
    t_px = np.asarray(trade_px, dtype=np.float64)
    b_ts = np.asarray(book_ts_ns, dtype=np.int64)
    mid_px = np.asarray(mid_px, dtype=np.float64)
    idx = np.searchsorted(b_ts, t_ts, side="left") - 1
    have = (idx >= 0) & np.isfinite(mid_px[np.maximum(idx, 0)])
    m = mid_px[np.maximum(idx, 0)]
    depth = np.where(np.asarray(trade_side, dtype=np.int64) > 0, t_px - m, m - t_px)
    return np.where(have, np.maximum(depth, 0.0), np.nan)


def fit_intensity(
    depths_px: npt.ArrayLike,
    duration_s: float,
    step_px: float,
    *,
    max_depth_px: float | None = None,
    min_count: int = 20,
) -> IntensityFit:
    """Fit A, k from trade depths observed over `duration_s` seconds.

    Raises `ValueError` with fewer than two usable grid points (too few trades,
    or a step larger than the depths seen).
    """
    if not (duration_s > 0 and step_px > 0):
        raise ValueError("fit_intensity needs duration_s > 0 and step_px > 0")
    raw = np.asarray(depths_px, dtype=np.float64)
    d = np.sort(raw[np.isfinite(raw)])
    if d.size == 0:
        raise ValueError("no trades with a prevailing mid")
    top = float(d[-1]) if max_depth_px is None else max_depth_px
    grid = np.arange(0.0, top + step_px / 2, step_px)
    # prints with depth >= delta (a small tolerance so a print exactly on a grid
    # point counts despite float noise)
    counts = d.size - np.searchsorted(d, grid - 1e-9 * step_px, side="left")
    use = counts >= min_count
    if use.sum() < 2:
        raise ValueError(
            f"too few grid points with >= {min_count} prints (step {step_px}): cannot fit A, k"
        )
    x = grid[use]
    rate = counts[use] / duration_s
    y = np.log(rate)
    # ln(count) has variance ~1/count: weight each point by its count (polyfit's
    # w multiplies residuals, hence the square root), so the sparse tail does not
    # drag the line.
    wts = counts[use].astype(np.float64)
    slope, intercept = np.polyfit(x, y, 1, w=np.sqrt(wts))
    pred = intercept + slope * x
    y_bar = float(np.average(y, weights=wts))
    ss_tot = float((wts * (y - y_bar) ** 2).sum())
    r2 = 1.0 - float((wts * (y - pred) ** 2).sum()) / ss_tot if ss_tot > 0 else 1.0
    return IntensityFit(
        a_per_s=math.exp(float(intercept)),
        k_per_px=-float(slope),
        n_trades=int(d.size),
        duration_s=duration_s,
        depth_px=x,
        rate_per_s=rate,
        r2=r2,
    )


def calibrate(
    trade_ts_ns: npt.ArrayLike,
    trade_px: npt.ArrayLike,
    trade_side: npt.ArrayLike,
    book_ts_ns: npt.ArrayLike,
    mid_px: npt.ArrayLike,
    step_px: float,
    *,
    max_depth_px: float | None = None,
    min_count: int = 20,
) -> IntensityFit:
    """Depths from the arrays, then the fit; duration = first book row to last trade."""
    t_ts = np.asarray(trade_ts_ns, dtype=np.int64)
    b_ts = np.asarray(book_ts_ns, dtype=np.int64)
    if t_ts.size == 0 or b_ts.size == 0:
        raise ValueError("need at least one trade and one book row")
    depths = trade_depths(t_ts, trade_px, trade_side, b_ts, mid_px)
    duration_s = (int(t_ts.max()) - int(b_ts.min())) / NS_PER_S
    return fit_intensity(
        depths, duration_s, step_px, max_depth_px=max_depth_px, min_count=min_count
    )
