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
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from mmsla.analytics import PerformanceSummary, fills_frame, mids_frame, summarise
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
    """Market mids; our own quote mids for symbols with no market rows."""
    sql = (
        "SELECT ts, symbol, bid_px::DOUBLE AS bid_px, ask_px::DOUBLE AS ask_px FROM {t} "
        "WHERE ts >= ? AND ts < ? AND bid_px IS NOT NULL AND ask_px IS NOT NULL {extra}"
    )
    market = store.con.execute(sql.format(t="market", extra=""), [start_ns, end_ns]).df()
    own = store.con.execute(
        sql.format(
            t="quotes",
            extra="AND symbol NOT IN (SELECT DISTINCT symbol FROM market WHERE ts >= ? AND ts < ?)",
        ),
        [start_ns, end_ns, start_ns, end_ns],
    ).df()
    both = pd.concat([market, own], ignore_index=True)
    if both.empty:
        return pd.DataFrame({"ts": [], "symbol": [], "mid": []})
    return both


def _thin(ts: I64, n: int) -> I64:
    if ts.size <= n:
        return ts
    return ts[np.linspace(0, ts.size - 1, n).astype(np.int64)]


def run_pnl_day(store: EventStore, agreement: Agreement, day: date) -> PnlDay:
    """PnL of the local calendar `day` (position flat at its start)."""
    tz = ZoneInfo(agreement.timezone)
    start = local_ns(tz, day, 0)
    end = local_ns(tz, day + timedelta(days=1), 0)
    raw = _fills(store, start, end)
    if raw.empty:
        empty_i = np.zeros(0, np.int64)
        return PnlDay(agreement, day, start, end, None, empty_i, np.zeros(0), {})
    raw_mids = _mids(store, start, end)
    summary = summarise(raw, raw_mids, interval_ns=INTERVAL_NS)
    fills, mids = fills_frame(raw), mids_frame(raw_mids)
    stamps = np.unique(
        np.concatenate([fills["ts"].to_numpy(np.int64), mids["ts"].to_numpy(np.int64)])
    )
    stamps = stamps[(stamps >= summary.start_ns) & (stamps <= summary.end_ns)]
    eq_ts = _thin(stamps, CURVE_POINTS)
    mi = MidIndex(mids[mids["ts"] <= summary.end_ns], end_ns=summary.end_ns)
    equity = np.asarray(equity_curve(fills, mi, eq_ts), dtype=np.float64)
    inventory = {}
    for sym, grp in fills.groupby("symbol", sort=True):
        pos = np.cumsum(grp["sign"].to_numpy(np.float64) * grp["qty_f"].to_numpy(np.float64))
        inventory[str(sym)] = (grp["ts"].to_numpy(np.int64), pos)
    return PnlDay(agreement, day, start, end, summary, eq_ts, equity, inventory)
