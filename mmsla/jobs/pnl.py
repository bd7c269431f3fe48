"""Daily PnL job: `mmsla.analytics.summarise` over the day's fills and market mids in the store.

The day is the local calendar day of the agreement's timezone (00:00 to 24:00),
so fills outside the obligation window still count. The position is taken as
flat at the start of the day (see `summarise`). Marks: the market reference
mids, or our own quote mids for a symbol without market rows. Besides the
summary, it keeps the equity curve (after every fill and mid update, for the
PnL chart) and each symbol's inventory path. Does not render or persist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from mmsla.analytics import PerformanceSummary, fills_frame, summarise
from mmsla.analytics.marks import MidIndex
from mmsla.analytics.pnl import equity_curve
from mmsla.domain.agreement import Agreement
from mmsla.obligations.calendar import local_ns
from mmsla.store import EventStore

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
INTERVAL_NS = 5 * 60 * 1_000_000_000  # Sharpe/Sortino over 5-minute intraday intervals
CURVE_POINTS = 4000


@dataclass(frozen=True, eq=False)
class PnlDay:
    agreement: Agreement
    day: date
    start_ns: int
    end_ns: int
    summary: PerformanceSummary | None  # None: no fills that day
    equity_ts: I64
    equity: F64
    inventory: dict[str, tuple[I64, F64]]

    @cached_property
    def figures(self) -> dict[str, Any]:
        return {
            "agreement": {"id": self.agreement.id, "version": self.agreement.version},
            "date": self.day.isoformat(),
            "summary": None if self.summary is None else self.summary.to_dict(),
        }


def _fills(store: EventStore, start_ns: int, end_ns: int) -> pd.DataFrame:
    rows = store.con.execute(
        "SELECT ts, symbol, side, px::VARCHAR, qty::VARCHAR, fee::VARCHAR, liquidity "
        "FROM fills WHERE ts >= ? AND ts < ? ORDER BY ts, file_id, line",
        [start_ns, end_ns],
    ).fetchall()
    return pd.DataFrame(rows, columns=["ts", "symbol", "side", "px", "qty", "fee", "liquidity"])


def _mids(store: EventStore, start_ns: int, end_ns: int) -> pd.DataFrame:
    """Market mids; our own quote mids for symbols with no market rows (two-sided rows only).

    The same frame as `mids_frame` (ts, symbol, finite float mid, by symbol then time),
    built straight from one sorted DuckDB result: the sort runs in DuckDB, and rows at
    the same instant keep their file order (market rows first) instead of an arbitrary one.
    """
    sql = (
        "SELECT ts, symbol, ((bid_px + ask_px) / 2)::DOUBLE AS mid, {src} AS src, file_id, line "
        "FROM {t} WHERE ts >= ? AND ts < ? AND bid_px IS NOT NULL AND ask_px IS NOT NULL {extra}"
    )
    market = sql.format(src=0, t="market", extra="")
    own = sql.format(
        src=1,
        t="quotes",
        extra="AND symbol NOT IN (SELECT DISTINCT symbol FROM market WHERE ts >= ? AND ts < ?)",
    )
    tbl = store.con.sql(
        f"SELECT ts, symbol, mid FROM ({market} UNION ALL {own}) "
        "ORDER BY symbol, ts, src, file_id, line",
        params=[start_ns, end_ns, start_ns, end_ns, start_ns, end_ns],
    ).to_arrow_table()
    mid = tbl.column("mid").to_numpy()
    keep = np.isfinite(mid)
    frame = pd.DataFrame(
        {
            "ts": tbl.column("ts").to_numpy().astype(np.int64, copy=False),
            "symbol": tbl.column("symbol").to_numpy(zero_copy_only=False).astype(object),
            "mid": mid.astype(np.float64, copy=False),
        }
    )
    return frame if keep.all() else frame[keep].reset_index(drop=True)


def mid_changes(mids: pd.DataFrame) -> pd.DataFrame:
    """Rows of a `mids_frame` where the mid differs from the symbol's previous row.

    A repeated mid changes no mark, markout or equity value, so the analytics
    give the same figures from these rows (with the window pinned to the full
    series' first and last instants, see `run_pnl_day`).
    """
    if len(mids) < 2:
        return mids
    sym = mids["symbol"].to_numpy()
    mid = mids["mid"].to_numpy(np.float64)
    keep = np.ones(len(mids), bool)
    keep[1:] = (mid[1:] != mid[:-1]) | (sym[1:] != sym[:-1])
    return mids[keep].reset_index(drop=True)


def run_pnl_day(store: EventStore, agreement: Agreement, day: date) -> PnlDay:
    """PnL of the local calendar `day` (position flat at its start)."""
    tz = ZoneInfo(agreement.timezone)
    start = local_ns(tz, day, 0)
    end = local_ns(tz, day + timedelta(days=1), 0)
    raw = _fills(store, start, end)
    if raw.empty:
        empty_i = np.zeros(0, np.int64)
        return PnlDay(agreement, day, start, end, None, empty_i, np.zeros(0), {})
    fills = fills_frame(raw)
    all_mids = _mids(store, start, end)
    stamps = [fills["ts"].to_numpy(np.int64), all_mids["ts"].to_numpy(np.int64)]
    first = min(int(t.min()) for t in stamps if t.size)
    last = max(int(t.max()) for t in stamps if t.size)
    mids = mid_changes(all_mids)
    summary = summarise(raw, mids, interval_ns=INTERVAL_NS, start_ns=first, end_ns=last)
    # the curve at evenly spaced instants and at every fill (where the equity jumps)
    grid = np.concatenate(
        [
            np.linspace(summary.start_ns, summary.end_ns, CURVE_POINTS).astype(np.int64),
            fills["ts"].to_numpy(np.int64),
        ]
    )
    grid.sort()
    eq_ts = grid[np.concatenate([[True], np.diff(grid) != 0])]
    mi = MidIndex(mids[mids["ts"] <= summary.end_ns], end_ns=summary.end_ns)
    equity = np.asarray(equity_curve(fills, mi, eq_ts), dtype=np.float64)
    inventory = {}
    for sym, grp in fills.groupby("symbol", sort=True):
        pos = np.cumsum(grp["sign"].to_numpy(np.float64) * grp["qty_f"].to_numpy(np.float64))
        inventory[str(sym)] = (grp["ts"].to_numpy(np.int64), pos)
    return PnlDay(agreement, day, start, end, summary, eq_ts, equity, inventory)
