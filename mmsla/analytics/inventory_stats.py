"""Inventory statistics per symbol: time-weighted mean position, mean |position|, max |position|.

The position is a step function of time that changes at each fill. Over the
window [start_ns, end_ns): `tw_mean_qty` = integral of q dt / (end - start),
`tw_mean_abs_qty` likewise with |q|; `max_abs_qty` is the largest |q| reached
inside the window (or held at its start); `final_qty` is the exact position at
the end of all fills. The position before the first fill is 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

__all__ = ["InventoryStats", "inventory_stats"]


@dataclass(frozen=True)
class InventoryStats:
    symbol: str
    tw_mean_qty: float
    tw_mean_abs_qty: float
    max_abs_qty: float
    final_qty: Decimal


def inventory_stats(fills: pd.DataFrame, start_ns: int, end_ns: int) -> tuple[InventoryStats, ...]:
    """One `InventoryStats` per symbol of the fills frame, over [start_ns, end_ns)."""
    if end_ns <= start_ns:
        raise ValueError("end_ns must be after start_ns")
    out = []
    span = float(end_ns - start_ns)
    for sym, grp in fills.groupby("symbol", sort=True):
        ts = grp["ts"].to_numpy(dtype=np.int64)
        q = np.cumsum(grp["sign"].to_numpy(dtype=np.float64) * grp["qty_f"].to_numpy())
        # breakpoints clipped to the window; q[i] holds from ts[i] to ts[i+1]
        t0 = np.clip(ts, start_ns, end_ns)
        t1 = np.clip(np.append(ts[1:], end_ns), start_ns, end_ns)
        dt = (t1 - t0).astype(np.float64)
        inside = (ts < end_ns) & (np.append(ts[1:], end_ns) > start_ns)
        final = sum(
            (qq if s > 0 else -qq for s, qq in zip(grp["sign"], grp["qty"], strict=True)),
            Decimal(0),
        )
        out.append(
            InventoryStats(
                str(sym),
                float(np.sum(q * dt)) / span,
                float(np.sum(np.abs(q) * dt)) / span,
                float(np.max(np.abs(q[inside]))) if inside.any() else 0.0,
                final,
            )
        )
    return tuple(out)
