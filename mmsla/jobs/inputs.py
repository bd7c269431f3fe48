"""Load what the jobs need for a span of trading days from the event store.

`day_span` cuts a trading day (or a run of them) into UTC ns with the engine's
own calendar (`mmsla.obligations.calendar`); `load_inputs` reads quotes, market,
states and fills overlapping that span with the store's loaders (the same arrays
`mmsla check` reads from files). `input_files` lists the provenance rows of the
ingested files that overlap the span, for the report's evidence block.
Does not evaluate anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mmsla.domain.agreement import Agreement
from mmsla.errors import InputError
from mmsla.io.tables import FillArrays, MarketArrays, QuoteArrays, StateInterval
from mmsla.obligations.calendar import DayFrame, day_frame, trading_days
from mmsla.store import EventStore, IngestedFile


@dataclass(frozen=True)
class StoreInputs:
    """Engine inputs for `[start_ns, end_ns)` (quotes/market include the row in force at start)."""

    start_ns: int
    end_ns: int
    quotes: dict[str, QuoteArrays]
    market: dict[str, MarketArrays]
    states: list[StateInterval]
    fills: dict[str, FillArrays]


def quiet(store: EventStore) -> EventStore:
    """Turn off DuckDB's progress bar on this connection (jobs print their own lines)."""
    store.con.execute("SET enable_progress_bar = false")
    return store


def frames_for(agreement: Agreement, first: date, last: date) -> list[DayFrame]:
    """Day frames of the trading days in `[first, last]`."""
    return [day_frame(agreement, d) for d in trading_days(agreement, first, last)]


def require_trading_day(agreement: Agreement, day: date) -> DayFrame:
    """The frame of `day`; InputError when the agreement has no obligation that day."""
    if not agreement.calendar.is_trading_day(day):
        raise InputError("--date", f"{day.isoformat()} is not a trading day of {agreement.id}")
    return day_frame(agreement, day)


def load_inputs(store: EventStore, start_ns: int, end_ns: int) -> StoreInputs:
    """Every symbol's rows overlapping `[start_ns, end_ns)`."""
    return StoreInputs(
        start_ns,
        end_ns,
        store.load_quotes(start_ns=start_ns, end_ns=end_ns),
        store.load_market(start_ns=start_ns, end_ns=end_ns),
        store.load_states(start_ns=start_ns, end_ns=end_ns),
        store.load_fills(start_ns=start_ns, end_ns=end_ns),
    )


def has_quotes_in(inputs: StoreInputs) -> bool:
    """True when some quote row lies inside the span (not just the row in force before it)."""
    return any(
        bool(((q.ts_ns >= inputs.start_ns) & (q.ts_ns < inputs.end_ns)).any())
        for q in inputs.quotes.values()
    )


def input_files(store: EventStore, start_ns: int, end_ns: int) -> list[IngestedFile]:
    """Provenance of the ingested files whose rows overlap `[start_ns, end_ns)`, by file id."""
    return [
        f
        for f in store.ingested_files()
        if f.ts_min is None or f.ts_max is None or (f.ts_min < end_ns and f.ts_max >= start_ns)
    ]
