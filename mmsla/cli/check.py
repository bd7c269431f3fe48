"""`mmsla check`: evaluate a quote log against an agreement and print the verdict.

Three sources, exactly one per run: files (`--quotes` with optional `--market`,
`--states`, `--fills`), the event store (`--db`, optional `--symbol`; read-only,
see `mmsla.history.store_check`), or a public order book (`--book` files with
`--book-format`; the whole book is the quoting subject, see
`mmsla.history.book_mode`). Runs the obligation engine and prints a table (for
people), JSON (DESIGN.md section 7) or CSV (one row per day x symbol). Exit 0
when every obligation passes, 1 when one fails, 2 on bad input or usage. No
evaluation logic lives here.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import click

from mmsla.agreement import load_agreement
from mmsla.domain.agreement import Agreement
from mmsla.io.tables import read_fills, read_market, read_quote_log, read_states
from mmsla.obligations import CheckResult
from mmsla.obligations import check as run_check
from mmsla.obligations.result import DayResult


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=option) from None


def _fmt_pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}%"


def _verdict(passed: bool) -> str:
    return "pass" if passed else "FAIL"


def _obligation_cells(d: DayResult) -> list[str]:
    cells = []
    if d.presence is not None:
        cells.append(f"presence {_fmt_pct(d.presence.value)} {_verdict(d.presence.passed)}")
    if d.side_uptime is not None:
        su = d.side_uptime
        cells.append(f"side_uptime {_fmt_pct(su.value)} {_verdict(su.passed)}")
    if d.at_inside is not None:
        cells.append(f"at_inside {_fmt_pct(d.at_inside.value)} {_verdict(d.at_inside.passed)}")
    if d.downtime is not None:
        dt = d.downtime
        cells.append(f"downtime {dt.live_hours}/{dt.hours}h live {_verdict(dt.passed)}")
    return cells


def render_table(result: CheckResult) -> str:
    """The human-readable verdict: days x symbols, then months, then the overall line."""
    rows = [["date", "symbol", "eligible", "presence", "breaches", "obligations", "day"]]
    for d in result.days:
        hours, rem = divmod(int(d.eligible_ns // 1_000_000_000), 3600)
        rows.append(
            [
                d.day.isoformat(),
                d.symbol,
                f"{hours}h{rem // 60:02d}m",
                _fmt_pct(d.presence_pct),
                str(len(d.breaches)),
                "; ".join(_obligation_cells(d)) or "-",
                _verdict(d.passed),
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    if result.months:
        lines.append("")
        lines.append("month    symbol  mode              value     min   verdict")
        for m in result.months:
            lines.append(
                f"{m.month}  {m.symbol:<6}  {m.mode:<16}  {_fmt_pct(m.value):>8}  "
                f"{m.min_pct!s:>5}  {_verdict(m.passed)}"
            )
    lines.append("")
    lines.append(
        f"agreement {result.agreement_id} v{result.agreement_version}: "
        + ("PASS - every obligation met" if result.passed else "FAIL - some obligation not met")
    )
    return "\n".join(lines)


CSV_COLUMNS = [
    "date",
    "symbol",
    "eligible_s",
    "valid_s",
    "samples_eligible",
    "samples_valid",
    "presence_pct",
    "presence_pass",
    "side_uptime_pct",
    "side_uptime_pass",
    "at_inside_pct",
    "at_inside_pass",
    "downtime_live_hours",
    "downtime_pass",
    "breaches",
    "pass",
]


def render_csv(result: CheckResult) -> str:
    """One CSV row per day x symbol (months are in the JSON and table formats)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for d in result.days:
        row: list[Any] = [
            d.day.isoformat(),
            d.symbol,
            d.eligible_ns / 1e9,
            d.valid_ns / 1e9,
            d.samples_eligible,
            d.samples_valid,
            d.presence_pct,
            None if d.presence is None else d.presence.passed,
            None if d.side_uptime is None else d.side_uptime.value,
            None if d.side_uptime is None else d.side_uptime.passed,
            None if d.at_inside is None else d.at_inside.value,
            None if d.at_inside is None else d.at_inside.passed,
            None if d.downtime is None else d.downtime.live_hours,
            None if d.downtime is None else d.downtime.passed,
            len(d.breaches),
            d.passed,
        ]
        writer.writerow(
            ["" if v is None else str(v).lower() if isinstance(v, bool) else v for v in row]
        )
    return out.getvalue()


def _decimal(value: str | None, option: str) -> Decimal | None:
    if value is None:
        return None
    try:
        out = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a decimal number", param_hint=option) from None
    if not out.is_finite() or out <= 0:
        raise click.BadParameter(f"{value!r} must be a positive number", param_hint=option)
    return out


