"""The obligation engine on event-store data, evaluated chunk by chunk.

`iter_days` walks the symbols in scope and, per symbol, runs of at most
`chunk_days` trading days: it loads that chunk's rows (plus the row in force at
its start) with the store's loaders (top-of-book quotes with the exact fast loader
`fast_quotes.load_top_quotes`) and runs `mmsla.obligations.check` on them,
yielding one `DayResult` at a time, so a month of 120M rows never sits in memory
at once. `check_store` collects them into the `CheckResult` that `mmsla check`
gives on the same files (same days, breaches, months and verdict).

Days: `first_day`/`last_day` when given, else the first to the last local date any
stored quote row touches (every symbol, as the file check does on one log).
Does not write to the store or print.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from mmsla.domain.agreement import Agreement
from mmsla.errors import InputError
from mmsla.history.fast_quotes import load_top_quotes
from mmsla.obligations import CheckResult, DayResult
from mmsla.obligations import check as run_check
from mmsla.obligations.calendar import DayFrame, day_frame, local_date, trading_days
from mmsla.obligations.monthly import roll_up
from mmsla.obligations.timeline import empty_quotes
from mmsla.store import EventStore
from mmsla.store.event_store import ENV_MEMORY

DEFAULT_CHUNK_DAYS = 10
QUERY_MEMORY = "2GB"  # DuckDB buffer pool for history queries unless $MMSLA_DB_MEMORY says


def open_for_queries(path: str | None) -> EventStore:
    """The store opened read-only with a bounded DuckDB buffer pool (chunks are scanned once,
    so a big cache only costs memory: a month query stays under 4 GB peak)."""
    return EventStore.open(
        path, read_only=True, memory_limit=os.environ.get(ENV_MEMORY) or QUERY_MEMORY
    )


@dataclass(frozen=True)
class Scope:
    """What a store query covers: symbols in scope and the trading-day frames."""

    symbols: tuple[str, ...]
    frames: tuple[DayFrame, ...]


def stored_symbols(store: EventStore) -> list[str]:
    rows = store.con.execute("SELECT DISTINCT symbol FROM quotes ORDER BY symbol").fetchall()
    return [str(r[0]) for r in rows]


def resolve_scope(
    store: EventStore,
    agreement: Agreement,
    *,
    symbol: str | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
) -> Scope:
    """Symbols and days to evaluate; InputError on an empty store or an unknown symbol."""
    stored = stored_symbols(store)
    if not stored:
        raise InputError(str(store.path), "the store has no quote rows: ingest a quote log first")
    in_scope = agreement.symbols_in_scope(stored)
    if symbol is not None:
        if symbol not in in_scope:
            known = ", ".join(in_scope) or "none"
            raise InputError(
                "--symbol", f"unknown symbol {symbol!r} (in scope of {agreement.id}: {known})"
            )
        in_scope = [symbol]
    if first_day is None or last_day is None:
        lo, hi = store.con.execute("SELECT min(ts), max(ts) FROM quotes").fetchall()[0]
        tz = ZoneInfo(agreement.timezone)
        first_day = first_day or local_date(tz, int(lo))
        last_day = last_day or local_date(tz, int(hi))
    if last_day < first_day:
        raise InputError("--to", "--to is before --from")
    frames = tuple(day_frame(agreement, d) for d in trading_days(agreement, first_day, last_day))
    return Scope(tuple(in_scope), frames)


def _needs_market_rows(store: EventStore, agreement: Agreement, symbols: tuple[str, ...]) -> None:
    needs = [s for s in symbols if agreement.terms_for(s).needs_market]
    if needs and not store.con.execute("SELECT count(*) FROM market").fetchall()[0][0]:
        raise InputError(
            str(store.path),
            "the agreement needs a market reference (market_mid or at_inside) "
            f"for {needs[0]} but the store has none: ingest one with --market",
        )


def _load_quotes(store: EventStore, symbol: str, start_ns: int, end_ns: int) -> dict[str, Any]:
    fast = load_top_quotes(store.con, symbol, start_ns, end_ns)
    if fast is None:  # deeper levels: the store's general loader
        return dict(store.load_quotes(symbol=symbol, start_ns=start_ns, end_ns=end_ns))
    return dict(fast)


def evaluate_chunk(
    store: EventStore, agreement: Agreement, symbol: str, frames: Sequence[DayFrame]
) -> list[DayResult]:
    """Day results of `symbol` over consecutive day `frames`, from that span's rows only."""
    start_ns, end_ns = frames[0].start_ns, frames[-1].end_ns
    quotes = _load_quotes(store, symbol, start_ns, end_ns)
    if symbol not in quotes:  # nothing in force yet: the symbol is all NO_QUOTE here
        quotes = {symbol: empty_quotes(symbol)}
    result = run_check(
        agreement,
        quotes,
        market=store.load_market(symbol=symbol, start_ns=start_ns, end_ns=end_ns),
        states=store.load_states(symbol=symbol, start_ns=start_ns, end_ns=end_ns),
        fills=store.load_fills(symbol=symbol, start_ns=start_ns, end_ns=end_ns),
        first_day=frames[0].day,
        last_day=frames[-1].day,
    )
    return [d for d in result.days if d.symbol == symbol]


