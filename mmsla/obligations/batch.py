"""Batch driver: evaluate whole files (already read) into a `CheckResult`.

Chooses the days (first to last trading day the quote log touches, or the
inclusive `first_day`/`last_day`), builds each symbol's timeline once over all
days (vectorised), evaluates every day with `day.evaluate_day`, then the
monthly roll-up. Does not read files (see `mmsla.io.tables`) or print.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import numpy as np

from mmsla.domain.agreement import Agreement
from mmsla.errors import InputError
from mmsla.io.tables import FillArrays, MarketArrays, QuoteArrays, StateInterval
from mmsla.obligations.calendar import day_frame, local_date, sample_times, trading_days
from mmsla.obligations.day import evaluate_day
from mmsla.obligations.monthly import roll_up
from mmsla.obligations.result import CheckResult, DayResult
from mmsla.obligations.timeline import build_segments


def mark_fills(quotes: QuoteArrays, fills: FillArrays | None) -> QuoteArrays:
    """Quote rows at the same instant as one of our fills count as `event = fill`."""
    if fills is None or len(quotes) == 0 or fills.ts_ns.size == 0:
        return quotes
    hit = np.isin(quotes.ts_ns, fills.ts_ns)
    return QuoteArrays(
        quotes.symbol,
        quotes.ts_ns,
        quotes.bid_px,
        quotes.bid_qty,
        quotes.ask_px,
        quotes.ask_qty,
        quotes.is_fill | hit,
        quotes.px_scale,
        quotes.qty_scale,
    )


def days_touched(agreement: Agreement, quotes: dict[str, QuoteArrays]) -> tuple[date, date] | None:
    """Local dates of the first and last quote-log row (all symbols)."""
    lows = [int(q.ts_ns[0]) for q in quotes.values() if len(q)]
    highs = [int(q.ts_ns[-1]) for q in quotes.values() if len(q)]
    if not lows:
        return None
    tz = ZoneInfo(agreement.timezone)
    return local_date(tz, min(lows)), local_date(tz, max(highs))


def check(
    agreement: Agreement,
    quotes: dict[str, QuoteArrays],
    *,
    market: dict[str, MarketArrays] | None = None,
    states: list[StateInterval] | None = None,
    fills: dict[str, FillArrays] | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
) -> CheckResult:
    """Evaluate every symbol in scope over the chosen trading days."""
    symbols = agreement.symbols_in_scope(list(quotes))
    needs_market = [s for s in symbols if agreement.terms_for(s).needs_market]
    if needs_market and market is None:
        raise InputError(
            "--market",
            "the agreement needs a market reference file (market_mid or at_inside) "
            f"for {needs_market[0]}",
        )
    touched = days_touched(agreement, quotes)
    if touched is None and (first_day is None or last_day is None):
        raise InputError("--quotes", "the quote log has no rows: give --from and --to")
    lo = first_day or (touched[0] if touched else None)
    hi = last_day or (touched[1] if touched else None)
    assert lo is not None and hi is not None
    frames = [day_frame(agreement, d) for d in trading_days(agreement, lo, hi)]
    days: list[DayResult] = []
    for symbol in symbols:
        if not frames:
            break
        q = quotes.get(symbol)
        if q is not None:
            q = mark_fills(q, (fills or {}).get(symbol))
        segs = build_segments(
            agreement, symbol, frames, q, (market or {}).get(symbol), states or []
        )
        for k, frame in enumerate(frames):
            days.append(
                evaluate_day(
                    agreement,
                    symbol,
                    frame.day,
                    segs,
                    int(segs.day_bounds[k]),
                    int(segs.day_bounds[k + 1]),
                    sample_times(agreement, frame),
                )
            )
    days.sort(key=lambda d: (d.day, d.symbol))
    months = roll_up(agreement.monthly, days) if agreement.monthly is not None else []
    return CheckResult(
        agreement.id, agreement.version, agreement.timezone, tuple(days), tuple(months)
    )
