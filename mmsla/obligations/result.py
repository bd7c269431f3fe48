"""Typed results of an obligation check and their normative JSON shape (DESIGN.md section 7).

Pass/fail verdicts are decided exactly (integer ratios against Decimal minima);
the float percentages are for display and JSON only. No evaluation happens here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any, overload
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from mmsla.domain.reasons import Reason

NS = 1_000_000_000
_BITS = [(r, 1 << i) for i, r in enumerate(Reason)]  # the same bits as `Reason.bit`


@lru_cache(maxsize=512)
def reasons_of(mask: int) -> tuple[Reason, ...]:
    """Unpack a reason bit mask (cached: a day has few distinct masks)."""
    return tuple(r for r, bit in _BITS if mask & bit)


def pct(part: int | Fraction, whole: int | Fraction) -> float | None:
    """`part / whole` as a percentage float (display only); None when whole is 0."""
    return None if whole == 0 else float(Fraction(part) * 100 / Fraction(whole))


def at_least(part: int | Fraction, whole: int | Fraction, min_pct: Decimal) -> bool:
    """Exact `part / whole * 100 >= min_pct` (inclusive)."""
    return Fraction(part) * 100 >= Fraction(min_pct) * Fraction(whole)


def json_number(value: Decimal | None) -> int | float | None:
    """A Decimal limit for JSON: an int when integral, else a float."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def iso(ts_ns: int, tz: ZoneInfo) -> str:
    """ISO-8601 local time with offset (microsecond precision when needed)."""
    secs, rem = divmod(ts_ns, NS)
    local = datetime.fromtimestamp(secs, tz=tz).replace(microsecond=rem // 1000)
    return local.isoformat()


@dataclass(frozen=True)
class Breach:
    """A breach episode: maximal eligible interval with the same non-empty reason set."""

    start_ns: int
    end_ns: int
    reasons: tuple[Reason, ...]
    forgiven: bool = False

    @property
    def duration_s(self) -> float:
        return (self.end_ns - self.start_ns) / NS

    def to_json(self, tz: ZoneInfo) -> dict[str, Any]:
        return {
            "start": iso(self.start_ns, tz),
            "end": iso(self.end_ns, tz),
            "duration_s": self.duration_s,
            "reasons": [r.value for r in self.reasons],
            "forgiven": self.forgiven,
        }


@dataclass(frozen=True, eq=False)
class Episodes:
    """Breach episodes of one day, columnar (a day can have millions); items are `Breach`."""

    start_ns: npt.NDArray[np.int64]
    end_ns: npt.NDArray[np.int64]
    mask: npt.NDArray[np.uint16]
    forgiven: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.start_ns.shape[0])

    @overload
    def __getitem__(self, i: int) -> Breach: ...
    @overload
    def __getitem__(self, i: slice) -> list[Breach]: ...
    def __getitem__(self, i: int | slice) -> Breach | list[Breach]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return Breach(
            int(self.start_ns[i]),
            int(self.end_ns[i]),
            reasons_of(int(self.mask[i])),
            bool(self.forgiven[i]),
        )

    def __iter__(self) -> Iterator[Breach]:
        for s, e, m, f in zip(
            self.start_ns.tolist(),
            self.end_ns.tolist(),
            self.mask.tolist(),
            self.forgiven.tolist(),
            strict=True,
        ):
            yield Breach(s, e, reasons_of(m), f)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Episodes):
            return NotImplemented
        return all(
            np.array_equal(getattr(self, f), getattr(other, f))
            for f in ("start_ns", "end_ns", "mask", "forgiven")
        )

    __hash__ = None  # type: ignore[assignment]

    def unforgiven_ns(self) -> int:
        """Total duration of the episodes not forgiven by the refresh-after-fill grace."""
        return int((self.end_ns - self.start_ns)[~self.forgiven].sum())


@dataclass(frozen=True)
class PresenceResult:
    value: float | None
    min_pct: Decimal
    passed: bool

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "min": json_number(self.min_pct), "pass": self.passed}


