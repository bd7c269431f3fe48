"""Backtester throughput: recorded market events (book frames + trades) per second.

- strategy off: the pure replay the backtester runs on (`ReplaySource` stepping
  the LOBSTER AMZN level-5 day into the matching core, queue model on), no quoter;
- strategy on: `quoter.backtest.Backtest` on the same day with
  `fixtures/backtest/amzn.yaml` (the live quoter core: market data over the
  in-process FIX links, strategy, obligation clamp, risk, order manager, quote log
  and fills files, latency models) -- and on the Binance BTCUSDT sample.

Reading the files is not timed. Figures go to BENCHMARKS.md by hand.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmsla.domain import RecordedMarket
    from quoter.backtest import BacktestResult

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MMSLA_SHARED", REPO.parent / "shared"))
LOBSTER = SHARED / "data" / "lobster" / "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip"
BINANCE = [SHARED / "data" / "binance" / f"spot_btcusdt_2024080{d}.gz" for d in (8, 9)]


def replay_only(market: RecordedMarket, repeat: int = 3) -> float:
    """Median wall time of `repeat` pure replays (a fresh venue each; building it is
    not timed: it includes the per-recording frame diffs, a few ms)."""
    from quoter.backtest.runner import build_venue

    times = []
    for _ in range(repeat):
        _, replay, _ = build_venue(market)
        t0 = time.perf_counter()
        while True:
            ts = replay.next_event_ns()
            if ts is None:
                break
            replay.step(ts)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def with_strategy(
    market: RecordedMarket, config: Path, seed: int = 1
) -> tuple[float, BacktestResult]:
    from quoter.backtest import Backtest, load_backtest_config

    with tempfile.TemporaryDirectory() as tmp:
        r = Backtest(load_backtest_config(config), market, out_dir=tmp, seed=seed).run()
    return r.wall_s, r


def main() -> None:
    from mmsla.io.books import read_book

    if not LOBSTER.exists():
        print(f"backtest: skipped ({LOBSTER} not present)")
        return
    amzn = read_book(LOBSTER, "lobster")
    n = len(amzn.book) + len(amzn.trades.ts_ns)
    secs = replay_only(amzn)
    print(
        f"strategy off (pure replay) LOBSTER AMZN level 5: {len(amzn.book):,} frames + "
        f"{len(amzn.trades.ts_ns):,} trades in {secs:.2f} s (median of 3) = "
        f"{n / secs:,.0f} events/s"
    )
    secs, r = with_strategy(amzn, REPO / "fixtures" / "backtest" / "amzn.yaml")
    print(
        f"strategy on, LOBSTER AMZN day: {n:,} events in {secs:.2f} s = "
        f"{n / secs:,.0f} events/s; {r.messages:,} FIX messages, "
        f"{r.quote_rows:,} quote rows, {r.fills:,} fills"
    )
    if all(p.exists() for p in BINANCE):
        btc = read_book(BINANCE, "binance")
        nb = len(btc.book) + len(btc.trades.ts_ns)
        secs, r = with_strategy(btc, REPO / "fixtures" / "backtest" / "btcusdt.yaml")
        print(
            f"strategy on, Binance BTCUSDT 2024-08-08/09 sample: {nb:,} events in {secs:.2f} s"
            f" = {nb / secs:,.0f} events/s; {r.quote_rows:,} quote rows, "
            f"{r.fills:,} fills"
        )


if __name__ == "__main__":
    main()
