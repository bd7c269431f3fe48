"""Monthly roll-up to date and "what is still needed to pass" on the remaining trading days.

Runs the obligation engine over the month's trading days from the first to
`through` (inclusive), so `months` equals `mmsla check --from <first> --to
<through>`. For each symbol it then solves, exactly (fractions), what the
remaining trading days of the month must deliver under the agreement's
monthly mode:

- mean_of_daily: the mean presence needed on each remaining day;
- pooled_time: the presence needed over the remaining days' eligible time
  (window minus daily clock exclusions; future market states are unknown, so
  none are assumed);
- qualifying_days: how many remaining days must qualify (presence >= daily_min_pct).

Does not render or persist.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import cached_property
from math import ceil
from typing import Any

from mmsla.domain.agreement import Agreement, Monthly
from mmsla.errors import InputError
from mmsla.jobs.inputs import frames_for, load_inputs
from mmsla.jobs.obligation import check_figures
from mmsla.obligations import CheckResult, DayResult, check
from mmsla.obligations.calendar import sample_times
from mmsla.obligations.result import at_least
from mmsla.obligations.timeline import subtract
from mmsla.store import EventStore


@dataclass(frozen=True)
class MonthNeed:
    """What `symbol` still needs this month. `needed_pct` is the presence needed on the
    remaining days (mean_of_daily, pooled_time); `needed_days` the count of qualifying
    days needed (qualifying_days). `status`: secured | open | out_of_reach | final."""

    symbol: str
    mode: str
    remaining_days: int
    needed_pct: float | None
    needed_days: int | None
    status: str

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "mode": self.mode,
            "remaining_days": self.remaining_days,
            "needed_pct": self.needed_pct,
            "needed_days": self.needed_days,
            "status": self.status,
        }


@dataclass(frozen=True, eq=False)
class MonthToDate:
    agreement: Agreement
    month: str
    first: date
    through: date
    remaining: tuple[date, ...]
    check: CheckResult
    needs: tuple[MonthNeed, ...]

    @cached_property
    def figures(self) -> dict[str, Any]:
        return {
            "agreement": {"id": self.agreement.id, "version": self.agreement.version},
            "month": self.month,
            "through": self.through.isoformat(),
            "remaining_days": [d.isoformat() for d in self.remaining],
            "check": check_figures(self.check),
            "needs": [n.to_json() for n in self.needs],
        }


def parse_month(text: str) -> tuple[date, date]:
    """First and last calendar day of "YYYY-MM"; InputError otherwise."""
    try:
        year, month = (int(p) for p in text.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise InputError("--month", f"{text!r} is not a month YYYY-MM") from None
    return first, date(year, month, calendar.monthrange(year, month)[1])


def _need(
    monthly: Monthly, symbol: str, done: list[DayResult], remaining_dens: list[int]
) -> MonthNeed:
    counted = [d for d in done if d.presence_den > 0]
    r = len(remaining_dens)
    mode = monthly.mode
    if mode == "qualifying_days":
        assert monthly.daily_min_pct is not None and monthly.min_days_pct is not None
        good = sum(
            1 for d in counted if at_least(d.presence_num, d.presence_den, monthly.daily_min_pct)
        )
        total = len(counted) + r
        k = max(0, ceil(Fraction(monthly.min_days_pct) * total / 100 - good)) if total else 0
        status = "secured" if k == 0 else "out_of_reach" if k > r else "open"
        if r == 0:
            status = "final"
        return MonthNeed(symbol, mode, r, None, k, status)
    assert monthly.min_pct is not None
    limit = Fraction(monthly.min_pct) / 100
    if mode == "mean_of_daily":
        so_far = sum((Fraction(d.presence_num, d.presence_den) for d in counted), Fraction(0))
        n = len(counted) + r
        need = (limit * n - so_far) / r if r else None
    else:  # pooled_time
        num = sum(d.presence_num for d in counted)
        den = sum(d.presence_den for d in counted)
        rest = sum(remaining_dens)
        need = (limit * (den + rest) - num) / rest if rest else None
    if need is None:
        return MonthNeed(symbol, mode, r, None, None, "final")
    status = "secured" if need <= 0 else "out_of_reach" if need > 1 else "open"
    return MonthNeed(symbol, mode, r, float(max(need, Fraction(0)) * 100), None, status)


def run_month(
    store: EventStore, agreement: Agreement, month: str, through: date | None = None
) -> MonthToDate:
    """Month-to-date results through `through` (default: the month's last day with quotes)."""
    if agreement.monthly is None:
        raise InputError("--agreement", f"{agreement.id} has no monthly obligation")
    first, last = parse_month(month)
    frames = frames_for(agreement, first, last)
    if not frames:
        raise InputError("--month", f"{month} has no trading day in {agreement.id}")
    inputs = load_inputs(store, frames[0].start_ns, frames[-1].end_ns)
    lows = [
        int(q.ts_ns[q.ts_ns >= frames[0].start_ns][0])
        for q in inputs.quotes.values()
        if len(q) and int(q.ts_ns[-1]) >= frames[0].start_ns
    ]
    if not lows:
        raise InputError("--month", f"the store has no quotes in {month}")
    if through is None:
        last_ts = max(int(q.ts_ns[-1]) for q in inputs.quotes.values() if len(q))
        through = max(f.day for f in frames if f.start_ns <= last_ts)
    # like `mmsla check`: from the first trading day the quote log touches
    done_frames = [f for f in frames if f.end_ns > min(lows) and f.day <= through]
    if not done_frames:
        raise InputError("--month", f"no trading day of {month} up to {through.isoformat()}")
    result = check(
        agreement,
        inputs.quotes,
        market=inputs.market or None,
        states=inputs.states,
        fills=inputs.fills,
        first_day=done_frames[0].day,
        last_day=through,
    )
    rest = [f for f in frames if f.day > through]
    dens = []
    for f in rest:
        samples = sample_times(agreement, f)
        if samples is not None:
            dens.append(int(samples.size))
        else:
            open_ivs = subtract((f.start_ns, f.end_ns), list(f.excludes))
            dens.append(sum(b - a for a, b in open_ivs))
    needs = tuple(
        _need(agreement.monthly, sym, [d for d in result.days if d.symbol == sym], dens)
        for sym in sorted({d.symbol for d in result.days})
    )
    return MonthToDate(agreement, month, first, through, tuple(f.day for f in rest), result, needs)