@dataclass(frozen=True)
class SideUptimeResult:
    bid: float | None
    ask: float | None
    value: float | None
    min_pct: Decimal
    passed: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "bid": self.bid,
            "ask": self.ask,
            "value": self.value,
            "min": json_number(self.min_pct),
            "pass": self.passed,
        }


@dataclass(frozen=True)
class AtInsideResult:
    value: float | None
    min_pct: Decimal
    passed: bool

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "min": json_number(self.min_pct), "pass": self.passed}


@dataclass(frozen=True)
class DowntimeResult:
    live_hours: int
    hours: int
    longest_s: float
    passed: bool

    def to_json(self) -> dict[str, Any]:
        return {"live_hours": self.live_hours, "longest_s": self.longest_s, "pass": self.passed}


@dataclass(frozen=True)
class Stats:
    """Time-weighted figures over eligible time (display only, floats)."""

    tw_spread_bps: float | None
    tw_bid_qty: float | None
    tw_ask_qty: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "tw_spread_bps": self.tw_spread_bps,
            "tw_bid_qty": self.tw_bid_qty,
            "tw_ask_qty": self.tw_ask_qty,
        }


@dataclass(frozen=True)
class DayResult:
    """One symbol on one trading day. `presence_num/presence_den` is the exact presence ratio
    (valid/eligible ns when time-weighted, valid/eligible samples when snapshot)."""

    day: date
    symbol: str
    eligible_ns: int
    valid_ns: int
    samples_eligible: int | None
    samples_valid: int | None
    presence: PresenceResult | None
    side_uptime: SideUptimeResult | None
    at_inside: AtInsideResult | None
    downtime: DowntimeResult | None
    breaches: Episodes
    stats: Stats

    @property
    def presence_num(self) -> int:
        return self.samples_valid if self.samples_valid is not None else self.valid_ns

    @property
    def presence_den(self) -> int:
        return self.samples_eligible if self.samples_eligible is not None else self.eligible_ns

    @property
    def presence_pct(self) -> float | None:
        return pct(self.presence_num, self.presence_den)

    @property
    def passed(self) -> bool:
        parts = (self.presence, self.side_uptime, self.at_inside, self.downtime)
        return all(p.passed for p in parts if p is not None)

    def to_json(self, tz: ZoneInfo) -> dict[str, Any]:
        obligations: dict[str, Any] = {}
        for name, part in (
            ("presence", self.presence),
            ("side_uptime", self.side_uptime),
            ("at_inside", self.at_inside),
            ("downtime", self.downtime),
        ):
            if part is not None:
                obligations[name] = part.to_json()
        return {
            "date": self.day.isoformat(),
            "symbol": self.symbol,
            "eligible_s": self.eligible_ns / NS,
            "valid_s": self.valid_ns / NS,
            "samples": None
            if self.samples_eligible is None
            else {"eligible": self.samples_eligible, "valid": self.samples_valid},
            "obligations": obligations,
            "breaches": [b.to_json(tz) for b in self.breaches],
            "stats": self.stats.to_json(),
        }


@dataclass(frozen=True)
class MonthResult:
    month: str
    symbol: str
    mode: str
    value: float | None
    min_pct: Decimal | None
    passed: bool
    days: int

    def to_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "symbol": self.symbol,
            "mode": self.mode,
            "value": self.value,
            "min": json_number(self.min_pct),
            "pass": self.passed,
        }


@dataclass(frozen=True)
class CheckResult:
    """Every day x symbol and every month x symbol of a check, and the overall verdict."""

    agreement_id: str
    agreement_version: str
    timezone: str
    days: tuple[DayResult, ...]
    months: tuple[MonthResult, ...]

    @property
    def passed(self) -> bool:
        return all(d.passed for d in self.days) and all(m.passed for m in self.months)

    def to_json(self) -> dict[str, Any]:
        tz = ZoneInfo(self.timezone)
        return {
            "agreement": {"id": self.agreement_id, "version": self.agreement_version},
            "days": [d.to_json(tz) for d in self.days],
            "months": [m.to_json() for m in self.months],
            "pass": self.passed,
        }
