"""`mmsla breaches`: breach episodes from the event store, filtered by reason and duration.

Evaluates the agreement on store data (`mmsla.history.store_check`), the same
episodes `mmsla check` lists, and prints them as a table, JSON (`{"breaches":
[...]}`, times in the agreement's timezone) or CSV. Exit 0 with or without
episodes, 2 on bad input. No evaluation logic lives here.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import click

from mmsla.agreement import load_agreement
from mmsla.cli.check import _day
from mmsla.history.breach_list import BreachRow, breach_rows, parse_reasons
from mmsla.history.store_check import check_store, open_for_queries

COLUMNS = ["symbol", "date", "start", "end", "duration_s", "reasons", "forgiven"]


def _min_duration(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        out = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(
            f"{value!r} is not a number", param_hint="--min-duration"
        ) from None
    if not out.is_finite() or out < 0:
        raise click.BadParameter(f"{value!r} must be >= 0", param_hint="--min-duration")
    return out


def _flat(row: BreachRow, tz: ZoneInfo) -> list[str]:
    j = row.to_json(tz)
    return [
        j["symbol"],
        j["date"],
        j["start"],
        j["end"],
        str(j["duration_s"]),
        "+".join(j["reasons"]),
        "true" if j["forgiven"] else "false",
    ]


@click.command("breaches")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="default $MMSLA_DB")
@click.option("--agreement", "agreement_path", required=True, type=click.Path(dir_okay=False))
@click.option("--symbol", help="only this symbol")
@click.option("--from", "from_day", metavar="DATE", help="first trading day (inclusive)")
@click.option("--to", "to_day", metavar="DATE", help="last trading day (inclusive)")
@click.option("--reason", "reasons", multiple=True, help="keep episodes with this reason")
@click.option("--min-duration", "min_duration", metavar="SECONDS", help="keep episodes this long")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
def breaches(
    db_path: str | None,
    agreement_path: str,
    symbol: str | None,
    from_day: str | None,
    to_day: str | None,
    reasons: tuple[str, ...],
    min_duration: str | None,
    fmt: str,
) -> None:
    """List breach episodes (start/end local time, duration, reasons, forgiven)."""
    first, last = _day(from_day, "--from"), _day(to_day, "--to")
    wanted = parse_reasons(reasons) if reasons else None
    min_s = _min_duration(min_duration)
    agreement = load_agreement(agreement_path)
    with open_for_queries(db_path) as store:
        result = check_store(store, agreement, symbol=symbol, first_day=first, last_day=last)
    rows = breach_rows(result, reasons=wanted, min_duration_s=min_s)
    tz = ZoneInfo(agreement.timezone)
    if fmt == "json":
        click.echo(json.dumps({"breaches": [r.to_json(tz) for r in rows]}, indent=2))
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(_flat(r, tz) for r in rows)
        click.echo(out.getvalue(), nl=False)
    else:
        table = [COLUMNS] + [_flat(r, tz) for r in rows]
        widths = [max(len(r[i]) for r in table) for i in range(len(COLUMNS))]
        for r in table:
            click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        click.echo(f"{len(rows)} episode(s)")
