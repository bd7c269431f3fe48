from __future__ import annotations

import math

import numpy as np
import pytest

from quoter.pricing.skew import InventorySkew
from quoter.pricing.spread import (
    AvellanedaStoikov,
    FixedSpread,
    Glft,
    QuoteInputs,
    SpreadModel,
    SpreadTarget,
    VolScaledSpread,
    as_total_spread,
)


def _inputs(**kw: float | None) -> QuoteInputs:
    base: dict[str, float | None] = dict(
        fair_px=100.0, sigma_px_per_s=2.0, inventory=0.0, tick=0.01, time_left_s=1.0
    )
    base.update(kw)
    return QuoteInputs(**base)  # type: ignore[arg-type]


def test_as_constant_term_identity_from_the_paper() -> None:
    # sigma=2, k=1.5: (2/gamma) ln(1+gamma/k) = 1.2908 at gamma 0.1 (A-S 2008 section 4)
    assert (2 / 0.1) * math.log(1 + 0.1 / 1.5) == pytest.approx(1.2908, abs=5e-5)
    assert as_total_spread(0.1, 2.0, 0.0, 1.5) == pytest.approx(1.2908, abs=5e-5)


def test_as_time_average_spread_is_1_4908() -> None:
    # average of gamma*sigma^2*(T-t) + const over t in [0,1] = 0.1*4*0.5 + 1.2908
    t = np.linspace(0.0, 1.0, 100_001)
    spreads = np.array([as_total_spread(0.1, 2.0, 1.0 - x, 1.5) for x in t[::100]])
    assert float(np.trapezoid(spreads, t[::100])) == pytest.approx(1.4908, abs=5e-5)


def test_as_reservation_and_quotes() -> None:
    model: SpreadModel = AvellanedaStoikov(gamma=0.1, k=1.5)
    tgt = model.target(_inputs(inventory=2.0, time_left_s=0.5))
    assert tgt.reservation_px == pytest.approx(100 - 2 * 0.1 * 4 * 0.5)  # 99.6
    total = 0.1 * 4 * 0.5 + 20 * math.log(1 + 0.1 / 1.5)
    assert tgt.spread == pytest.approx(total)
    assert tgt.bid_px == pytest.approx(99.6 - total / 2)
    assert tgt.ask_px == pytest.approx(99.6 + total / 2)
    with pytest.raises(ValueError):
        model.target(_inputs(time_left_s=None))


def test_glft_matches_the_paper_form() -> None:
    # GLFT 2013: delta_b(q) = (1/g)ln(1+g/k) + (2q+1)/2 sqrt(s^2 g/(2kA) (1+g/k)^(1+k/g))
    g, a, k, s = 0.1, 140.0, 1.5, 2.0
    model = Glft(gamma=g, a=a, k=k)
    root = math.sqrt(s * s * g / (2 * k * a) * (1 + g / k) ** (1 + k / g))
    for q in (0.0, 3.0, -2.0):
        tgt = model.target(_inputs(inventory=q))
        bid_depth = 100.0 - tgt.bid_px
        ask_depth = tgt.ask_px - 100.0
        assert bid_depth == pytest.approx(math.log(1 + g / k) / g + (2 * q + 1) / 2 * root)
        assert ask_depth == pytest.approx(math.log(1 + g / k) / g + (1 - 2 * q) / 2 * root)
    # long inventory lowers both sides
    assert model.target(_inputs(inventory=3.0)).ask_px < model.target(_inputs()).ask_px


def test_fixed_and_vol_scaled() -> None:
    assert FixedSpread(spread_bps=10).target(_inputs()).half_spread == pytest.approx(0.05)
    assert FixedSpread(spread_ticks=4).target(_inputs()).half_spread == pytest.approx(0.02)
    with pytest.raises(ValueError):
        FixedSpread()
    with pytest.raises(ValueError):
        FixedSpread(spread_bps=1, spread_ticks=1)
    vs = VolScaledSpread(base_ticks=2, vol_mult=0.5)
    assert vs.target(_inputs(sigma_px_per_s=0.1)).spread == pytest.approx(0.02 + 0.05)
    capped = VolScaledSpread(base_ticks=2, vol_mult=0.5, max_ticks=5)
    assert capped.target(_inputs(sigma_px_per_s=0.1)).spread == pytest.approx(0.05)


def test_inventory_skew_by_price() -> None:
    skew = InventorySkew(ticks_per_lot=0.5, max_ticks=3)
    base = SpreadTarget(100.0, 0.05)
    long = skew.apply(base, inventory=4.0, tick=0.01)
    assert long.reservation_px == pytest.approx(99.98)
    assert long.half_spread == 0.05
    assert skew.apply(base, inventory=-100.0, tick=0.01).reservation_px == pytest.approx(100.03)
