"""Obligation engine throughput: one symbol-day of 10,000,000 quote updates, end to end.

Generates (seeded) a Parquet quote log with two levels per side plus a 1,000,000-row
market reference, once, in a temp dir; then, in a fresh child process, times
read + evaluate (`read_quote_log`, `read_market`, `check`) with every per-instant
rule on (two-sided, spread vs market mid, min size by notional, size divergence,
depth in a +/-2% band, price band), time-weighted, and reports updates/s and peak
RSS. The baseline is a straightforward row-by-row pandas loop over a 200,000-row
subset, extrapolated to the full day.

Run: `.venv/bin/python -m bench obligations` (or `make bench BENCH=obligations`).
Override the size with MMSLA_BENCH_ROWS (e.g. 1000000 for a quick run).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROWS = int(os.environ.get("MMSLA_BENCH_ROWS", "10000000"))
MARKET_ROWS = max(ROWS // 10, 1)
BASELINE_ROWS = 200_000
DAY0_NS = 1_795_478_400 * 1_000_000_000  # 2026-11-24T00:00:00Z
AGREEMENT = """
id: bench
version: 1
timezone: UTC
window: {start: "00:00", end: "24:00"}
defaults:
  two_sided: true
  max_spread: {value: 30, unit: bps, reference: market_mid}
  min_size: {notional: 10000}
  max_size_divergence: {pct: 50, denominator: smaller}
  depth: {band_pct: 2, min_notional: 50000, reference: market_mid}
  price_band: {pct: 1, reference: market_mid}
  presence: {min_pct: 50}
"""


def generate(directory: Path) -> tuple[Path, Path, Path]:
    """Write the seeded quote log, market reference and agreement; return their paths."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(20261124)
    n = ROWS
    ts = DAY0_NS + np.sort(rng.integers(0, 86_400 * 10**9, n, dtype=np.int64))
    mid = 1_000_000 + np.cumsum(rng.integers(-2, 3, n)).astype(np.int64)  # price x 10^4 (~100.00)
    half = rng.choice(
        np.asarray([100, 120, 150, 200, 400], np.int64), n, p=[0.3, 0.3, 0.2, 0.15, 0.05]
    )
    bid = mid - half
    ask = mid + half
    bq = rng.choice(np.asarray([50, 100, 200, 300, 500], np.int64), n)
    aq = rng.choice(np.asarray([50, 100, 200, 300, 500], np.int64), n)
    one_sided = rng.random(n) < 0.01

    def dec(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
        words = np.empty((values.size, 2), np.int64)  # decimal128: low word, sign-extended high
        words[:, 0] = values
        words[:, 1] = values >> 63
        scaled = pa.Array.from_buffers(
            pa.decimal128(18, 4), values.size, [None, pa.py_buffer(words)], null_count=0
        )
        if mask is not None:
            import pyarrow.compute as pc

            scaled = pc.if_else(pa.array(mask), pa.scalar(None, pa.decimal128(18, 4)), scaled)
        return scaled

    quotes = pa.table(
        {
            "ts": pa.array(ts),
            "symbol": pa.array(np.full(n, "ABC")).dictionary_encode(),
            "bid_px": dec(bid),
            "bid_qty": pa.array(bq),
            "ask_px": dec(ask, one_sided),
            "ask_qty": pa.array(np.where(one_sided, 0, aq)),
            "bid_px_2": dec(bid - 500),
            "bid_qty_2": pa.array(bq * 3),
            "ask_px_2": dec(ask + 500),
            "ask_qty_2": pa.array(aq * 3),
        }
    )
    qpath = directory / "quotes.parquet"
    pq.write_table(quotes, qpath, store_decimal_as_integer=True)
    pick = np.sort(rng.choice(n, MARKET_ROWS, replace=False))
    mspread = rng.choice(np.asarray([50, 100, 100, 150], np.int64), MARKET_ROWS)
    market = pa.table(
        {
            "ts": pa.array(ts[pick]),
            "symbol": pa.array(np.full(MARKET_ROWS, "ABC")).dictionary_encode(),
            "bid_px": dec(mid[pick] - mspread),
            "ask_px": dec(mid[pick] + mspread),
        }
    )
    mpath = directory / "market.parquet"
    pq.write_table(market, mpath, store_decimal_as_integer=True)
    apath = directory / "agreement.yaml"
    apath.write_text(AGREEMENT)
    return qpath, mpath, apath


def child(qpath: str, mpath: str, apath: str) -> None:
    """Time read + evaluate in this (fresh) process; print JSON with seconds and peak RSS."""
    from mmsla.agreement import load_agreement
    from mmsla.io.tables import read_market, read_quote_log
    from mmsla.obligations import check

    t0 = time.perf_counter()
    agreement = load_agreement(apath)
    quotes = read_quote_log(qpath)
    market = read_market(mpath)
    t1 = time.perf_counter()
    result = check(agreement, quotes, market=market)
    t2 = time.perf_counter()
    (day,) = result.days
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "read_s": t1 - t0,
                "eval_s": t2 - t1,
                "presence": day.presence_pct,
                "breaches": len(day.breaches),
                "peak_rss_mb": peak_kb / 1024,
            }
        )
    )


