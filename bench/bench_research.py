"""Research benchmarks: the Avellaneda-Stoikov table and implied-vol throughput on the SPXW chain.

`python -m bench research` prints:
- wall time of `as_table(runs=1000)` (3 gammas x 2 strategies x 200 steps; target < 30 s);
- how many of 500 seeds leave one of the issue's bands around the paper's figures,
  for antithetic pairs (the default) and for independent runs, and which bands,
  and how many of 200 seeds do at 4000 runs;
- per (gamma, strategy) row and mode, the mean and sd across those seeds of the
  1000-run profit-std estimate, next to the paper's figure and, for the symmetric
  rows, the exact (closed-form) value: where the band misses come from;
- implied vols solved per second over every option of ../shared/data/options/SPX_2018.csv
  (one vectorised call per quote date, forward from the parity fit), and BSM prices per second.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mmsla.research.as_table import PUBLISHED, as_table, band_misses, symmetric_closed_form
from mmsla.research.option_chain import read_chain
from quoter.pricing.chain import mids, parity_forward
from quoter.pricing.options import bsm_price, implied_vol

SHARED = Path(
    os.environ.get("MMSLA_SHARED", Path(__file__).resolve().parent.parent.parent / "shared")
)


def _best_of(n: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    wall = _best_of(3, lambda: as_table(runs=1000, seed=0))
    print(f"as-table 1000 runs x 3 gammas: {wall:.3f} s (best of 3; target < 30 s)")
    seeds = int(os.environ.get("MMSLA_BENCH_AS_SEEDS", "500"))
    stds: dict[tuple[bool, float, str], list[float]] = {}
    for antithetic in (True, False):
        missed: Counter[str] = Counter()
        bad = 0
        for seed in range(seeds):
            rows = as_table(runs=1000, seed=seed, antithetic=antithetic)
            found = [f"{r.gamma:g} {r.strategy} {m}" for r in rows for m in band_misses(r)]
            bad += bool(found)
            missed.update(found)
            for r in rows:
                stds.setdefault((antithetic, r.gamma, r.strategy), []).append(r.profit_std)
        mode = "antithetic pairs" if antithetic else "independent runs"
        detail = ", ".join(f"{k}: {v}" for k, v in missed.most_common())
        print(f"as-table bands, {mode}: {bad}/{seeds} seeds leave a band ({detail or 'none'})")
    print(
        f"as-table profit std estimate over {seeds} seeds (1000 runs each): "
        "mean / sd across seeds, paper [band], exact"
    )
    head = f"{'gamma':>6} {'strategy':<10} {'pairs':>15} {'independent':>15}"
    print(f"{head} {'paper [band]':>22} exact")
    for gamma, strategy in PUBLISHED:
        psd = PUBLISHED[(gamma, strategy)][2]
        cells = [
            f"{np.mean(v):6.3f} / {np.std(v, ddof=1):5.3f}"
            for v in (stds[(True, gamma, strategy)], stds[(False, gamma, strategy)])
        ]
        band = f"{psd:4.1f} [{0.85 * psd:6.3f}, {1.15 * psd:6.3f}]"
        exact = f"{symmetric_closed_form(gamma).profit_std:.3f}" if strategy == "symmetric" else "-"
        print(f"{gamma:>6g} {strategy:<10} {cells[0]:>15} {cells[1]:>15} {band:>22} {exact}")

    # the same bands at four times the paper's run count: the estimates' spread halves
    seeds_4k = int(os.environ.get("MMSLA_BENCH_AS_SEEDS_4000", "200"))
    bad_4k = sum(
        any(band_misses(r) for r in as_table(runs=4000, seed=seed)) for seed in range(seeds_4k)
    )
    print(f"as-table bands at 4000 runs: {bad_4k}/{seeds_4k} seeds leave a band")

    path = SHARED / "data" / "options" / "SPX_2018.csv"
    if not path.exists():
        print(f"iv: skipped, {path} not present")
        return
    slices = read_chain(path)
    jobs = []
    for s in slices:
        m = mids(s.bid, s.ask)
        fit = parity_forward(s.strike, s.is_call, m, s.t_y)
        if fit is not None:
            jobs.append((m, fit.forward, s.strike, s.t_y, fit.rate, s.is_call))
    n_opts = sum(j[0].size for j in jobs)

    def solve_all() -> None:
        for m, f, k, t, r, c in jobs:
            implied_vol(m, f, k, t, r, q=r, call=c)

    t_iv = _best_of(3, solve_all)
    solved = sum(
        int(np.isfinite(implied_vol(m, f, k, t, r, q=r, call=c)).sum()) for m, f, k, t, r, c in jobs
    )
    print(
        f"implied vol, SPXW chain: {n_opts} options in {len(jobs)} slices, {solved} solved, "
        f"{t_iv * 1e3:.1f} ms -> {n_opts / t_iv:,.0f} options/s"
    )
    rng = np.random.default_rng(0)
    k = rng.uniform(50, 150, 1_000_000)
    t_px = _best_of(3, lambda: bsm_price(100.0, k, 0.5, 0.02, 0.25, q=0.01, call=k > 100))
    print(f"BSM price, 1e6 options vectorised: {t_px * 1e3:.1f} ms -> {1e6 / t_px:,.0f} options/s")


if __name__ == "__main__":
    main()
