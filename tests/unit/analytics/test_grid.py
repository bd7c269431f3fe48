"""Daily returns on the agreement's calendar, across a daylight-saving change."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from mmsla.analytics import day_starts_ns, summarise
from mmsla.errors import InputError

H = 3_600 * 1_000_000_000


def ns(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp()) * 1_000_000_000


def test_berlin_midnights_around_the_spring_change() -> None:
    # 2026-03-29 has 23 hours in Europe/Berlin (02:00 CET -> 03:00 CEST)
    got = day_starts_ns(
        ns("2026-03-28T10:00:00+01:00"), ns("2026-03-30T12:00:00+02:00"), "Europe/Berlin"
    )
    assert got.tolist() == [
        ns("2026-03-28T00:00:00+01:00"),
        ns("2026-03-29T00:00:00+01:00"),
        ns("2026-03-30T00:00:00+02:00"),
        ns("2026-03-31T00:00:00+02:00"),
    ]
    assert [int(d) // H for d in np.diff(got)] == [24, 23, 24]


def test_exact_midnight_start_and_bad_timezone() -> None:
    t = ns("2026-11-24T00:00:00+01:00")
    assert day_starts_ns(t, t, "Europe/Berlin").tolist() == [t]
    with pytest.raises(InputError, match="unknown timezone"):
        day_starts_ns(0, 1, "Mars/Olympus")


def test_daily_returns_on_the_local_grid() -> None:
    fills = pd.DataFrame(
        {
            "ts": [ns("2026-03-28T10:00:00+01:00")],
            "symbol": ["X"],
            "side": ["buy"],
            "px": ["100"],
            "qty": ["1"],
        }
    )
    mids = pd.DataFrame(
        {
            "ts": [
                ns("2026-03-28T10:00:00+01:00"),
                ns("2026-03-28T21:00:00+01:00"),
                ns("2026-03-29T14:00:00+02:00"),
                ns("2026-03-30T11:00:00+02:00"),
            ],
            "symbol": ["X"] * 4,
            "mid": [100.0, 102.0, 101.0, 105.0],
        }
    )
    grid = day_starts_ns(int(mids["ts"].min()), int(mids["ts"].max()), "Europe/Berlin")
    s = summarise(fills, mids, grid_ns=grid, annualisation=365.0)
    # long 1 from 100: equity at the midnights 0 | 102-100 | 101-100 | 105-100 (last mid)
    assert s.interval_pnl == pytest.approx([2.0, -1.0, 4.0])
    assert s.periods_per_year == 365.0
    # default annualisation from the median spacing (24 h): 365 per year
    assert summarise(fills, mids, grid_ns=grid).periods_per_year == pytest.approx(365.0)
