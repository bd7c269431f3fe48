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

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from mmsla.domain.agreement import Agreement
from mmsla.errors import InputError
from mmsla.io.tables import QuoteArrays, StateInterval
from mmsla.jobs.inputs import has_quotes_in, load_inputs, require_trading_day
from mmsla.obligations import CheckResult, DayResult, check
from mmsla.obligations.calendar import DayFrame
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

    def figures(self) -> dict[str, Any]:
        """The day's figures as plain JSON (what is stored, rendered and hashed)."""
        return {
            "agreement": {"id": self.agreement.id, "version": self.agreement.version},
            "date": self.day.isoformat(),
            "check": self.check.to_json(),
            "without_states": {
                s.result.symbol: day_summary(s.without_states) for s in self.symbols
            },
        }


def day_summary(d: DayResult) -> dict[str, Any]:
    """Headline figures of a day result (for the with/without-states comparison)."""
    return {
        "eligible_s": d.eligible_ns / 1e9,
        "valid_s": d.valid_ns / 1e9,
        "presence_pct": d.presence_pct,
        "breaches": len(d.breaches),
        "pass": d.passed,
    }


def _window(q: QuoteArrays, start_ns: int, end_ns: int) -> QuoteArrays:
    a = max(int(np.searchsorted(q.ts_ns, start_ns, side="right")) - 1, 0)
    b = int(np.searchsorted(q.ts_ns, end_ns, side="left"))
    return QuoteArrays(
        q.symbol,
        q.ts_ns[a:b],
        q.bid_px[a:b],
        q.bid_qty[a:b],
        q.ask_px[a:b],
        q.ask_qty[a:b],
        q.is_fill[a:b],
        q.px_scale,
        q.qty_scale,
    )


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
    plain = check(
        agreement,
        inputs.quotes,
        market=market,
        states=[],
        fills=inputs.fills,
        first_day=day,
        last_day=day,
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
                Timeline(segs.start, segs.end, segs.mask == 0, segs.stressed),
                None if q is None else _window(q, frame.start_ns, frame.end_ns),
            )
        )
    return ObligationDay(agreement, frame, result, plain, tuple(symbols), tuple(inputs.states))
