"""Spread capture at the fill and markouts after it (adverse selection), vectorised.

For a fill with side sign s (+1 buy, -1 sell) at price px:

- spread capture = s * (mid_before - px), with mid_before the last mid strictly
  before the fill (the book the fill hit, not the one it left behind);
- markout at horizon h = s * (mid(t + h) - px), with mid(t + h) the last mid at
  or before t + h. Positive is good for us; a markout that falls with h is
  adverse selection (the price moved against the side we took).

Per horizon: `n` fills with a known mid (a fill whose t + h lies past the end
of the mid data, or before any mid, is left out), `per_unit` = the
quantity-weighted mean per unit, `bps` = the quantity-weighted mean of
s * (mid - px) / px * 1e4, and `total` = the sum of qty * s * (mid - px) in money.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from mmsla.analytics.marks import MidIndex

__all__ = ["MarkoutStats", "markout_table", "markouts", "markouts_by", "spread_capture"]

F64 = npt.NDArray[np.float64]
DEFAULT_HORIZONS_S: tuple[float, ...] = (1.0, 10.0, 60.0)


@dataclass(frozen=True)
class MarkoutStats:
    """Aggregated markout at `horizon_s` seconds (0 = spread capture at the fill)."""

    horizon_s: float
    n: int
    per_unit: float | None
    bps: float | None
    total: float


def _mid_at(fills: pd.DataFrame, mids: MidIndex, offset_ns: int, strict: bool) -> F64:
    out = np.full(len(fills), np.nan)
    ts = fills["ts"].to_numpy(dtype=np.int64)
    for s, rows in fills.groupby("symbol", sort=False).indices.items():
        out[rows] = mids.asof(str(s), ts[rows] + offset_ns, strict=strict)
    return out


def _aggregate(fills: pd.DataFrame, mid: F64, horizon_s: float) -> MarkoutStats:
    sign = fills["sign"].to_numpy(dtype=np.float64)
    px = fills["px_f"].to_numpy()
    qty = fills["qty_f"].to_numpy()
    ok = ~np.isnan(mid)
    if not ok.any():
        return MarkoutStats(horizon_s, 0, None, None, 0.0)
    edge = sign[ok] * (mid[ok] - px[ok])
    w = qty[ok]
    total = float(np.sum(w * edge))
    per_unit = total / float(np.sum(w))
    bps = float(np.sum(w * edge / px[ok] * 1e4) / np.sum(w))
    return MarkoutStats(horizon_s, int(ok.sum()), per_unit, bps, total)


def markout_table(
    fills: pd.DataFrame, mids: MidIndex, horizons_s: Sequence[float] = DEFAULT_HORIZONS_S
) -> pd.DataFrame:
    """Per fill: `capture` and `markout_<h>s` per unit (NaN where the mid is unknown)."""
    sign = fills["sign"].to_numpy(dtype=np.float64)
    px = fills["px_f"].to_numpy()
    out = pd.DataFrame({"ts": fills["ts"], "symbol": fills["symbol"]})
    out["capture"] = sign * (_mid_at(fills, mids, 0, strict=True) - px)
    for h in horizons_s:
        mid = _mid_at(fills, mids, round(h * 1e9), strict=False)
        out[f"markout_{h:g}s"] = sign * (mid - px)
    return out


def spread_capture(fills: pd.DataFrame, mids: MidIndex) -> MarkoutStats:
    """Edge at the fill against the last mid strictly before it (horizon 0)."""
    return _aggregate(fills, _mid_at(fills, mids, 0, strict=True), 0.0)


def markouts(
    fills: pd.DataFrame, mids: MidIndex, horizons_s: Sequence[float] = DEFAULT_HORIZONS_S
) -> tuple[MarkoutStats, ...]:
    """Markouts at each horizon (seconds), aggregated over the fills."""
    return tuple(
        _aggregate(fills, _mid_at(fills, mids, round(h * 1e9), strict=False), float(h))
        for h in horizons_s
    )


def markouts_by(
    fills: pd.DataFrame,
    mids: MidIndex,
    column: str,
    horizons_s: Sequence[float] = DEFAULT_HORIZONS_S,
) -> dict[str, tuple[MarkoutStats, ...]]:
    """Spread capture (first) then markouts, per value of `column` (`symbol`, `liquidity`, ...)."""
    out: dict[str, tuple[MarkoutStats, ...]] = {}
    for key, grp in fills.groupby(fills[column].astype(str), sort=True):
        part = grp.reset_index(drop=True)
        out[str(key)] = (spread_capture(part, mids), *markouts(part, mids, horizons_s))
    return out
