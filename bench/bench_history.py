"""History benchmark: `uptime --by day` over a month of quotes in the event store.

Builds (or reuses) a store of `days x symbols x rows_per_day` quote rows with the
store benchmark's own generator (`bench.bench_store.write_partitions`, imported, not
copied), then times `mmsla.history.uptime.uptime(by="day")` over all of it: every
symbol-day evaluated by the obligation engine, chunk by chunk. Prints build time,
query time, rows/s and peak RSS of the process.

Scale with MMSLA_BENCH_HISTORY="days,symbols,rows_per_day" (default 5,20,200000 =
20M rows; the issue's target is 30,20,200000 = 120M rows in <= 20 s and <= 4 GB).
MMSLA_BENCH_HISTORY_DB=path reuses (or builds once, then keeps) a store at `path`;
without it the store lives in a temporary directory and is deleted.
MMSLA_BENCH_HISTORY_CHUNK sets the days per chunk (default the library's) and
MMSLA_BENCH_HISTORY_WORKERS the evaluation threads (default up to 2 CPUs).
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path

from bench.bench_store import write_partitions
from mmsla.agreement import load_agreement
from mmsla.history.store_check import DEFAULT_CHUNK_DAYS, open_for_queries
from mmsla.history.uptime import uptime
from mmsla.store import EventStore

AGREEMENT = """id: bench-history
version: 1
timezone: UTC
calendar: {weekdays: [mon, tue, wed, thu, fri]}
window: {start: "08:00", end: "17:00"}
defaults:
  two_sided: true
  max_spread: {value: 0.08, unit: abs}
  min_size: {qty: 200}
  presence: {min_pct: 80}
  downtime: {max_consecutive_s: 60, max_per_hour_s: 300, min_live_hours: 6}
monthly: {mode: mean_of_daily, min_pct: 80}
"""


def build(db: Path, days: int, symbols: int, rows: int) -> None:
    with tempfile.TemporaryDirectory(prefix="mmsla-bench-history-") as tmp:
        t0 = time.perf_counter()
        files = write_partitions(Path(tmp), days, symbols, rows)
        print(f"   generated {days * symbols * rows:,} rows: {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        with EventStore.open(db, memory_limit="2GB") as store:
            store.ingest_many("quotes", files, source="bench")
        print(f"   ingested: {time.perf_counter() - t0:.1f} s")


def run(db: Path, spec: str) -> None:
    with tempfile.TemporaryDirectory(prefix="mmsla-bench-history-a-") as tmp:
        path = Path(tmp) / "agreement.yaml"
        path.write_text(AGREEMENT)
        agreement = load_agreement(path)
    chunk = int(os.environ.get("MMSLA_BENCH_HISTORY_CHUNK", DEFAULT_CHUNK_DAYS))
    workers_env = os.environ.get("MMSLA_BENCH_HISTORY_WORKERS")
    workers = int(workers_env) if workers_env else None
    with open_for_queries(str(db)) as store:
        total = store.con.execute("SELECT count(*) FROM quotes").fetchall()[0][0]
        t0 = time.perf_counter()
        result = uptime(store, agreement, by="day", chunk_days=chunk, workers=workers)
        query_s = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"   uptime --by day ({spec}, chunk {chunk} days, workers {workers or 'auto'}): "
        f"{total:,} rows, "
        f"{len(result.rows)} symbol-days in {query_s:.1f} s = {total / query_s:,.0f} rows/s; "
        f"peak RSS {peak:.2f} GiB"
    )


def main() -> None:
    spec = os.environ.get("MMSLA_BENCH_HISTORY", "5,20,200000")
    days, symbols, rows = (int(x) for x in spec.split(","))
    keep = os.environ.get("MMSLA_BENCH_HISTORY_DB")
    if keep:
        db = Path(keep)
        if not db.exists():
            build(db, days, symbols, rows)
        run(db, spec)
        return
    with tempfile.TemporaryDirectory(prefix="mmsla-bench-history-") as tmp:
        db = Path(tmp) / "history.duckdb"
        build(db, days, symbols, rows)
        run(db, spec)


if __name__ == "__main__":
    main()
