"""Pre-trade risk: latency of `RiskEngine.check` with every check on (tick-to-quote hot path)."""

from __future__ import annotations

import time
from decimal import Decimal as D

import numpy as np

from mmsla.domain import Side
from quoter.intents import Instrument, OrderIntent
from quoter.risk import RiskConfig, RiskEngine, SymbolLimits

N = 100_000


def main() -> None:
    inst = Instrument("ABC", D("0.01"), D(1))
    limits = SymbolLimits(D(1000), D(10**6), D(100), D(10**6), D(10**9))
    engine = RiskEngine(
        RiskConfig(
            (inst,),
            limits,
            max_total_net_notional=D(10**9),
            max_total_gross_notional=D(10**10),
            max_msgs=10**9,
            max_open_orders=10**6,
            max_daily_loss=D(10**6),
        )
    )
    engine.set_reference("ABC", 10_000)
    intents = [
        OrderIntent(f"o{i}", inst, Side.BUY if i % 2 else Side.SELL, 10_000 + i % 7 - 3, 1 + i % 5)
        for i in range(N)
    ]
    lat = np.empty(N, np.int64)
    clock = time.perf_counter_ns
    for i, intent in enumerate(intents):
        t0 = clock()
        engine.check(intent, i)
        lat[i] = clock() - t0
        engine.on_order_closed(intent.client_id)
    p50, p99 = np.percentile(lat, [50, 99]) / 1000
    print(f"   risk check, {N} new orders, every check on: p50 {p50:.2f} us, p99 {p99:.2f} us")
    vega_check()


def vega_check() -> None:
    """The same on an option with the vega limits on (per underlying and total)."""
    opt = Instrument("UND 100C", D("0.05"), D(1))
    engine = RiskEngine(
        RiskConfig(
            (opt,),
            SymbolLimits(D(1000)),
            max_abs_vega_per_pt={"UND": D(10**6)},
            max_total_abs_vega_per_pt=D(10**7),
        )
    )
    engine.set_vega("UND 100C", "UND", D("11.37268"))
    engine.set_position("UND 100C", 250)
    intents = [
        OrderIntent(f"v{i}", opt, Side.BUY if i % 2 else Side.SELL, 200 + i % 7, 1 + i % 5)
        for i in range(N)
    ]
    lat = np.empty(N, np.int64)
    clock = time.perf_counter_ns
    for i, intent in enumerate(intents):
        t0 = clock()
        engine.check(intent, i)
        lat[i] = clock() - t0
        engine.on_order_closed(intent.client_id)
    p50, p99 = np.percentile(lat, [50, 99]) / 1000
    print(f"   risk check on an option, vega limits on: p50 {p50:.2f} us, p99 {p99:.2f} us")
