"""Sampling grids for per-interval returns: local trading-day boundaries in a timezone.

`day_starts_ns` gives the local midnights (as UTC ns) that bracket a window, so
daily returns follow the agreement's calendar days, including 23- and 25-hour
days at daylight-saving changes. Nothing else: no holidays, no sessions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from mmsla.errors import InputError

__all__ = ["day_starts_ns"]

_NS = 1_000_000_000


def _to_ns(dt: datetime) -> int:
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * _NS + delta.microseconds * 1_000


def day_starts_ns(start_ns: int, end_ns: int, timezone: str) -> npt.NDArray[np.int64]:
    """Local midnights from the one at or before `start_ns` to the first at or after `end_ns`."""
    if end_ns < start_ns:
        raise InputError("<analytics>", "end_ns is before start_ns")
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError("<analytics>", f"unknown timezone {timezone!r}") from None
    first = datetime.fromtimestamp(start_ns // _NS, tz=UTC).astimezone(tz).date()
    out = []
    day = first
    while True:
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
        ns = _to_ns(midnight.astimezone(UTC))
        out.append(ns)
        if ns >= end_ns:
            break
        day = day + timedelta(days=1)
    return np.asarray(out, dtype=np.int64)
