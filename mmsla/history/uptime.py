"""`uptime` over the store: rows per hour, day or month, plus the monthly verdicts.

Drives `store_check.iter_days` one chunk at a time and keeps only the small per-day
figures (the breach episodes of a day are dropped once its rows are made), so the
memory a month query needs is bounded by one chunk. Does not print.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from mmsla.domain.agreement import Agreement
from mmsla.errors import InputError
from mmsla.history.buckets import BUCKETS, UptimeRow, day_row, hour_rows, month_rows
from mmsla.history.store_check import DEFAULT_CHUNK_DAYS, iter_days, resolve_scope
from mmsla.obligations import DayResult, MonthResult
from mmsla.obligations.calendar import sample_times
from mmsla.obligations.monthly import roll_up
from mmsla.obligations.result import Episodes
from mmsla.obligations.timeline import Intervals, state_intervals
from mmsla.store import EventStore

_NO_EPISODES = Episodes(
    np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint16), np.zeros(0, bool)
)


@dataclass(frozen=True)
class Uptime:
    """Rows of the chosen bucket and the monthly verdicts.

    Day and hour rows are in date, symbol, hour order (like `mmsla check`); month rows in
    symbol, month order (like its `months`).
    """

    by: str
    rows: tuple[UptimeRow, ...]
    months: tuple[MonthResult, ...]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows) and all(m.passed for m in self.months)

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": [r.to_json() for r in self.rows],
            "months": [m.to_json() for m in self.months],
        }


def uptime(
    store: EventStore,
    agreement: Agreement,
    *,
    by: str = "day",
    symbol: str | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
    chunk_days: int = DEFAULT_CHUNK_DAYS,
    workers: int | None = None,
) -> Uptime:
    """Uptime buckets of every symbol in scope (see `buckets` for the figures)."""
    if by not in BUCKETS:
        raise InputError("--by", f"unknown bucket {by!r} (expected one of {', '.join(BUCKETS)})")
    scope = resolve_scope(store, agreement, symbol=symbol, first_day=first_day, last_day=last_day)
    frames = {f.day: f for f in scope.frames}
    excluded: dict[str, Intervals] = {}
    light: list[DayResult] = []
    day_rows: list[UptimeRow] = []
    rows: list[UptimeRow] = []
    for d in iter_days(store, agreement, scope, chunk_days=chunk_days, workers=workers):
        row = day_row(d)
        day_rows.append(row)
        if by == "hour":
            frame = frames[d.day]
            if d.symbol not in excluded:
                states = store.load_states(
                    symbol=d.symbol,
                    start_ns=scope.frames[0].start_ns,
                    end_ns=scope.frames[-1].end_ns,
                )
                excluded[d.symbol] = state_intervals(states, d.symbol, agreement.states.excluded())
            rows.extend(
                hour_rows(agreement, d, frame, excluded[d.symbol], sample_times(agreement, frame))
            )
        elif by == "day":
            rows.append(row)
        light.append(dataclasses.replace(d, breaches=_NO_EPISODES))
    light.sort(key=lambda d: (d.day, d.symbol))
    months = roll_up(agreement.monthly, light) if agreement.monthly is not None else []
    if by == "month":
        rows = month_rows(day_rows, months)
    else:  # like `mmsla check`: time order, then symbol (stable: a repeated DST hour keeps order)
        rows.sort(key=lambda r: (r.bucket[:10], r.symbol))
    return Uptime(by, tuple(rows), tuple(months))
