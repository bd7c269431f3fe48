from __future__ import annotations

import math

import numpy as np
import pytest

from quoter.pricing.volatility import NS_PER_S, EwmaConfig, EwmaVolatility, ewma_sigma_series


def test_two_irregular_steps_by_hand() -> None:
    est = EwmaVolatility(EwmaConfig(half_life_s=2.0))
    assert est.update(0, 100.0) is None
    s1 = est.update(1 * NS_PER_S, 101.0)
    v1 = math.log(1.01) ** 2 / 1.0
    assert s1 == pytest.approx(math.sqrt(v1))
    s2 = est.update(4 * NS_PER_S, 102.0)  # dt = 3 s
    alpha = 1 - 2 ** (-3 / 2)
    v2 = v1 + alpha * (math.log(102 / 101) ** 2 / 3.0 - v1)
    assert s2 == pytest.approx(math.sqrt(v2))
    assert est.sigma_px_per_s == pytest.approx(math.sqrt(v2) * 102.0)


def test_constant_mid_decays_toward_zero() -> None:
    est = EwmaVolatility(EwmaConfig(half_life_s=1.0, initial_sigma_per_s=0.01))
    for i in range(11):  # the first call only sets the reference mid
        est.update(i * NS_PER_S, 100.0)
    # ten half-lives of zero returns: variance down by 2**-10, sigma by 2**-5
    assert est.sigma_per_s == pytest.approx(0.01 * 2**-5)


def test_recovers_known_vol_on_irregular_gbm() -> None:
    rng = np.random.default_rng(7)
    sigma = 0.002  # per sqrt(second)
    dt = rng.exponential(0.5, size=40_000)  # irregular gaps, mean 0.5 s
    r = rng.standard_normal(dt.size) * sigma * np.sqrt(dt)
    ts = np.concatenate([[0], np.cumsum(dt * NS_PER_S).astype(np.int64)])
    mid = 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(r)]))
    out = ewma_sigma_series(ts, mid, EwmaConfig(half_life_s=2_000.0))
    assert math.isnan(out[0])
    assert out[-1] == pytest.approx(sigma, rel=0.05)


def test_rejects_time_going_backwards_and_bad_mid() -> None:
    est = EwmaVolatility(EwmaConfig(half_life_s=1.0))
    est.update(10, 100.0)
    with pytest.raises(ValueError):
        est.update(5, 100.0)
    with pytest.raises(ValueError):
        est.update(20, 0.0)
    with pytest.raises(ValueError):
        EwmaConfig(half_life_s=0.0)


def test_same_timestamp_updates_do_not_lose_the_move() -> None:
    a = EwmaVolatility(EwmaConfig(half_life_s=5.0))
    a.update(0, 100.0)
    a.update(NS_PER_S, 100.5)
    a.update(NS_PER_S, 101.0)  # same instant: skipped for now
    s = a.update(2 * NS_PER_S, 101.0)
    b = EwmaVolatility(EwmaConfig(half_life_s=5.0))
    b.update(0, 100.0)
    b.update(NS_PER_S, 100.5)
    want = b.update(2 * NS_PER_S, 101.0)  # the 100.5 -> 101 move lands in this step
    assert s == pytest.approx(want)
