"""Synthetic market: determinism, a never-empty book, A-S intensity recovery, stress flag."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np

from mmsla.domain import Side
from quoter.venue.events import Accepted, Fill, PhaseChanged
from quoter.venue.matching import MatchingEngine
from quoter.venue.rules import SymbolSpec
from quoter.venue.synthetic import MAKER, TAKER, SyntheticMarket, SyntheticParams

SPEC = SymbolSpec("SYN", tick=Decimal("0.01"), lot=Decimal(1))
S = 1_000_000_000


def market(params: SyntheticParams) -> tuple[MatchingEngine, SyntheticMarket]:
    engine = MatchingEngine([SPEC], system_members=[MAKER, TAKER])
    return engine, SyntheticMarket(engine, "SYN", params, start_ns=0)


def test_deterministic_for_a_seed() -> None:
    p = SyntheticParams(
        Decimal("100"),
        intensity_a_per_s=5,
        intensity_k_per_px=50,
        sigma_px_per_sqrt_s=0.05,
        jump_rate_per_s=0.1,
        jump_sigma_px=0.2,
        seed=42,
    )
    runs = []
    for seed in (42, 42, 43):
        _, m = market(SyntheticParams(**{**p.__dict__, "seed": seed}))
        runs.append([m.step(k * S) for k in range(1, 61)])
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert sum(len(r) for r in runs[0]) > 500


def test_background_book_never_empty_and_follows_the_mid() -> None:
    engine, m = market(
        SyntheticParams(
            Decimal("50"),
            intensity_a_per_s=20,
            intensity_k_per_px=20,
            sigma_px_per_sqrt_s=0.1,
            taker_qty_lots=3,
            seed=1,
        )
    )
    book = engine.book("SYN")
    diffs = []
    for k in range(1, 601):
        m.step(k * S // 10)
        bid, ask = book.best_bid(), book.best_ask()
        assert bid is not None and ask is not None and bid < ask
        diffs.append((bid + ask) / 2 - m.mid_ticks)
    # the background is re-centred on the mid: its mid stays within one tick of it
    assert max(abs(d) for d in diffs) <= 1.0
    # the mid moved like the configured random walk: sd per 0.1 s step = 0.1/0.01*sqrt(0.1)
    _engine2, m2 = market(SyntheticParams(Decimal("50"), sigma_px_per_sqrt_s=0.1, seed=2))
    mids = []
    for k in range(1, 20_001):
        m2.step(k * S // 10)
        mids.append(m2.mid_ticks)
    sd = float(np.std(np.diff(mids)))
    assert abs(sd / (10 * math.sqrt(0.1)) - 1) < 0.03


def test_fill_intensity_recovers_a_and_k() -> None:
    """Rest a 1-lot probe at each distance on both sides, count its fills per second,
    and regress log(rate) on distance: the slope is -k and the intercept log(A)."""
    a_per_s, k_per_px = 2.0, 30.0
    engine, m = market(
        SyntheticParams(
            Decimal("100"),
            intensity_a_per_s=a_per_s,
            intensity_k_per_px=k_per_px,
            bg_levels=3,
            seed=7,
        )
    )
    deltas = range(1, 7)  # ticks from the mid (the mid stays at 10000 ticks: no volatility)
    hits = dict.fromkeys(deltas, 0)
    probe_at: dict[int, int] = {}

    def place(delta: int, side: Side, t: int) -> None:
        px = 10_000 + delta if side is Side.SELL else 10_000 - delta
        acc = engine.submit("probe", "SYN", side, px, 1, t)[0]
        assert isinstance(acc, Accepted)
        probe_at[acc.order_id] = delta

    m.step(0)
    for d in deltas:
        place(d, Side.BUY, 0)
        place(d, Side.SELL, 0)
    horizon = 2_000 * S
    while (t := m.next_event_ns()) <= horizon:
        for e in m.step(t):
            if isinstance(e, Fill) and e.maker_member == "probe" and e.maker_leaves == 0:
                d = probe_at.pop(e.maker_order_id)
                hits[d] += 1
                place(d, e.maker_side, t)
    assert m.mid_ticks == 10_000
    rates = np.array([hits[d] / (2 * 2_000) for d in deltas])  # per side per second
    dist_px = np.array([d * 0.01 for d in deltas])
    slope, intercept = np.polyfit(dist_px, np.log(rates), 1)
    k_hat, a_hat = -slope, math.exp(intercept)
    assert abs(k_hat / k_per_px - 1) < 0.10, (k_hat, hits)
    assert abs(a_hat / a_per_s - 1) < 0.10, (a_hat, hits)
    # and the generator itself: 2 sides x A x horizon arrivals (Poisson, within 4 sd)
    assert abs(m.arrivals - 2 * a_per_s * 2_000) < 4 * math.sqrt(2 * a_per_s * 2_000)


def test_finite_taker_size_hits_the_best_level_first() -> None:
    _engine, m = market(
        SyntheticParams(
            Decimal("100"),
            intensity_a_per_s=50,
            intensity_k_per_px=10,
            taker_qty_lots=2,
            bg_levels=3,
            seed=3,
        )
    )
    fills = [e for e in m.step(10 * S) if isinstance(e, Fill)]
    assert len(fills) > 500
    assert all(f.taker_member == TAKER and f.maker_member == MAKER for f in fills)
    per_taker: dict[int, int] = {}
    for f in fills:
        per_taker[f.taker_order_id] = per_taker.get(f.taker_order_id, 0) + f.qty
    assert set(per_taker.values()) == {2}
    # 2-lot takers never get past the 10-lot best levels (refilled when consumed)
    assert {f.px for f in fills} == {9_999, 10_001}


def test_stressed_while_realised_vol_exceeds_threshold() -> None:
    # calm walk, with rare large jumps: stressed flags switch on and off again
    _engine, m = market(
        SyntheticParams(
            Decimal("100"),
            sigma_px_per_sqrt_s=0.01,
            jump_rate_per_s=0.02,
            jump_sigma_px=1.0,
            stress_vol_px_per_sqrt_s=0.05,
            stress_window_s=30,
            seed=5,
        )
    )
    phases = [e for e in m.step(600 * S) if isinstance(e, PhaseChanged)]
    assert phases, "expected at least one stressed period"
    assert [p.stressed for p in phases[:2]] == [True, False]
    assert all(p.symbol == "SYN" for p in phases)
