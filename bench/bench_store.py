"""Event store benchmark: quote-log ingest from partitioned Parquet, then a per-symbol-day scan.

Layout written (readable by any Parquet engine, hive-style partitions):

    <tmp>/quotes/date=YYYY-MM-DD/symbol=SYM/part-0.parquet

one file per trading day and symbol, columns `ts` int64 (UTC ns), `symbol`
string, `bid_px`/`ask_px` decimal128(18,2), `bid_qty`/`ask_qty` decimal128(18,0),
`event` string: the DESIGN.md quote-log format with typed columns.

Scale with MMSLA_BENCH_STORE="days,symbols,rows_per_day" (default 5,20,200000 =
20M rows; the issue's full target is 30,20,200000 = 120M). Prints generation
time, ingest rows/s through `EventStore.ingest` (one transaction, all files),
the database size, the time of a per-symbol-day aggregate over everything, and
peak RSS of the process (DuckDB memory_limit 2GB; generation runs in the same process).
Also the monitor's batch path: 20 batches of 50,000 quote rows stored from memory
(`EventStore.append`, columns of decimal text) against the same rows written as CSV
files and ingested (`EventStore.ingest`), CPU time per row (process time).
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mmsla.store import EventStore

DAY0 = date(2026, 11, 2)
NS = 1_000_000_000


def _decimal(units: np.ndarray, scale: int) -> pa.Array:
    words = np.empty(2 * len(units), dtype=np.int64)
    words[0::2] = units
    words[1::2] = units >> 63
    return pa.Array.from_buffers(pa.decimal128(18, scale), len(units), [None, pa.py_buffer(words)])


def write_partitions(root: Path, days: int, symbols: int, rows: int, seed: int = 7) -> list[Path]:
    """Write the synthetic quote logs; returns the files in path order."""
    rng = np.random.default_rng(seed)
    events = pa.array(["quote", "replace", "cancel", "fill"])
    files = []
    trading: list[date] = []
    day = DAY0
    while len(trading) < days:
        if day.weekday() < 5:
            trading.append(day)
        day += timedelta(days=1)
    for day in trading:
        open_ns = int(time.mktime(day.timetuple())) * NS + 8 * 3600 * NS
        for s in range(symbols):
            sym = f"S{s:02d}"
            ts = open_ns + np.sort(rng.integers(0, 9 * 3600 * NS, rows)).astype(np.int64)
            mid = 10_000 + s * 100 + np.cumsum(rng.integers(-1, 2, rows))
            half = rng.integers(1, 6, rows)
            table = pa.table(
                {
                    "ts": ts,
                    "symbol": pa.array([sym] * rows),
                    "bid_px": _decimal((mid - half).astype(np.int64), 2),
                    "bid_qty": _decimal(rng.integers(1, 20, rows) * 100, 0),
                    "ask_px": _decimal((mid + half).astype(np.int64), 2),
                    "ask_qty": _decimal(rng.integers(1, 20, rows) * 100, 0),
                    "event": events.take(pa.array(rng.integers(0, 4, rows))),
                }
            )
            path = root / "quotes" / f"date={day.isoformat()}" / f"symbol={sym}" / "part-0.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, path, compression="zstd")
            files.append(path)
    return sorted(files)


def _batches(n_batches: int, rows: int) -> list[pa.Table]:
    """Monitor-like quote batches: two symbols, one level of decimal text per side."""
    out = []
    t0 = int(time.mktime(DAY0.timetuple())) * NS + 8 * 3600 * NS
    for k in range(n_batches):
        i = np.arange(k * rows, (k + 1) * rows)
        ask = np.where(i % 100 == 99, "101.50", "100.20")
        out.append(
            pa.table(
                {
                    "ts": pa.array(t0 + i * 1_000_000, pa.int64()),
                    "symbol": pa.array(np.where(i % 2 == 1, "ABC", "XYZ")),
                    "bid_px": pa.array(["100.00"] * rows),
                    "bid_qty": pa.array(["200"] * rows),
                    "ask_px": pa.array(ask),
                    "ask_qty": pa.array(["200"] * rows),
                    "event": pa.array(["quote"] * rows),
                }
            )
        )
    return out


def bench_append(root: Path, n_batches: int = 20, rows: int = 50_000) -> None:
    import pyarrow.csv as pacsv

    batches = _batches(n_batches, rows)
    paths = []
    for k, t in enumerate(batches):
        p = root / f"batch-{k:03d}.csv"
        pacsv.write_csv(t, p, pacsv.WriteOptions(quoting_style="none"))
        paths.append(p)
    figures: dict[str, list[float]] = {}
    for name in ("ingest", "append", "ingest ", "append "):
        with EventStore.open(root / f"{name.strip()}-{len(figures)}.duckdb") as store:
            t0 = time.process_time()
            for k in range(n_batches):
                with store.transaction():
                    if name.strip() == "ingest":
                        store.ingest("quotes", paths[k], source="bench")
                    else:
                        store.append("quotes", batches[k], path=f"batch-{k}", source="bench")
            figures.setdefault(name.strip(), []).append(
                (time.process_time() - t0) / (n_batches * rows) * 1e6
            )
    print(
        f"   monitor batches ({n_batches} x {rows:,} quote rows, CPU per row, best of 2): "
        f"ingest CSV files {min(figures['ingest']):.2f} us, "
        f"append from memory {min(figures['append']):.2f} us"
    )


def main() -> None:
    spec = os.environ.get("MMSLA_BENCH_STORE", "5,20,200000")
    days, symbols, rows = (int(x) for x in spec.split(","))
    with tempfile.TemporaryDirectory(prefix="mmsla-bench-store-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        files = write_partitions(root, days, symbols, rows)
        total = days * symbols * rows
        print(
            f"   generated {total:,} rows in {len(files)} Parquet files: "
            f"{time.perf_counter() - t0:.1f} s"
        )
        db = root / "bench.duckdb"
        store = EventStore.open(db, memory_limit="2GB")
        t0 = time.perf_counter()
        store.ingest_many("quotes", files, source="bench")
        ingest_s = time.perf_counter() - t0
        print(f"   ingest: {total:,} rows in {ingest_s:.1f} s = {total / ingest_s:,.0f} rows/s")
        t0 = time.perf_counter()
        again = [store.ingest("quotes", f) for f in files]
        assert all(r.skipped for r in again)
        print(f"   re-ingest (all skipped by sha256): {time.perf_counter() - t0:.1f} s")
        store.close()
        print(f"   database size: {db.stat().st_size / 2**20:,.0f} MiB")
        store = EventStore.open(db, read_only=True)
        t0 = time.perf_counter()
        out = store.con.execute(
            "SELECT symbol, ts // 86400000000000 AS day, count(*), "
            "avg(ask_px - bid_px), max(ts) - min(ts) FROM quotes GROUP BY ALL"
        ).fetchall()
        print(
            f"   per-symbol-day aggregate over all rows ({len(out)} groups): "
            f"{time.perf_counter() - t0:.2f} s"
        )
        t0 = time.perf_counter()
        one = store.load_quotes(symbol="S03", start_ns=int(out[0][1]) * 86400 * NS)
        print(
            f"   load_quotes one symbol from day 1 ({sum(len(v) for v in one.values()):,} rows): "
            f"{time.perf_counter() - t0:.2f} s"
        )
        store.close()
    with tempfile.TemporaryDirectory(prefix="mmsla-bench-append-") as tmp:
        bench_append(Path(tmp))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"   peak RSS: {peak:.2f} GiB")


if __name__ == "__main__":
    main()
