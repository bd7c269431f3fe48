"""Monthly roll-up of daily presence: mean_of_daily, pooled_time, qualifying_days.

Days with zero eligible time (or zero eligible samples) are left out. Verdicts
are exact (fractions against Decimal minima). Does not evaluate days.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from mmsla.domain.agreement import Monthly
from mmsla.obligations.result import DayResult, MonthResult, at_least


def roll_up(monthly: Monthly, days: list[DayResult]) -> list[MonthResult]:
    """One result per (month, symbol) present in `days`, ordered by symbol then month."""
    groups: dict[tuple[str, str], list[DayResult]] = defaultdict(list)
    for d in days:
        groups[(d.symbol, d.day.strftime("%Y-%m"))].append(d)
    out = []
    for (symbol, month), members in sorted(groups.items()):
        counted = [d for d in members if d.presence_den > 0]
        if monthly.mode == "mean_of_daily":
            figure = (
                sum((Fraction(d.presence_num, d.presence_den) for d in counted), Fraction(0))
                / len(counted)
                if counted
                else None
            )
            limit = monthly.min_pct
        elif monthly.mode == "pooled_time":
            den = sum(d.presence_den for d in counted)
            figure = Fraction(sum(d.presence_num for d in counted), den) if den else None
            limit = monthly.min_pct
        else:
            assert monthly.daily_min_pct is not None
            daily = monthly.daily_min_pct
            good = sum(1 for d in counted if at_least(d.presence_num, d.presence_den, daily))
            figure = Fraction(good, len(counted)) if counted else None
            limit = monthly.min_days_pct
        assert limit is not None
        passed = figure is None or at_least(figure, 1, limit)
        out.append(
            MonthResult(
                month=month,
                symbol=symbol,
                mode=monthly.mode,
                value=None if figure is None else float(figure * 100),
                min_pct=limit,
                passed=passed,
                days=len(counted),
            )
        )
    return out
