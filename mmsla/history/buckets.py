"""Uptime rows per clock hour, trading day or month, from the engine's day results.

A day row is the engine's own day (eligible/valid time, presence, breach count,
verdict); `longest_s` is the day's longest invalid stretch that the refresh grace
did not forgive (equal to `downtime.longest_s` when downtime is configured).

Hour rows split a day at the local clock-hour edges of its window (the same edges
the engine's downtime test uses). Eligible time per hour is the day's window minus
clock exclusions minus excluded market states, clipped to the hour; invalid time
per hour is the sum of the day's unforgiven breach episodes clipped to the hour
(episodes cover exactly the invalid eligible time), so valid = eligible - invalid
and the hours of a day add up to the day's figures. In snapshot mode presence per
hour counts the day's samples in the hour. `breaches` counts episodes that start in
the hour (so hours add up to the day); `longest_s` is the longest stretch clipped
to the hour. `pass` is the downtime rule's live-hour test when configured, else
presence >= `presence.min_pct`, else true. Hours without eligible time are left out
(as the downtime test leaves them out). Labels are local wall-clock hours, so a
repeated hour at a DST fall-back appears twice with the same label.

Month rows pool their days (eligible/valid sums, presence = pooled valid/eligible or
samples, breaches summed, longest the maximum); `pass` is the agreement's monthly
verdict when it has one, else whether every day passed. Does not load data.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from mmsla.domain.agreement import Agreement
from mmsla.obligations import DayResult, MonthResult
from mmsla.obligations.calendar import DayFrame
from mmsla.obligations.exact import ns_from_seconds
from mmsla.obligations.result import NS, at_least, pct
from mmsla.obligations.timeline import Intervals, eligible_intervals

I64 = npt.NDArray[np.int64]
BUCKETS = ("hour", "day", "month")


@dataclass(frozen=True)
class UptimeRow:
    """One bucket of one symbol. `presence_num/presence_den` is the exact presence ratio."""

    bucket: str
    symbol: str
    eligible_ns: int
    valid_ns: int
    presence_num: int
    presence_den: int
    breaches: int
    longest_ns: int
    passed: bool

    @property
    def presence_pct(self) -> float | None:
        return pct(self.presence_num, self.presence_den)

    def to_json(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "symbol": self.symbol,
            "eligible_s": self.eligible_ns / NS,
            "valid_s": self.valid_ns / NS,
            "presence_pct": self.presence_pct,
            "breaches": self.breaches,
            "longest_s": self.longest_ns / NS,
            "pass": self.passed,
        }


def stretches(day: DayResult) -> tuple[I64, I64]:
    """(start, end) of the day's unforgiven invalid stretches (touching episodes merged)."""
    keep = ~day.breaches.forgiven
    s, e = day.breaches.start_ns[keep], day.breaches.end_ns[keep]
    if s.size == 0:
        return s, e
    new = np.ones(s.size, bool)
    new[1:] = s[1:] != e[:-1]
    first = np.flatnonzero(new)
    last = np.append(first[1:] - 1, s.size - 1)
    return s[first], e[last]


def day_row(day: DayResult) -> UptimeRow:
    s, e = stretches(day)
    return UptimeRow(
        day.day.isoformat(),
        day.symbol,
        day.eligible_ns,
        day.valid_ns,
        day.presence_num,
        day.presence_den,
        len(day.breaches),
        int((e - s).max()) if s.size else 0,
        day.passed,
    )


def _clipped(starts: I64, ends: I64, a: int, b: int) -> I64:
    out: I64 = np.clip(ends, a, b) - np.clip(starts, a, b)
    return out


def _inside(t: I64, ivs: Intervals) -> npt.NDArray[np.bool_]:
    flat = np.asarray([x for iv in ivs for x in iv], np.int64)
    out: npt.NDArray[np.bool_] = (np.searchsorted(flat, t, side="right") % 2) == 1
    return out


def hour_rows(
    agreement: Agreement,
    day: DayResult,
    frame: DayFrame,
    excluded: Intervals,
    samples: I64 | None,
) -> list[UptimeRow]:
    """The day's rows per local clock hour with eligible time (see module doc)."""
    terms = agreement.terms_for(day.symbol)
    tz = ZoneInfo(agreement.timezone)
    eligible = eligible_intervals(frame, excluded)
    el_s = np.asarray([a for a, _ in eligible], np.int64)
    el_e = np.asarray([b for _, b in eligible], np.int64)
    st_s, st_e = stretches(day)
    ep_start = day.breaches.start_ns
    bounds = [frame.start_ns, *frame.hour_edges.tolist(), frame.end_ns]
    rows = []
    for a, b in itertools.pairwise(bounds):
        eligible_ns = int(_clipped(el_s, el_e, a, b).sum())
        if eligible_ns == 0:
            continue
        runs = _clipped(st_s, st_e, a, b)
        invalid_ns = int(runs.sum())
        longest_ns = int(runs.max()) if runs.size else 0
        valid_ns = eligible_ns - invalid_ns
        num, den = valid_ns, eligible_ns
        if samples is not None:
            in_hour = samples[(samples >= a) & (samples < b)]
            in_hour = in_hour[_inside(in_hour, eligible)]
            den = int(in_hour.size)
            num = den - int(_inside(in_hour, list(zip(st_s, st_e, strict=True))).sum())
        if terms.downtime is not None:
            dt = terms.downtime
            passed = True
            if dt.max_consecutive_s is not None:
                passed &= longest_ns <= ns_from_seconds(dt.max_consecutive_s)
            if dt.max_per_hour_s is not None:
                passed &= invalid_ns <= ns_from_seconds(dt.max_per_hour_s)
        elif terms.presence is not None:
            passed = den == 0 or at_least(num, den, terms.presence.min_pct)
        else:
            passed = True
        local = datetime.fromtimestamp(a // NS, tz=tz)
        rows.append(
            UptimeRow(
                local.strftime("%Y-%m-%dT%H:00"),
                day.symbol,
                eligible_ns,
                valid_ns,
                num,
                den,
                int(((ep_start >= a) & (ep_start < b)).sum()),
                longest_ns,
                passed,
            )
        )
    return rows


def month_rows(days: list[UptimeRow], months: list[MonthResult]) -> list[UptimeRow]:
    """Day rows (bucket = ISO date) pooled per (symbol, month), in symbol then month order."""
    verdict = {(m.symbol, m.month): m.passed for m in months}
    groups: dict[tuple[str, str], list[UptimeRow]] = {}
    for r in days:
        groups.setdefault((r.symbol, r.bucket[:7]), []).append(r)
    out = []
    for (symbol, month), members in sorted(groups.items()):
        out.append(
            UptimeRow(
                month,
                symbol,
                sum(r.eligible_ns for r in members),
                sum(r.valid_ns for r in members),
                sum(r.presence_num for r in members),
                sum(r.presence_den for r in members),
                sum(r.breaches for r in members),
                max(r.longest_ns for r in members),
                verdict.get((symbol, month), all(r.passed for r in members)),
            )
        )
    return out
