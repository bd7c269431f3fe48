"""Trading days and their obligation time in UTC ns, cut in the agreement's timezone.

For each trading day: the window `[start, end)` (local clock, DST-correct via
zoneinfo, `24:00` = next local midnight), the daily clock exclusions, the local
clock-hour edges (for downtime) and the snapshot sample times. Market-state
exclusions are applied later by `timeline`. Does not look at quotes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from mmsla.domain.agreement import Agreement
from mmsla.obligations.exact import ns_from_seconds

NS = 1_000_000_000
UTC = ZoneInfo("UTC")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class DayFrame:
    """One trading day: window, clock exclusions and clock-hour edges as UTC ns."""

    day: date
    start_ns: int
    end_ns: int
    excludes: tuple[tuple[int, int], ...]
    hour_edges: I64  # local clock-hour starts strictly inside (start_ns, end_ns)


def local_ns(tz: ZoneInfo, day: date, seconds: int) -> int:
    """UTC ns of local wall time `seconds` after midnight of `day` (86400 = next midnight)."""
    extra, seconds = divmod(seconds, 86400)
    local = datetime.combine(day + timedelta(days=extra), time(), tzinfo=tz) + timedelta(
        seconds=seconds
    )
    # wall-clock addition, then normalise through UTC so DST gaps/overlaps resolve (fold=0)
    return (local.astimezone(UTC) - EPOCH) // timedelta(microseconds=1) * 1000


def local_date(tz: ZoneInfo, ts_ns: int) -> date:
    return datetime.fromtimestamp(ts_ns // NS, tz=tz).date()


def trading_days(agreement: Agreement, first: date, last: date) -> list[date]:
    """Trading days in `[first, last]` (inclusive) by weekday and holiday."""
    out, day = [], first
    while day <= last:
        if agreement.calendar.is_trading_day(day):
            out.append(day)
        day += timedelta(days=1)
    return out


def _hour_edges(tz: ZoneInfo, start_ns: int, end_ns: int) -> I64:
    """Instants in (start, end) where the local clock shows HH:00:00 (any UTC offset)."""
    quarter = 900 * NS
    first = (start_ns // quarter + 1) * quarter
    out = []
    for t in range(first, end_ns, quarter):
        local = datetime.fromtimestamp(t // NS, tz=tz)
        if local.minute == 0 and local.second == 0:
            out.append(t)
    return np.asarray(out, dtype=np.int64)


def day_frame(agreement: Agreement, day: date) -> DayFrame:
    """The window, clock exclusions and hour edges of `day` (assumed a trading day)."""
    tz = ZoneInfo(agreement.timezone)
    w = agreement.window
    start = local_ns(tz, day, w.start_s)
    end = local_ns(tz, day, w.end_s)
    excludes = tuple(
        (local_ns(tz, day, ex.start_s), local_ns(tz, day, ex.end_s)) for ex in w.exclude
    )
    return DayFrame(day, start, end, excludes, _hour_edges(tz, start, end))


def sample_times(agreement: Agreement, frame: DayFrame) -> I64 | None:
    """Snapshot sample instants `start + k * interval` in the window; None if time-weighted."""
    m = agreement.measurement
    if m.mode != "snapshot" or m.interval_s is None:
        return None
    step = ns_from_seconds(m.interval_s)
    return np.arange(frame.start_ns, frame.end_ns, step, dtype=np.int64)