def _from_book(
    agreement: Agreement,
    paths: tuple[str, ...],
    fmt: str | None,
    *,
    symbol: str | None,
    tick: str | None,
    lot: str | None,
    depth: int | None,
    first: date | None,
    last: date | None,
) -> CheckResult:
    from mmsla.history.book_mode import book_inputs
    from mmsla.io.books import read_book

    if fmt is None:
        raise click.UsageError("--book needs --book-format lobster|binance|tardis")
    recorded = read_book(
        list(paths),
        fmt,
        symbol=symbol,
        tick=_decimal(tick, "--tick"),
        lot=_decimal(lot, "--lot"),
        **({} if depth is None else {"depth": depth}),
    )
    quotes, market = book_inputs(recorded, depth)
    return run_check(agreement, quotes, market=market, first_day=first, last_day=last)


def _from_store(
    agreement: Agreement, db: str, symbol: str | None, first: date | None, last: date | None
) -> CheckResult:
    from mmsla.history.store_check import check_store, open_for_queries

    with open_for_queries(db) as store:
        return check_store(store, agreement, symbol=symbol, first_day=first, last_day=last)


@click.command("check")
@click.option("--agreement", "agreement_path", required=True, type=click.Path(dir_okay=False))
@click.option("--quotes", "quotes_path", type=click.Path(dir_okay=False), help="quote log file")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="evaluate from the store")
@click.option("--symbol", help="--db: only this symbol; --book: the book's symbol")
@click.option(
    "--book",
    "book_paths",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="public order-book file(s): the whole book is the quoting subject",
)
@click.option("--book-format", type=click.Choice(["lobster", "binance", "tardis"]))
@click.option("--tick", help="--book: tick size (tardis; binance default 0.01)")
@click.option("--lot", help="--book: lot size (tardis; binance default 0.00000001)")
@click.option("--depth", type=click.IntRange(min=1), help="--book: levels that count as quotes")
@click.argument("more_books", nargs=-1, type=click.Path(dir_okay=False), metavar="[BOOK_FILE]...")
@click.option("--market", "market_path", type=click.Path(dir_okay=False))
@click.option("--states", "states_path", type=click.Path(dir_okay=False))
@click.option("--fills", "fills_path", type=click.Path(dir_okay=False))
@click.option("--from", "from_day", metavar="DATE", help="first trading day (inclusive)")
@click.option("--to", "to_day", metavar="DATE", help="last trading day (inclusive)")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.pass_context
def check(
    ctx: click.Context,
    agreement_path: str,
    quotes_path: str | None,
    db_path: str | None,
    symbol: str | None,
    book_paths: tuple[str, ...],
    book_format: str | None,
    tick: str | None,
    lot: str | None,
    depth: int | None,
    more_books: tuple[str, ...],
    market_path: str | None,
    states_path: str | None,
    fills_path: str | None,
    from_day: str | None,
    to_day: str | None,
    fmt: str,
) -> None:
    """Check quotes (a log file, the store or a public book) against an agreement.

    Exit 0 when every obligation passes, 1 when one fails, 2 on bad input.
    """
    first, last = _day(from_day, "--from"), _day(to_day, "--to")
    if first is not None and last is not None and last < first:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    if more_books and not book_paths:
        raise click.UsageError(
            f"unexpected argument {more_books[0]!r} (more book files follow --book)"
        )
    book_paths = (*book_paths, *more_books)
    sources = [
        name
        for name, given in (("--quotes", quotes_path), ("--db", db_path), ("--book", book_paths))
        if given
    ]
    if len(sources) != 1:
        raise click.UsageError("give exactly one of --quotes, --db or --book")
    file_only = [
        n
        for n, v in (("--market", market_path), ("--states", states_path), ("--fills", fills_path))
        if v
    ]
    if quotes_path is None and file_only:
        raise click.UsageError(f"{file_only[0]} goes with --quotes")
    if book_paths == () and (book_format or tick or lot or depth):
        raise click.UsageError("--book-format, --tick, --lot and --depth go with --book")
    if quotes_path is not None and symbol is not None:
        raise click.UsageError("--symbol goes with --db or --book")
    agreement = load_agreement(agreement_path)
    if db_path is not None:
        result = _from_store(agreement, db_path, symbol, first, last)
    elif book_paths:
        result = _from_book(
            agreement,
            book_paths,
            book_format,
            symbol=symbol,
            tick=tick,
            lot=lot,
            depth=depth,
            first=first,
            last=last,
        )
    else:
        assert quotes_path is not None
        result = run_check(
            agreement,
            read_quote_log(quotes_path),
            market=read_market(market_path) if market_path else None,
            states=read_states(states_path) if states_path else None,
            fills=read_fills(fills_path) if fills_path else None,
            first_day=first,
            last_day=last,
        )
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
    elif fmt == "csv":
        click.echo(render_csv(result), nl=False)
    else:
        click.echo(render_table(result))
    ctx.exit(0 if result.passed else 1)