def baseline(qpath: Path, mpath: Path) -> float:
    """Row-by-row pandas: merge_asof the market, then loop rows; seconds for BASELINE_ROWS."""
    import pandas as pd

    t0 = time.perf_counter()
    q = pd.read_parquet(qpath).iloc[:BASELINE_ROWS]
    m = pd.read_parquet(mpath)
    m = m[m["ts"] <= q["ts"].iloc[-1]]
    df = pd.merge_asof(
        q.sort_values("ts"),
        m.sort_values("ts")[["ts", "bid_px", "ask_px"]],
        on="ts",
        suffixes=("", "_mkt"),
    )
    ts = df["ts"].to_numpy()
    end = np.append(ts[1:], ts[-1])
    valid_ns = 0
    for i, row in enumerate(df.itertuples(index=False)):
        ok = True
        if pd.isna(row.ask_px) or row.ask_qty == 0 or pd.isna(row.bid_px_mkt):
            ok = False
        else:
            b, a = row.bid_px, row.ask_px
            mmid2 = row.bid_px_mkt + row.ask_px_mkt
            ok = b < a and (a - b) * 20000 <= 30 * mmid2
            ok = ok and row.bid_qty * b >= 10000 and row.ask_qty * a >= 10000
            ok = ok and abs(row.bid_qty - row.ask_qty) * 100 <= 50 * min(row.bid_qty, row.ask_qty)
            lo, hi = mmid2 * 98 / 200, mmid2 * 102 / 200
            bid_depth = sum(
                p * s for p, s in ((b, row.bid_qty), (row.bid_px_2, row.bid_qty_2)) if p >= lo
            )
            ask_depth = sum(
                p * s for p, s in ((a, row.ask_qty), (row.ask_px_2, row.ask_qty_2)) if p <= hi
            )
            ok = ok and bid_depth >= 50000 and ask_depth >= 50000
            ok = ok and abs(2 * b - mmid2) * 100 <= mmid2 and abs(2 * a - mmid2) * 100 <= mmid2
        if ok:
            valid_ns += int(end[i] - ts[i])
    return time.perf_counter() - t0


def run_child(qpath: Path, mpath: Path, apath: Path) -> dict[str, float]:
    """One timed read + evaluate in a fresh interpreter (clean peak-RSS measurement)."""
    cmd = [sys.executable, "-m", "bench.bench_obligations", "--child"]
    proc = subprocess.run(
        [*cmd, str(qpath), str(mpath), str(apath)], capture_output=True, text=True, check=True
    )
    figures: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="mmsla-bench-") as tmp:
        t0 = time.perf_counter()
        qpath, mpath, apath = generate(Path(tmp))
        took = time.perf_counter() - t0
        print(f"   generated {ROWS:,} quote updates + {MARKET_ROWS:,} market rows in {took:.1f} s")
        runs = [run_child(qpath, mpath, apath) for _ in range(3)]
        runs.sort(key=lambda f: f["read_s"] + f["eval_s"])
        fig = runs[1]  # the median of three runs
        total = fig["read_s"] + fig["eval_s"]
        peak = max(f["peak_rss_mb"] for f in runs)
        print(
            f"   engine (median of 3): read {fig['read_s']:.2f} s + evaluate"
            f" {fig['eval_s']:.2f} s = {total:.2f} s -> {ROWS / total / 1e6:.2f} M updates/s;"
            f" peak RSS {peak:.0f} MB (presence {fig['presence']:.2f}%,"
            f" {fig['breaches']:,.0f} breach episodes)"
        )
        base_s = baseline(qpath, mpath)
        per_row = base_s / BASELINE_ROWS
        print(
            f"   pandas row-by-row baseline: {BASELINE_ROWS:,} rows in {base_s:.2f} s"
            f" -> {1 / per_row / 1e6:.3f} M updates/s, ~{per_row * ROWS:.0f} s for {ROWS:,}"
            f" (engine is {per_row * ROWS / total:.0f}x faster)"
        )


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
    else:
        main()
