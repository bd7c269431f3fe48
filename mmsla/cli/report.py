"""`mmsla report daily|monthly|pnl`: run the jobs over the store and write a PDF (or HTML).

Each command runs its job (stored idempotently in the job tables), builds the
template context and writes the report atomically. Exit 0 when written (the
verdict is in the report), 2 on bad input. No evaluation logic lives here.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from mmsla.errors import InputError


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError("--date", f"{value!r} is not a date YYYY-MM-DD") from None


_db = click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False))
_agreement = click.option(
    "--agreement", "agreement_path", required=True, type=click.Path(dir_okay=False)
)
_out = click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False))
_html = click.option("--html", is_flag=True, help="write HTML instead of PDF")


def _target(out_path: str) -> Path:
    """The output file, checked before any work: its folder must exist."""
    out = Path(out_path)
    if not out.parent.is_dir():
        raise InputError(out_path, "the output directory does not exist")
    return out


def _open(db_path: str):  # type: ignore[no-untyped-def]
    from mmsla.store import EventStore

    if not Path(db_path).exists():
        raise InputError(db_path, "no such database")
    from mmsla.jobs.inputs import quiet

    return quiet(EventStore.open(db_path))


@click.group("report")
def report() -> None:
    """Daily obligation, PnL and monthly reports from the event store."""


@report.command("daily")
@_db
@_agreement
@click.option("--date", "day", required=True, metavar="YYYY-MM-DD")
@_out
@_html
def daily(db_path: str, agreement_path: str, day: str, out_path: str, html: bool) -> None:
    """Daily obligation report of one trading day."""
    from mmsla.agreement import load_agreement
    from mmsla.jobs import run_obligation_day, save_obligation_day
    from mmsla.report.context import daily_context
    from mmsla.report.render import write_report

    out = _target(out_path)
    agreement = load_agreement(agreement_path)
    with _open(db_path) as store:
        od = run_obligation_day(store, agreement, _day(day))
        save_obligation_day(store, od)
        path = write_report("daily.html", daily_context(store, od), out, html=html)
    verdict = "PASS" if od.check.passed else "FAIL"
    click.echo(f"{agreement.id} v{agreement.version} {day}: {verdict}; wrote {path}")


@report.command("pnl")
@_db
@_agreement
@click.option("--date", "day", required=True, metavar="YYYY-MM-DD")
@_out
@_html
def pnl(db_path: str, agreement_path: str, day: str, out_path: str, html: bool) -> None:
    """Daily PnL report (fills and marks of the local calendar day)."""
    from mmsla.agreement import load_agreement
    from mmsla.jobs import run_pnl_day, save_pnl_day
    from mmsla.report.context import pnl_context
    from mmsla.report.render import write_report

    out = _target(out_path)
    agreement = load_agreement(agreement_path)
    with _open(db_path) as store:
        result = run_pnl_day(store, agreement, _day(day))
        save_pnl_day(store, result)
        path = write_report("pnl.html", pnl_context(store, result), out, html=html)
    total = "no fills" if result.summary is None else f"total PnL {result.summary.total:.2f}"
    click.echo(f"{agreement.id} {day}: {total}; wrote {path}")


@report.command("monthly")
@_db
@_agreement
@click.option("--month", required=True, metavar="YYYY-MM")
@click.option("--through", metavar="YYYY-MM-DD", help="last day to count (default: last quoted)")
@_out
@_html
def monthly(
    db_path: str, agreement_path: str, month: str, through: str | None, out_path: str, html: bool
) -> None:
    """Monthly roll-up to date and what the remaining trading days still need."""
    from mmsla.agreement import load_agreement
    from mmsla.jobs import run_month, save_month
    from mmsla.report.context import monthly_context
    from mmsla.report.render import write_report

    out = _target(out_path)
    agreement = load_agreement(agreement_path)
    with _open(db_path) as store:
        mtd = run_month(store, agreement, month, _day(through) if through else None)
        save_month(store, mtd)
        path = write_report("monthly.html", monthly_context(store, mtd), out, html=html)
    verdict = "PASS" if all(m.passed for m in mtd.check.months) else "FAIL"
    click.echo(f"{agreement.id} {month} through {mtd.through}: {verdict}; wrote {path}")


@report.command("run")
@_db
@_agreement
@click.option("--date", "day", required=True, metavar="YYYY-MM-DD")
@click.option(
    "--out-dir",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="created if missing",
)
@_html
def run(db_path: str, agreement_path: str, day: str, out_dir: str, html: bool) -> None:
    """Run the daily jobs and write the obligation and PnL reports into OUT_DIR."""
    from mmsla.jobs import run_daily

    if not Path(db_path).exists():
        raise InputError(db_path, "no such database")
    for path in run_daily(db_path, agreement_path, _day(day), out_dir, html=html):
        click.echo(f"wrote {path}")