def iter_days(
    store: EventStore,
    agreement: Agreement,
    scope: Scope,
    *,
    chunk_days: int = DEFAULT_CHUNK_DAYS,
    workers: int | None = None,
) -> Iterator[DayResult]:
    """Day results of every symbol in scope, symbol by symbol, days in order.

    Chunks run on `workers` threads (default: up to 2 CPUs), each with its own DuckDB
    cursor; at most `workers` chunks are in flight, so memory stays bounded.
    """
    _needs_market_rows(store, agreement, scope.symbols)
    frames = scope.frames
    tasks: list[tuple[str, Sequence[DayFrame]]] = [
        (symbol, frames[k : k + chunk_days])
        for symbol in scope.symbols
        for k in range(0, len(frames), chunk_days)
    ]
    n = workers if workers is not None else min(2, os.cpu_count() or 1)
    if n <= 1 or len(tasks) <= 1:
        for symbol, part in tasks:
            yield from evaluate_chunk(store, agreement, symbol, part)
        return
    local = threading.local()
    cursors: list[EventStore] = []

    def run(task: tuple[str, Sequence[DayFrame]]) -> list[DayResult]:
        if not hasattr(local, "store"):
            local.store = EventStore(store.con.cursor(), store.path)
            cursors.append(local.store)
        return evaluate_chunk(local.store, agreement, *task)

    try:
        yield from _in_order(run, tasks, n)
    finally:
        for cursor in cursors:
            cursor.close()


def _in_order(
    run: Callable[[tuple[str, Sequence[DayFrame]]], list[DayResult]],
    tasks: list[tuple[str, Sequence[DayFrame]]],
    n: int,
) -> Iterator[DayResult]:
    """Results of `run` over `tasks` in task order, at most `n` tasks in flight."""
    with ThreadPoolExecutor(max_workers=n) as pool:
        pending: deque[Future[list[DayResult]]] = deque()
        todo = iter(tasks)
        for task in todo:
            pending.append(pool.submit(run, task))
            if len(pending) >= n:
                break
        while pending:
            done = pending.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(pool.submit(run, nxt))
            yield from done


def check_store(
    store: EventStore,
    agreement: Agreement,
    *,
    symbol: str | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
    chunk_days: int = DEFAULT_CHUNK_DAYS,
    workers: int | None = None,
) -> CheckResult:
    """The full `CheckResult` (days, breaches, months, verdict) from store data."""
    scope = resolve_scope(store, agreement, symbol=symbol, first_day=first_day, last_day=last_day)
    days = sorted(
        iter_days(store, agreement, scope, chunk_days=chunk_days, workers=workers), key=_order
    )
    months = roll_up(agreement.monthly, days) if agreement.monthly is not None else []
    return CheckResult(
        agreement.id, agreement.version, agreement.timezone, tuple(days), tuple(months)
    )


def _order(d: DayResult) -> tuple[date, str]:
    return d.day, d.symbol
