"""Daily obligation job: `mmsla check` over the store for one trading day, plus chart series.

The figures come from the obligation engine itself (`mmsla.obligations.check`)
on the store's rows for the day, so they equal `mmsla check --from D --to D` on
the same files. A second run without the market-states file gives the figures
"without stressed/exceptional intervals" (every state ignored). Per symbol the
job also keeps the engine's timeline segments (valid / invalid / excluded) and
the quote rows of the day for the report's charts. Does not render or persist
(see `mmsla.jobs.persist`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from mmsla.domain.agreement import Agreement
from mmsla.errors import InputError
from mmsla.io.tables import QuoteArrays, StateInterval
from mmsla.jobs.inputs import has_quotes_in, load_inputs, require_trading_day
from mmsla.obligations import CheckResult, DayResult, check
from mmsla.obligations.calendar import DayFrame
from mmsla.obligations.result import NS, Episodes, reasons_of
from mmsla.obligations.timeline import build_segments
from mmsla.store import EventStore

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Timeline:
    """Eligible segments of one symbol-day: `[start, end)` and whether each was valid."""

    start_ns: I64
    end_ns: I64
    valid: npt.NDArray[np.bool_]
    stressed: npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class SymbolDay:
    """One instrument on the day: the engine's result with and without states, and series."""

    result: DayResult
    without_states: DayResult
    timeline: Timeline
    quotes: QuoteArrays | None


@dataclass(frozen=True, eq=False)
class ObligationDay:
    agreement: Agreement
    frame: DayFrame
    check: CheckResult
    without_states: CheckResult
    symbols: tuple[SymbolDay, ...]
    states: tuple[StateInterval, ...]

    @property
    def day(self) -> date:
        return self.frame.day

    @cached_property
    def figures(self) -> dict[str, Any]:
        """The day's figures as plain JSON (what is stored, rendered and hashed).

        `check` is `mmsla check --format json` for the day with each day's `breaches`
        list replaced by `breach_summary` (a busy day has millions of episodes; the
        summary is computed from the same episodes, see `breach_summary`).
        """
        return {
            "agreement": {"id": self.agreement.id, "version": self.agreement.version},
            "date": self.day.isoformat(),
            "check": check_figures(self.check),
            "without_states": {
                s.result.symbol: day_summary(s.without_states) for s in self.symbols
            },
        }


def check_figures(result: CheckResult) -> dict[str, Any]:
    """`result.to_json()` with each day's `breaches` list replaced by `breach_summary`."""
    tz = ZoneInfo(result.timezone)
    days = []
    for d in result.days:
        plain = dataclasses.replace(d, breaches=_NO_EPISODES).to_json(tz)
        del plain["breaches"]
        plain["breach_summary"] = breach_summary(d.breaches)
        days.append(plain)
    return {
        "agreement": {"id": result.agreement_id, "version": result.agreement_version},
        "days": days,
        "months": [m.to_json() for m in result.months],
        "pass": result.passed,
    }


_NO_EPISODES = Episodes(
    np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint16), np.zeros(0, bool)
)


def breach_summary(ep: Episodes) -> dict[str, Any]:
    """Episodes by reason set: count, total and longest seconds (reason sets joined by `+`,
    in `Reason` order); the same figures follow from `mmsla check --format json`'s list."""
    lengths = ep.end_ns - ep.start_ns
    out: dict[str, Any] = {
        "count": len(ep),
        "total_s": int(lengths.sum()) / NS,
        "longest_s": int(lengths.max()) / NS if len(ep) else 0.0,
        "by_reasons": {},
    }
    masks = ep.mask.astype(np.int64)
    for m in np.unique(masks).tolist():
        sel = masks == m
        key = "+".join(r.value for r in reasons_of(int(m)))
        out["by_reasons"][key] = {
            "count": int(sel.sum()),
            "total_s": int(lengths[sel].sum()) / NS,
            "longest_s": int(lengths[sel].max()) / NS,
        }
    return out


def day_summary(d: DayResult) -> dict[str, Any]:
    """Headline figures of a day result (for the with/without-states comparison)."""
    return {
        "eligible_s": d.eligible_ns / NS,
        "valid_s": d.valid_ns / NS,
        "presence_pct": d.presence_pct,
        "breaches": len(d.breaches),
        "pass": d.passed,
    }


def _valid(start: I64, mask: npt.NDArray[np.uint16], d: DayResult) -> npt.NDArray[np.bool_]:
    """Valid segments: no reason, or inside an episode forgiven by refresh-after-fill."""
    valid: npt.NDArray[np.bool_] = np.asarray(mask == 0)
    ep = d.breaches
    if len(ep) and ep.forgiven.any():
        a = np.searchsorted(start, ep.start_ns[ep.forgiven], side="left")
        b = np.searchsorted(start, ep.end_ns[ep.forgiven], side="left")
        delta = np.zeros(start.size + 1, np.int64)
        np.add.at(delta, a, 1)
        np.add.at(delta, b, -1)
        valid |= np.cumsum(delta[:-1]) > 0
    return valid


def run_obligation_day(store: EventStore, agreement: Agreement, day: date) -> ObligationDay:
    """Evaluate `day` for every instrument in scope; InputError if the store has no quotes."""
    frame = require_trading_day(agreement, day)
    inputs = load_inputs(store, frame.start_ns, frame.end_ns)
    if not has_quotes_in(inputs):
        raise InputError("--date", f"the store has no quotes on {day.isoformat()}")
    market = inputs.market or None
    result = check(
        agreement,
        inputs.quotes,
        market=market,
        states=inputs.states,
        fills=inputs.fills,
        first_day=day,
        last_day=day,
    )
    plain = (
        check(
            agreement,
            inputs.quotes,
            market=market,
            states=[],
            fills=inputs.fills,
            first_day=day,
            last_day=day,
        )
        if inputs.states
        else result  # no state that day: the same figures
    )
    by_symbol = {d.symbol: d for d in plain.days}
    symbols = []
    for d in result.days:
        q = inputs.quotes.get(d.symbol)
        segs = build_segments(
            agreement, d.symbol, [frame], q, inputs.market.get(d.symbol), inputs.states
        )
        symbols.append(
            SymbolDay(
                d,
                by_symbol[d.symbol],
                Timeline(segs.start, segs.end, _valid(segs.start, segs.mask, d), segs.stressed),
                None if q is None else q.window(frame.start_ns, frame.end_ns),
            )
        )
    return ObligationDay(agreement, frame, result, plain, tuple(symbols), tuple(inputs.states))
