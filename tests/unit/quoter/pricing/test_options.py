from __future__ import annotations

import math

import numpy as np
import pytest

from quoter.pricing.montecarlo import mc_price
from quoter.pricing.options import (
    bsm_greeks,
    bsm_price,
    implied_vol,
    implied_vol_one,
    no_arbitrage_bounds,
)


def test_published_prices_to_1e_8() -> None:
    # Published reference values (issue 7): Black-Scholes and BSM with dividend yield.
    assert float(bsm_price(100, 90, 0.5, 0.01, 0.2)) == pytest.approx(12.111581435, abs=1e-8)
    assert float(bsm_price(100, 90, 0.5, 0.01, 0.2, call=False)) == pytest.approx(
        1.66270456231, abs=1e-8
    )
    assert float(bsm_price(100, 95, 0.5, 0.10, 0.2, q=0.05, call=False)) == pytest.approx(
        2.46478764676, abs=1e-8
    )
    delta = float(bsm_greeks(49, 50, 0.3846, 0.05, 0.2).delta)
    assert delta == pytest.approx(0.521601633972, abs=1e-8)


def test_put_call_parity_across_a_chain() -> None:
    k = np.linspace(60, 160, 51)
    c = bsm_price(100, k, 0.75, 0.03, 0.3, q=0.01)
    p = bsm_price(100, k, 0.75, 0.03, 0.3, q=0.01, call=False)
    parity = 100 * math.exp(-0.01 * 0.75) - k * math.exp(-0.03 * 0.75)
    np.testing.assert_allclose(c - p, parity, atol=1e-10)


@pytest.mark.parametrize("call", [True, False])
def test_greeks_match_finite_differences(call: bool) -> None:
    base = dict(s=105.0, k=100.0, t_y=0.4, r=0.04, sigma=0.25, q=0.015)
    g = bsm_greeks(call=call, **base)

    def px(**over: float) -> float:
        args = {**base, **over}
        return float(bsm_price(call=call, **args))

    h = 1e-4
    assert float(g.delta) == pytest.approx((px(s=105 + h) - px(s=105 - h)) / (2 * h), abs=1e-7)
    assert float(g.gamma) == pytest.approx(
        (px(s=105 + 1e-2) - 2 * px() + px(s=105 - 1e-2)) / 1e-4, abs=1e-6
    )
    vega_pt = (px(sigma=0.25 + h) - px(sigma=0.25 - h)) / (2 * h) / 100
    assert float(g.vega_per_pt) == pytest.approx(vega_pt, abs=1e-7)
    theta_day = -(px(t_y=0.4 + h) - px(t_y=0.4 - h)) / (2 * h) / 365
    assert float(g.theta_per_day) == pytest.approx(theta_day, abs=1e-7)
    rho_pt = (px(r=0.04 + h) - px(r=0.04 - h)) / (2 * h) / 100
    assert float(g.rho_per_pt) == pytest.approx(rho_pt, abs=1e-7)


def test_zero_vol_and_expiry_give_intrinsic() -> None:
    assert float(bsm_price(100, 90, 0.0, 0.01, 0.2)) == 10.0
    assert float(bsm_price(100, 90, 1.0, 0.0, 0.0, call=False)) == 0.0
    assert np.isnan(bsm_greeks(100, 90, 0.0, 0.01, 0.2).delta)


def test_implied_vol_round_trip_over_a_chain() -> None:
    k = np.linspace(70, 140, 36)
    call = np.arange(k.size) % 2 == 0
    vols = 0.15 + 0.002 * np.abs(k - 100)  # a smile
    px = bsm_price(100, k, 0.5, 0.02, vols, q=0.01, call=call)
    iv = implied_vol(px, 100, k, 0.5, 0.02, q=0.01, call=call)
    np.testing.assert_allclose(iv, vols, atol=1e-7)


def test_implied_vol_no_solution_outside_bounds() -> None:
    lower, upper = no_arbitrage_bounds(100, 90, 0.5, 0.01)
    assert float(lower) == pytest.approx(100 - 90 * math.exp(-0.005))
    assert float(upper) == 100.0
    assert implied_vol_one(float(lower) - 0.01, 100, 90, 0.5, 0.01) is None  # below intrinsic
    assert implied_vol_one(100.5, 100, 90, 0.5, 0.01) is None  # above the spot
    assert implied_vol_one(5.0, 100, 90, 0.0, 0.01) is None  # expired
    assert implied_vol_one(12.111581435, 100, 90, 0.5, 0.01) == pytest.approx(0.2, abs=1e-9)
    out = implied_vol([np.nan, 12.111581435, -1.0], 100, 90, 0.5, 0.01)
    assert np.isnan(out[0]) and np.isnan(out[2]) and out[1] == pytest.approx(0.2, abs=1e-9)


@pytest.mark.parametrize(("k", "call"), [(90.0, True), (90.0, False), (120.0, True)])
def test_monte_carlo_agrees_within_its_standard_error(k: float, call: bool) -> None:
    closed = float(bsm_price(100, k, 0.5, 0.01, 0.2, q=0.02, call=call))
    mc = mc_price(100, k, 0.5, 0.01, 0.2, q=0.02, call=call, n_pairs=200_000, seed=11)
    assert mc.stderr > 0
    assert abs(mc.price - closed) < 4 * mc.stderr
    assert mc.stderr < 0.01 * max(closed, 1.0)  # and the error bar is tight
    again = mc_price(100, k, 0.5, 0.01, 0.2, q=0.02, call=call, n_pairs=200_000, seed=11)
    assert again == mc  # seeded: deterministic


def test_monte_carlo_custom_payoff_digital() -> None:
    # cash-or-nothing call pays 1 if S_T > K: value exp(-rT) N(d2)
    from scipy.special import ndtr  # type: ignore[import-untyped]

    s, k, t, r, sig = 100.0, 105.0, 1.0, 0.03, 0.25
    d2 = (math.log(s / k) + (r - 0.5 * sig * sig) * t) / (sig * math.sqrt(t))
    want = math.exp(-r * t) * float(ndtr(d2))
    mc = mc_price(s, k, t, r, sig, payoff=lambda st: (st > k).astype(np.float64), seed=3)
    assert abs(mc.price - want) < 4 * mc.stderr
