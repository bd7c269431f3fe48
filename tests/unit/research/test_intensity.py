from __future__ import annotations

import math

import numpy as np
import pytest

from mmsla.research.intensity import NS_PER_S, calibrate, fit_intensity, trade_depths


def _simulate(a: float, k: float, duration_s: float, seed: int) -> dict[str, np.ndarray]:
    """Market orders arrive as a Poisson process of rate `a`; each reaches an
    exponential depth of rate `k` from the prevailing mid, so orders reaching
    depth >= delta arrive at rate a*exp(-k*delta): the model being fitted."""
    rng = np.random.default_rng(seed)
    book_ts = np.arange(0, int(duration_s * NS_PER_S), NS_PER_S // 2, dtype=np.int64)
    mid = 100.0 + np.cumsum(rng.choice([-0.05, 0.05], size=book_ts.size))
    n = rng.poisson(a * duration_s)
    trade_ts = np.sort(rng.uniform(0.001, duration_s, size=n) * NS_PER_S).astype(np.int64)
    side = rng.choice(np.array([-1, 1], dtype=np.int8), size=n)
    depth = rng.exponential(1.0 / k, size=n)
    prevailing = mid[np.searchsorted(book_ts, trade_ts, side="left") - 1]
    return {
        "trade_ts": trade_ts,
        "px": prevailing + side * depth,
        "side": side,
        "book_ts": book_ts,
        "mid": mid,
    }


@pytest.mark.parametrize(("a", "k", "seed"), [(2.0, 1.5, 1), (0.5, 4.0, 2), (8.0, 0.8, 3)])
def test_recovers_known_a_and_k_within_10pct(a: float, k: float, seed: int) -> None:
    sim = _simulate(a, k, 20_000.0, seed)
    fit = calibrate(
        sim["trade_ts"], sim["px"], sim["side"], sim["book_ts"], sim["mid"], step_px=0.1 / k
    )
    assert fit.a_per_s == pytest.approx(a, rel=0.10)
    assert fit.k_per_px == pytest.approx(k, rel=0.10)
    assert fit.r2 > 0.95
    assert fit.n_trades == sim["trade_ts"].size


def test_depths_by_hand() -> None:
    book_ts = np.array([0, 10, 20], dtype=np.int64)
    mid = np.array([100.0, 101.0, np.nan])
    trade_ts = np.array([5, 10, 15, 25, -1], dtype=np.int64)
    px = np.array([100.5, 100.2, 100.0, 99.0, 99.0])
    side = np.array([1, -1, -1, 1, 1], dtype=np.int8)
    d = trade_depths(trade_ts, px, side, book_ts, mid)
    # ts 10 uses the mid strictly before it (100.0): a sell at 100.2 is above the mid -> 0
    assert d[0] == pytest.approx(0.5)
    assert d[1] == 0.0
    assert d[2] == pytest.approx(1.0)
    assert math.isnan(d[3]) and math.isnan(d[4])  # no mid (one-sided book), none yet


def test_fit_on_exact_exponential_counts() -> None:
    # depths laid out so that counts(>= j*0.5) = 1000*exp(-0.5 j) roughly: a clean line
    depths = -np.log((np.arange(1000) + 0.5) / 1000.0)  # quantiles of Exp(1)
    fit = fit_intensity(depths, duration_s=100.0, step_px=0.25, min_count=30)
    assert fit.k_per_px == pytest.approx(1.0, rel=0.03)
    assert fit.a_per_s == pytest.approx(10.0, rel=0.03)


def test_errors() -> None:
    with pytest.raises(ValueError, match="too few"):
        fit_intensity(np.array([0.1, 0.2]), 10.0, 0.1)
    with pytest.raises(ValueError):
        fit_intensity(np.array([0.1]), 0.0, 0.1)
    with pytest.raises(ValueError, match="no trades"):
        fit_intensity(np.array([np.nan]), 10.0, 0.1)
