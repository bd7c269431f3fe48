"""Daily obligation, daily PnL and monthly jobs over the DuckDB event store.

- `obligation.run_obligation_day(store, agreement, day) -> ObligationDay`: the engine's
  verdict for the day (equal to `mmsla check --from D --to D`), with and without states;
- `pnl.run_pnl_day(store, agreement, day) -> PnlDay`: `mmsla.analytics.summarise` of the day;
- `monthly.run_month(store, agreement, "YYYY-MM") -> MonthToDate`: roll-up to date and
  what the remaining trading days still need;
- `persist.save_*`: idempotent writes into the job tables (delete + insert per key);
- `run.run_daily(db_path, agreement_path, day, out_dir, *, html=False) -> list[Path]`:
  both daily jobs, stored, then the obligation and PnL reports; the entry point of
  `make demo` and of `mmsla report run`; `run.last_quoted_day(db_path, agreement_path)`
  gives the local date of the newest quote in the store.
"""

from mmsla.jobs.monthly import MonthNeed, MonthToDate, run_month
from mmsla.jobs.obligation import ObligationDay, SymbolDay, run_obligation_day
from mmsla.jobs.persist import save_month, save_obligation_day, save_pnl_day
from mmsla.jobs.pnl import PnlDay, run_pnl_day
from mmsla.jobs.run import last_quoted_day, run_daily

__all__ = [
    "MonthNeed",
    "MonthToDate",
    "ObligationDay",
    "PnlDay",
    "SymbolDay",
    "last_quoted_day",
    "run_daily",
    "run_month",
    "run_obligation_day",
    "run_pnl_day",
    "save_month",
    "save_obligation_day",
    "save_pnl_day",
]
