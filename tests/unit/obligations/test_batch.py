"""Batch driver: days, windows, exclusions, states, snapshot sampling, at-inside, downtime,
refresh-after-fill grace, breach episodes and monthly roll-ups, with hand-computed figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from mmsla.domain.reasons import Reason
from mmsla.errors import InputError
from mmsla.io.tables import StateInterval
from mmsla.obligations import CheckResult, DayResult, check
from tests.unit.obligations.builders import NS, agreement, market, quotes, ts

D1 = date(2026, 11, 24)  # a Tuesday
GOOD = ("99.50", "100", "100.50", "100")  # 1.00% of own mid: valid under max 1%
WIDE = ("99.00", "100", "100.50", "100")
ONE = ("99.50", "100", None, None)
TERMS: dict[str, Any] = {
    "max_spread": {"value": 1.0, "unit": "pct"},
    "presence": {"min_pct": 50},
}
WINDOW = {"start": "10:00", "end": "11:00"}


def at(s: float, px: tuple[Any, ...], event: str = "quote", day: date = D1) -> tuple[Any, ...]:
    return (ts(day, 36000 + s), *px, event)


def only(result: CheckResult) -> DayResult:
    assert len(result.days) == 1
    return result.days[0]


def test_presence_and_episodes_time_weighted() -> None:
    a = agreement(TERMS, window=WINDOW)
    rows = [at(-5, GOOD), at(600, WIDE), at(900, ONE), at(1200, GOOD), at(3000, WIDE)]
    d = only(check(a, {"ABC": quotes("ABC", rows)}))
    assert d.eligible_ns == 3600 * NS
    # valid 0-600 and 1200-3000
    assert d.valid_ns == (600 + 1800) * NS
    assert (
        d.presence is not None
        and d.presence.passed
        and d.presence.value == pytest.approx(2400 / 36)
    )
    got = [(b.start_ns, b.end_ns, b.reasons) for b in d.breaches]
    assert got == [
        (ts(D1, 36600), ts(D1, 36900), (Reason.SPREAD_TOO_WIDE,)),
        (ts(D1, 36900), ts(D1, 37200), (Reason.ONE_SIDED,)),
        (ts(D1, 39000), ts(D1, 39600), (Reason.SPREAD_TOO_WIDE,)),
    ]


def test_presence_threshold_is_inclusive() -> None:
    a = agreement({**TERMS, "presence": {"min_pct": 50}}, window=WINDOW)
    exactly_half = [at(0, GOOD), at(1800, WIDE)]
    assert only(check(a, {"X": quotes("X", exactly_half)})).presence.passed  # type: ignore[union-attr]
    short = [at(0, GOOD), at(1799.999999999, WIDE)]
    assert not only(check(a, {"X": quotes("X", short)})).presence.passed  # type: ignore[union-attr]


def test_no_quote_before_first_row_and_state_carried_over_days() -> None:
    a = agreement(TERMS, window=WINDOW)
    d2 = date(2026, 11, 25)
    rows = [at(1800, GOOD), at(0, GOOD, day=d2), at(60, WIDE, day=d2)]
    res = check(a, {"X": quotes("X", rows)})
    first, second = res.days
    assert first.valid_ns == 1800 * NS
    assert first.breaches[0].reasons == (Reason.NO_QUOTE,)
    assert second.valid_ns == 60 * NS
    # --from/--to: a day with no rows still sees the row in force from the day before
    res = check(a, {"X": quotes("X", rows[:1])}, first_day=D1, last_day=d2)
    assert [d.valid_ns for d in res.days] == [1800 * NS, 3600 * NS]


def test_weekdays_and_holidays_choose_the_days() -> None:
    a = agreement(
        TERMS,
        window=WINDOW,
        calendar={"weekdays": ["mon", "tue", "wed", "thu", "fri"], "holidays": ["2026-11-26"]},
    )
    rows = [at(0, GOOD, day=date(2026, 11, 25)), at(0, GOOD, day=date(2026, 11, 30))]
    res = check(a, {"X": quotes("X", rows)})
    # Wed 25, (Thu 26 holiday), Fri 27, (Sat, Sun), Mon 30
    assert [d.day.day for d in res.days] == [25, 27, 30]


def test_clock_excludes_and_states() -> None:
    a = agreement(
        TERMS,
        window={**WINDOW, "exclude": [{"start": "10:00", "end": "10:05"}]},
        states={"auction": "include"},
    )
    rows = [at(0, ONE), at(1500, GOOD)]
    states = [
        StateInterval(ts(D1, 36000 + 600), ts(D1, 36000 + 900), None, "halt"),
        StateInterval(ts(D1, 36000 + 1000), ts(D1, 36000 + 1100), "X", "exceptional"),
        StateInterval(ts(D1, 36000 + 1200), ts(D1, 36000 + 1300), "OTHER", "halt"),
        StateInterval(ts(D1, 36000 + 1300), ts(D1, 36000 + 1400), "X", "auction"),
    ]
    d = only(check(a, {"X": quotes("X", rows)}, states=states))
    assert d.eligible_ns == (3600 - 300 - 300 - 100) * NS
    assert d.valid_ns == (3600 - 1500) * NS
    # the one-sided time is split into episodes at the excluded gaps
    assert [(b.start_ns - ts(D1, 36000)) // NS for b in d.breaches] == [300, 900, 1100]
    excluded_auction = agreement(TERMS, window=WINDOW)
    d = only(check(excluded_auction, {"X": quotes("X", rows)}, states=states))
    assert d.eligible_ns == (3600 - 300 - 100 - 100) * NS


def test_stressed_doubles_the_spread_limit() -> None:
    a = agreement(TERMS, window=WINDOW)  # default spread_multiplier 2
    rows = [at(0, ("99", "100", "101", "100"))]  # 2% of own mid
    states = [StateInterval(ts(D1, 36600), ts(D1, 37200), None, "stressed")]
    d = only(check(a, {"X": quotes("X", rows)}, states=states))
    assert d.valid_ns == 600 * NS
    assert d.eligible_ns == 3600 * NS
    no_mult = agreement(TERMS, window=WINDOW, states={"stressed": {"spread_multiplier": 1}})
    assert only(check(no_mult, {"X": quotes("X", rows)}, states=states)).valid_ns == 0


@pytest.mark.parametrize(
    ("day", "hours", "start_utc_h"),
    [(date(2026, 3, 29), 23, 23), (date(2026, 10, 25), 25, 22), (date(2026, 3, 30), 24, 22)],
)
def test_dst_days_in_berlin(day: date, hours: int, start_utc_h: int) -> None:
    a = agreement({**TERMS, "downtime": {"max_consecutive_s": 60}}, timezone="Europe/Berlin")
    rows = [(ts(day, 12 * 3600), *GOOD, "quote")]
    d = only(check(a, {"X": quotes("X", rows)}))
    assert d.eligible_ns == hours * 3600 * NS
    # the local day starts at 00:00 local = 23:00 (CET) or 22:00 (CEST) UTC the day before
    first = d.breaches[0]
    assert first.reasons == (Reason.NO_QUOTE,)
    assert (first.start_ns // NS) % 86400 == start_utc_h * 3600
    assert d.downtime is not None and d.downtime.hours == hours


def test_dst_window_follows_local_clock() -> None:
    a = agreement(
        TERMS,
        timezone="Europe/Berlin",
        window={"start": "09:00", "end": "17:30"},
        calendar={"weekdays": ["mon", "tue", "wed", "thu", "fri"]},
    )
    summer, winter = date(2026, 3, 30), date(2026, 3, 27)
    rows = [(ts(winter, 0), *GOOD, "quote")]
    res = check(a, {"X": quotes("X", rows)}, first_day=winter, last_day=summer)
    assert [d.day for d in res.days] == [winter, summer]
    assert all(d.eligible_ns == 8.5 * 3600 * NS for d in res.days)
    rows = [(ts(winter, 0), *GOOD, "quote"), (ts(summer, 7 * 3600 + 60), *WIDE, "quote")]
    res = check(a, {"X": quotes("X", rows)}, first_day=summer, last_day=summer)
    # 09:00 CEST = 07:00 UTC: one valid minute before the wide quote at 07:01 UTC
    assert res.days[0].valid_ns == 60 * NS


def test_snapshot_sampling() -> None:
    a = agreement(
        TERMS,
        window={**WINDOW, "exclude": [{"start": "10:10", "end": "10:20"}]},
        measurement={"mode": "snapshot", "interval_s": 10},
    )
    # WIDE from 10:00:05; GOOD exactly at the 10:00:30 sample (events with ts <= sample count)
    rows = [at(0, GOOD), at(5, WIDE), at(30, GOOD)]
    d = only(check(a, {"X": quotes("X", rows)}))
    assert d.samples_eligible == 360 - 60  # 360 samples, 60 in the exclusion dropped
    assert d.samples_valid == 300 - 2  # the samples at 10 and 20 s see the wide quote
    assert d.presence is not None and d.presence.value == pytest.approx(298 / 300 * 100)
    assert d.to_json(__import__("zoneinfo").ZoneInfo("UTC"))["samples"] == {
        "eligible": 300,
        "valid": 298,
    }


def _inside_result(mode: str, exclude_locked: bool = True) -> float | None:
    a = agreement(
        {"at_inside": {"min_pct": 10, "mode": mode, "exclude_locked_crossed": exclude_locked}},
        window=WINDOW,
    )
    # our quote 100.00 / 100.10 all hour
    q = quotes("X", [at(0, ("100.00", "1", "100.10", "1"))])
    m = market(
        "X",
        [
            (ts(D1, 36000), "100.00", "100.05"),  # 0-900: bid at inside only
            (ts(D1, 36900), "100.05", "100.10"),  # 900-1800: ask only
            (ts(D1, 37800), "100.00", "100.10"),  # 1800-2700: both
            (ts(D1, 38700), "100.05", "100.05"),  # 2700-3600: locked market, neither
        ],
    )
    d = only(check(a, {"X": q}, market={"X": m}))
    assert d.at_inside is not None
    return d.at_inside.value


@pytest.mark.parametrize(
    ("mode", "locked_excluded", "expected"),
    [
        ("union", True, 100.0),  # 2700 of 2700 (locked quarter left out)
        ("union", False, 75.0),
        ("both", True, 100 / 3),
        ("avg_sides", True, (1800 + 1800) / 2 / 2700 * 100),
        ("sum_sides", True, (1800 + 1800) / 2700 * 100),
    ],
)
def test_at_inside_modes(mode: str, locked_excluded: bool, expected: float) -> None:
    assert _inside_result(mode, locked_excluded) == pytest.approx(expected)


def test_side_uptime_combine() -> None:
    rows = [at(0, GOOD), at(900, ONE), at(1800, ("99.50", "100", "100.50", "5"))]
    base = {"min_pct": 60, "min_qty": 10}
    for combine, value, passed in (
        ("avg", (3600 + 900) / 2 / 36, True),
        ("min", 25.0, False),
        ("each", 25.0, False),
    ):
        a = agreement({"side_uptime": {**base, "combine": combine}}, window=WINDOW)
        su = only(check(a, {"X": quotes("X", rows)})).side_uptime
        assert su is not None
        assert (su.bid, su.ask) == (100.0, 25.0)
        assert su.value == pytest.approx(value) and su.passed is passed


def test_missing_market_is_an_input_error() -> None:
    a = agreement({"at_inside": {"min_pct": 10}}, window=WINDOW)
    with pytest.raises(InputError, match="market reference"):
        check(a, {"X": quotes("X", [at(0, GOOD)])})


def test_downtime_per_clock_hour() -> None:
    a = agreement(
        {
            **TERMS,
            "downtime": {"max_consecutive_s": 60, "max_per_hour_s": 120, "min_live_hours": 2},
        },
        window={"start": "10:00", "end": "13:00"},
    )
    rows = [
        at(0, GOOD),
        at(100, ONE),  # 60 s invalid: at the cap, hour 10 still live
        at(160, GOOD),
        at(3600 + 100, ONE),  # 61 s: hour 11 not live
        at(3600 + 161, GOOD),
        at(7200 - 30, ONE),  # 30 s before 12:00 and 40 s after: clipped per hour
        at(7200 + 40, GOOD),
        at(7200 + 100, ONE),  # +50 s -> hour 12 total 90 s, longest 50 s: live
        at(7200 + 150, GOOD),
    ]
    d = only(check(a, {"X": quotes("X", rows)}))
    dt = d.downtime
    assert dt is not None
    assert (dt.live_hours, dt.hours, dt.longest_s, dt.passed) == (2, 3, 70.0, True)
    strict = agreement(
        {**TERMS, "downtime": {"max_consecutive_s": 60, "max_per_hour_s": 80}},
        window={"start": "10:00", "end": "13:00"},
    )
    dt = only(check(strict, {"X": quotes("X", rows)})).downtime
    assert dt is not None and (dt.live_hours, dt.passed) == (1, False)


@pytest.mark.parametrize(("gap_s", "forgiven"), [(2, True), (2.000000001, False), (3, False)])
def test_refresh_after_fill_grace(gap_s: float, forgiven: bool) -> None:
    a = agreement({**TERMS, "refresh_after_fill": {"grace_s": 2}}, window=WINDOW)
    rows = [at(0, GOOD), at(100, ONE, "fill"), at(100 + gap_s, GOOD)]
    d = only(check(a, {"X": quotes("X", rows)}))
    assert [b.forgiven for b in d.breaches] == [forgiven]
    assert d.valid_ns == (3600 * NS if forgiven else 3600 * NS - round(gap_s * NS))


def test_grace_needs_the_stretch_to_start_at_a_fill_row() -> None:
    a = agreement({**TERMS, "refresh_after_fill": {"grace_s": 5}}, window=WINDOW)
    # the stretch starts at a cancel; the fill later in the stretch does not forgive it
    rows = [at(0, GOOD), at(100, ONE, "cancel"), at(101, WIDE, "fill"), at(102, GOOD)]
    d = only(check(a, {"X": quotes("X", rows)}))
    assert [b.forgiven for b in d.breaches] == [False, False]
    assert d.valid_ns == 3598 * NS
    # a fill row whose stretch has two episodes (ONE_SIDED then WIDE) is forgiven as a whole
    rows = [at(0, GOOD), at(100, ONE, "fill"), at(101, WIDE), at(102, GOOD)]
    d = only(check(a, {"X": quotes("X", rows)}))
    assert [b.forgiven for b in d.breaches] == [True, True]
    assert d.valid_ns == 3600 * NS


def _month(mode: str, **limits: Any) -> tuple[float | None, bool]:
    a = agreement(
        TERMS,
        window=WINDOW,
        monthly={"mode": mode, **limits},
        calendar={"weekdays": ["mon", "tue", "wed", "thu", "fri"]},
    )
    days = [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)]
    rows = [
        at(0, GOOD, day=days[0]),  # 100%
        at(0, WIDE, day=days[1]),
        at(3600 - 900, GOOD, day=days[1]),  # wait: 10:45 good -> 25%
        at(0, GOOD, day=days[2]),
        at(2700, WIDE, day=days[2]),  # 75%
    ]
    # Nov 26 is fully halted: zero eligible time, left out of the month
    halt = [StateInterval(ts(date(2026, 11, 26), 0), ts(date(2026, 11, 27), 0), None, "halt")]
    res = check(
        a,
        {"X": quotes("X", rows)},
        states=halt,
        first_day=days[0],
        last_day=date(2026, 11, 26),
    )
    assert len(res.days) == 4 and res.days[-1].eligible_ns == 0
    (m,) = res.months
    return m.value, m.passed


def test_monthly_modes() -> None:
    assert _month("mean_of_daily", min_pct=66.6666) == (pytest.approx(200 / 3), True)
    assert _month("mean_of_daily", min_pct=66.6667)[1] is False
    # pooled: (3600 + 900 + 2700) / 10800 = 66.67% too, by construction
    assert _month("pooled_time", min_pct=66.6666) == (pytest.approx(200 / 3), True)
    # qualifying days at >= 75%: 2 of 3 (the 75% day qualifies: inclusive)
    assert _month("qualifying_days", daily_min_pct=75, min_days_pct=66.6666) == (
        pytest.approx(200 / 3),
        True,
    )
    assert _month("qualifying_days", daily_min_pct=75.0001, min_days_pct=50)[0] == pytest.approx(
        100 / 3
    )


def test_json_shape() -> None:
    a = agreement(
        {
            **TERMS,
            "side_uptime": {"min_pct": 90},
            "at_inside": {"min_pct": 10},
            "downtime": {"max_consecutive_s": 60, "min_live_hours": 1},
        },
        window=WINDOW,
        monthly={"mode": "mean_of_daily", "min_pct": 50},
    )
    q = quotes("X", [at(0, GOOD), at(600, ONE)])
    m = market("X", [(ts(D1, 36000), "99.50", "100.50")])
    out = check(a, {"X": q}, market={"X": m}).to_json()
    assert set(out) == {"agreement", "days", "months", "pass"}
    assert out["agreement"] == {"id": "t", "version": "1"}
    (day,) = out["days"]
    assert set(day) == {
        "date",
        "symbol",
        "eligible_s",
        "valid_s",
        "samples",
        "obligations",
        "breaches",
        "stats",
    }
    assert day["samples"] is None and day["eligible_s"] == 3600.0 and day["valid_s"] == 600.0
    assert set(day["obligations"]) == {"presence", "side_uptime", "at_inside", "downtime"}
    assert set(day["obligations"]["side_uptime"]) == {"bid", "ask", "value", "min", "pass"}
    assert set(day["obligations"]["downtime"]) == {"live_hours", "longest_s", "pass"}
    assert day["breaches"] == [
        {
            "start": "2026-11-24T10:10:00+00:00",
            "end": "2026-11-24T11:00:00+00:00",
            "duration_s": 3000.0,
            "reasons": ["ONE_SIDED"],
            "forgiven": False,
        }
    ]
    assert day["stats"]["tw_spread_bps"] == pytest.approx(100.0)
    assert out["months"] == [
        {
            "month": "2026-11",
            "symbol": "X",
            "mode": "mean_of_daily",
            "value": pytest.approx(100 / 6),
            "min": 50,
            "pass": False,
        }
    ]
    assert out["pass"] is False
    assert Decimal(str(out["days"][0]["obligations"]["presence"]["min"])) == 50


def test_market_at_another_price_scale() -> None:
    # quotes carry 4 decimals, the market 1: 99.50/100.50 is exactly 1% of the market mid 100.0
    a = agreement(
        {"max_spread": {"value": 1, "unit": "pct", "reference": "market_mid"}}, window=WINDOW
    )
    q = quotes("X", [at(0, GOOD), at(1800, ("99.50", "100", "100.5001", "100"))], px_scale=4)
    m = market("X", [(ts(D1, 36000), "99.9", "100.1")], px_scale=1)
    d = only(check(a, {"X": q}, market={"X": m}))
    assert d.valid_ns == 1800 * NS
    assert [b.reasons for b in d.breaches] == [(Reason.SPREAD_TOO_WIDE,)]
