"""`mmsla uptime`: presence and breaches per hour, day or month from the event store.

Opens the store read-only, evaluates with `mmsla.history.uptime` and prints a
table, JSON (`{"rows": [...], "months": [...]}`) or CSV (the rows). Exit 0 when
every bucket and month passes, 1 otherwise, 2 on bad input. No evaluation here.
"""

from __future__ import annotations

import csv
import io
import json

import click

from mmsla.agreement import load_agreement
from mmsla.cli.check import _day
from mmsla.history.buckets import UptimeRow
from mmsla.history.store_check import open_for_queries
from mmsla.history.uptime import Uptime, uptime

CSV_COLUMNS = [
    "bucket",
    "symbol",
    "eligible_s",
    "valid_s",
    "presence_pct",
    "breaches",
    "longest_s",
    "pass",
]


def _cells(row: UptimeRow) -> list[str]:
    p = row.presence_pct
    return [
        row.bucket,
        row.symbol,
        f"{row.eligible_ns / 1e9:.0f}s",
        f"{row.valid_ns / 1e9:.0f}s",
        "-" if p is None else f"{p:.2f}%",
        str(row.breaches),
        f"{row.longest_ns / 1e9:.1f}s",
        "pass" if row.passed else "FAIL",
    ]


def render_table(result: Uptime) -> str:
    rows = [["bucket", "symbol", "eligible", "valid", "presence", "breaches", "longest", "pass"]]
    rows += [_cells(r) for r in result.rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    if result.months:
        lines += ["", "month    symbol  mode              value     min   verdict"]
        for m in result.months:
            value = "-" if m.value is None else f"{m.value:.2f}%"
            lines.append(
                f"{m.month}  {m.symbol:<6}  {m.mode:<16}  {value:>8}  {m.min_pct!s:>5}  "
                + ("pass" if m.passed else "FAIL")
            )
    return "\n".join(lines)


def render_csv(result: Uptime) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in result.rows:
        j = r.to_json()
        writer.writerow(
            [
                "" if j[c] is None else str(j[c]).lower() if isinstance(j[c], bool) else j[c]
                for c in CSV_COLUMNS
            ]
        )
    return out.getvalue()


@click.command("uptime")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="default $MMSLA_DB")
@click.option("--agreement", "agreement_path", required=True, type=click.Path(dir_okay=False))
@click.option("--symbol", help="only this symbol")
@click.option("--from", "from_day", metavar="DATE", help="first trading day (inclusive)")
@click.option("--to", "to_day", metavar="DATE", help="last trading day (inclusive)")
@click.option("--by", type=click.Choice(["hour", "day", "month"]), default="day", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.pass_context
def uptime_command(
    ctx: click.Context,
    db_path: str | None,
    agreement_path: str,
    symbol: str | None,
    from_day: str | None,
    to_day: str | None,
    by: str,
    fmt: str,
) -> None:
    """Presence, valid time, breaches and verdict per bucket; exit 0 pass, 1 fail, 2 bad input."""
    first, last = _day(from_day, "--from"), _day(to_day, "--to")
    agreement = load_agreement(agreement_path)
    with open_for_queries(db_path) as store:
        result = uptime(store, agreement, by=by, symbol=symbol, first_day=first, last_day=last)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
    elif fmt == "csv":
        click.echo(render_csv(result), nl=False)
    else:
        click.echo(render_table(result))
    ctx.exit(0 if result.passed else 1)
