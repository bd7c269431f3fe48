"""Breach episodes of a check as flat rows, filtered by reason and minimum duration.

A row is one episode of `CheckResult.days[*].breaches` with its symbol and trading
day; `reasons` keeps an episode when any of its reasons is listed; `min_duration_s`
keeps episodes at least that long (inclusive, exact in ns). Does not evaluate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from mmsla.domain.reasons import Reason
from mmsla.errors import InputError
from mmsla.obligations import Breach, CheckResult
from mmsla.obligations.exact import ns_from_seconds


@dataclass(frozen=True)
class BreachRow:
    symbol: str
    day: date
    breach: Breach

    def to_json(self, tz: ZoneInfo) -> dict[str, Any]:
        return {"symbol": self.symbol, "date": self.day.isoformat(), **self.breach.to_json(tz)}


def parse_reasons(names: Iterable[str]) -> frozenset[Reason]:
    """Reason names (any case) as `Reason`s; InputError naming the valid ones otherwise."""
    out = set()
    for name in names:
        try:
            out.add(Reason(name.upper()))
        except ValueError:
            valid = ", ".join(r.value for r in Reason)
            raise InputError("--reason", f"unknown reason {name!r} (one of {valid})") from None
    return frozenset(out)


def breach_rows(
    result: CheckResult,
    *,
    reasons: frozenset[Reason] | None = None,
    min_duration_s: Decimal | None = None,
) -> list[BreachRow]:
    """Episodes in (symbol, start) order that pass the filters."""
    min_ns = None if min_duration_s is None else ns_from_seconds(min_duration_s)
    rows = [
        BreachRow(d.symbol, d.day, b)
        for d in result.days
        for b in d.breaches
        if (reasons is None or reasons.intersection(b.reasons))
        and (min_ns is None or b.end_ns - b.start_ns >= min_ns)
    ]
    rows.sort(key=lambda r: (r.symbol, r.breach.start_ns))
    return rows
