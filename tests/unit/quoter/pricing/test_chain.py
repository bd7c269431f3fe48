from __future__ import annotations

import math

import numpy as np
import pytest

from quoter.pricing.chain import analyse_expiry, compare_ivs, mids, parity_forward
from quoter.pricing.options import bsm_price
from quoter.pricing.smile import Smile

T = 30 / 365
R = 0.02
F = 2710.0
D = math.exp(-R * T)


def _vol(k: np.ndarray) -> np.ndarray:
    return 0.12 - 0.4 * np.log(k / F) + 1.5 * np.log(k / F) ** 2


def _chain() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = np.arange(2400.0, 3001.0, 25.0)
    strikes = np.concatenate([k, k])
    is_call = np.concatenate([np.ones(k.size, bool), np.zeros(k.size, bool)])
    px = bsm_price(F, strikes, T, R, _vol(strikes), q=R, call=is_call)
    return strikes, is_call, px


def test_parity_recovers_forward_and_discount_exactly() -> None:
    strikes, is_call, px = _chain()
    fit = parity_forward(strikes, is_call, px, T)
    assert fit is not None
    assert fit.forward == pytest.approx(F, abs=1e-6)
    assert fit.discount == pytest.approx(D, abs=1e-10)
    assert fit.rate == pytest.approx(R, abs=1e-7)
    assert fit.rms_residual < 1e-8
    assert parity_forward(strikes, is_call, px, 0.0) is None
    assert parity_forward(strikes[:2], is_call[:2], px[:2], T) is None


def test_analyse_expiry_round_trips_the_smile() -> None:
    strikes, is_call, px = _chain()
    tick = 0.05
    bid, ask = px - tick, px + tick
    a = analyse_expiry(strikes, is_call, bid, ask, T, vendor_iv=_vol(strikes))
    assert a is not None
    ok = np.isfinite(a.iv)
    near = np.abs(np.log(strikes / F)) < 0.05
    assert ok[near].all()
    np.testing.assert_allclose(a.iv[near], _vol(strikes[near]), atol=1e-6)
    assert a.vs_vendor is not None and a.vs_vendor.median_abs_diff < 1e-6
    # smile built from the out-of-the-money side, interpolating between strikes
    assert float(a.smile.iv_at(2712.5)) == pytest.approx(
        (_vol(np.array([2700.0]))[0] + _vol(np.array([2725.0]))[0]) / 2, abs=1e-6
    )


def test_mids_reject_missing_and_crossed() -> None:
    m = mids(np.array([1.0, 0.0, 2.0]), np.array([1.2, 0.5, 1.9]))
    assert m[0] == pytest.approx(1.1) and np.isnan(m[1]) and np.isnan(m[2])


def test_compare_ivs() -> None:
    c = compare_ivs(
        np.array([0.1, 0.2, np.nan, 0.5]), np.array([0.11, 0.17, 0.2, 0.0]), np.ones(4, bool)
    )
    assert c is not None and c.n == 2
    assert c.median_abs_diff == pytest.approx(0.02)
    assert c.mean_diff == pytest.approx(0.01)
    assert compare_ivs(np.array([0.1]), np.array([0.1]), np.zeros(1, bool)) is None


def test_smile_interpolation_and_pricing() -> None:
    sm = Smile.from_points(T, F, D, [2800, 2600, 2700, 2700], [0.10, 0.20, 0.12, 0.14])
    assert sm.strikes.tolist() == [2600, 2700, 2800]
    assert sm.ivs.tolist() == pytest.approx([0.20, 0.13, 0.10])
    assert float(sm.iv_at(2650)) == pytest.approx(0.165)
    assert float(sm.iv_at(2000)) == pytest.approx(0.20)  # flat outside
    assert sm.rate == pytest.approx(R)
    want = float(bsm_price(F, 2650, T, R, 0.165, q=R))
    assert float(sm.price(2650)) == pytest.approx(want)
    # Black: call - put = D (F - K)
    assert float(sm.price(2650) - sm.price(2650, call=False)) == pytest.approx(D * (F - 2650))
    with pytest.raises(ValueError):
        Smile(T, F, D, np.array([2.0, 1.0]), np.array([0.1, 0.1]))
