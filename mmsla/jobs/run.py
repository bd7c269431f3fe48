"""End-to-end daily run: jobs into the store, then the obligation and PnL PDFs.

`run_daily` is the entry point of `make demo` and of `mmsla report daily`'s
library users. Does not start processes or ingest files.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from mmsla.agreement import load_agreement
from mmsla.errors import InputError
from mmsla.jobs.inputs import quiet
from mmsla.jobs.obligation import run_obligation_day
from mmsla.jobs.persist import save_obligation_day, save_pnl_day
from mmsla.jobs.pnl import run_pnl_day
from mmsla.obligations.calendar import local_date
from mmsla.store import EventStore


def run_daily(
    db_path: str | Path,
    agreement_path: str | Path,
    day: date,
    out_dir: str | Path,
    *,
    html: bool = False,
) -> list[Path]:
    """Run the daily obligation and PnL jobs for `day`, store them, write both reports.

    Returns [obligation report, PnL report], named `<agreement>-<day>-obligations.pdf`
    and `<agreement>-<day>-pnl.pdf` (`.html` with `html`) in `out_dir` (created when
    missing). Raises `InputError` for a
    day that is not a trading day or has no quotes in the store.
    """
    from mmsla.report.context import daily_context, pnl_context
    from mmsla.report.render import write_report

    agreement = load_agreement(str(agreement_path))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ext = "html" if html else "pdf"
    with quiet(EventStore.open(db_path)) as store:
        # the PnL job runs beside the obligation job on its own DuckDB cursor (DuckDB and
        # NumPy release the GIL for most of both); results are stored afterwards in order
        pnl_store = quiet(EventStore(store.con.cursor(), store.path))
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:  # exit waits for the PnL job
                pnl_future = pool.submit(run_pnl_day, pnl_store, agreement, day)
                od = run_obligation_day(store, agreement, day)
                pnl = pnl_future.result()
        finally:
            pnl_store.close()
        save_obligation_day(store, od)
        save_pnl_day(store, pnl)
        stem = f"{agreement.id}-{day.isoformat()}"
        return [
            write_report(
                "daily.html", daily_context(store, od), out / f"{stem}-obligations.{ext}", html=html
            ),
            write_report("pnl.html", pnl_context(store, pnl), out / f"{stem}-pnl.{ext}", html=html),
        ]


def last_quoted_day(db_path: str | Path, agreement_path: str | Path) -> date:
    """The agreement-local date of the newest quote row in the store (for `make demo`)."""
    agreement = load_agreement(str(agreement_path))
    with quiet(EventStore.open(db_path)) as store:
        row = store.con.execute("SELECT max(ts) FROM quotes").fetchall()
    if row[0][0] is None:
        raise InputError(str(db_path), "the store has no quotes")
    return local_date(ZoneInfo(agreement.timezone), int(row[0][0]))
