"""Uptime buckets on a hand-made two-day log, against figures computed by hand.

Window 10:00-12:00 UTC minus 11:30-11:45; day 1 is one-sided over [10:50, 11:15),
day 2 is valid throughout. So hour 10 of day 1 has 3600 s eligible, 600 s invalid;
hour 11 has 2700 s eligible (15 min excluded), 900 s invalid; the stretch is 1500 s.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mmsla.agreement import load_agreement
from mmsla.domain.agreement import Agreement
from mmsla.history.buckets import day_row, hour_rows, month_rows
from mmsla.io.tables import read_quote_log
from mmsla.obligations import CheckResult, check
from mmsla.obligations.calendar import day_frame, sample_times

NS = 10**9
QUOTES = """ts,symbol,bid_px,bid_qty,ask_px,ask_qty
2026-11-02T09:00:00Z,ABC,99,100,101,100
2026-11-02T10:50:00Z,ABC,99,100,,
2026-11-02T11:15:00Z,ABC,99,100,101,100
2026-11-03T11:00:00Z,ABC,99,100,101,100
"""


def agreement_text(*, snapshot: bool = False, downtime: bool = True) -> str:
    return "\n".join(
        [
            "id: hand",
            "version: 1",
            "timezone: UTC",
            "window: {start: '10:00', end: '12:00', exclude: [{start: '11:30', end: '11:45'}]}",
            "measurement: {mode: snapshot, interval_s: 600}" if snapshot else "",
            "defaults:",
            "  max_spread: {value: 5, unit: abs}",
            "  presence: {min_pct: 80}",
            "  downtime: {max_consecutive_s: 600, max_per_hour_s: 900}" if downtime else "",
            "monthly: {mode: mean_of_daily, min_pct: 85}",
        ]
    )


def run(tmp_path: Path, **kw: bool) -> tuple[Agreement, CheckResult]:
    (tmp_path / "a.yaml").write_text(agreement_text(**kw))
    (tmp_path / "q.csv").write_text(QUOTES)
    agreement = load_agreement(tmp_path / "a.yaml")
    return agreement, check(agreement, read_quote_log(tmp_path / "q.csv"))


def hours(agreement: Agreement, result: CheckResult) -> list[dict[str, object]]:
    out = []
    for d in result.days:
        frame = day_frame(agreement, d.day)
        out += [
            r.to_json() for r in hour_rows(agreement, d, frame, [], sample_times(agreement, frame))
        ]
    return out


def test_hour_rows_by_hand(tmp_path: Path) -> None:
    agreement, result = run(tmp_path)
    got = hours(agreement, result)
    assert [
        (r["bucket"], r["eligible_s"], r["valid_s"], r["breaches"], r["longest_s"], r["pass"])
        for r in got
    ] == [
        ("2026-11-02T10:00", 3600.0, 3000.0, 1, 600.0, True),
        ("2026-11-02T11:00", 2700.0, 1800.0, 0, 900.0, False),  # 900 s stretch > 600 s
        ("2026-11-03T10:00", 3600.0, 3600.0, 0, 0.0, True),
        ("2026-11-03T11:00", 2700.0, 2700.0, 0, 0.0, True),
    ]
    assert got[0]["presence_pct"] == pytest.approx(100 * 3000 / 3600)
    assert got[1]["presence_pct"] == pytest.approx(100 * 1800 / 2700)
    # the engine's own downtime test agrees on the live hours
    d1 = result.days[0]
    assert d1.downtime is not None and (d1.downtime.live_hours, d1.downtime.hours) == (1, 2)


def test_hour_pass_falls_back_to_presence(tmp_path: Path) -> None:
    agreement, result = run(tmp_path, downtime=False)
    assert [r["pass"] for r in hours(agreement, result)] == [True, False, True, True]


def test_day_and_month_rows_by_hand(tmp_path: Path) -> None:
    _, result = run(tmp_path)
    days = [day_row(d) for d in result.days]
    assert [
        (r.bucket, r.eligible_ns, r.valid_ns, r.breaches, r.longest_ns, r.passed) for r in days
    ] == [
        ("2026-11-02", 6300 * NS, 4800 * NS, 1, 1500 * NS, False),
        ("2026-11-03", 6300 * NS, 6300 * NS, 0, 0, True),
    ]
    assert result.days[0].downtime is not None and result.days[0].downtime.longest_s == 1500.0
    (month,) = month_rows(days, list(result.months))
    assert (month.bucket, month.eligible_ns, month.valid_ns, month.breaches, month.longest_ns) == (
        "2026-11",
        12600 * NS,
        11100 * NS,
        1,
        1500 * NS,
    )
    # mean of daily (4800/6300 + 1) / 2 = 88.1% >= 85: the month passes though day 1 failed
    assert month.passed and result.months[0].passed
    assert result.months[0].value == pytest.approx(100 * (4800 / 6300 + 1) / 2)
    assert month.presence_pct == pytest.approx(100 * 11100 / 12600)


def test_snapshot_hours_count_samples(tmp_path: Path) -> None:
    agreement, result = run(tmp_path, snapshot=True)
    got = hours(agreement, result)
    # samples every 10 min from 10:00; 11:30 and 11:40 excluded; 10:50, 11:00, 11:10 invalid
    assert got[0]["presence_pct"] == pytest.approx(100 * 5 / 6)
    assert got[1]["presence_pct"] == pytest.approx(100 * 2 / 4)
    d1 = result.days[0]
    assert (d1.samples_eligible, d1.samples_valid) == (10, 7)
