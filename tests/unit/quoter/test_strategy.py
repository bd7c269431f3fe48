"""Strategy: fair value, spread models, skew, widen, snapping and the ladder, by hand."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from quoter.config import LadderConfig, PricingConfig
from quoter.intents import Instrument
from quoter.pricing.skew import InventorySkew
from quoter.pricing.spread import AvellanedaStoikov, FixedSpread, Glft
from quoter.pricing.volatility import EwmaConfig
from quoter.strategy import SymbolStrategy, TopOfBook, fair_value, ladder_spec

ABC = Instrument("ABC", Decimal("0.01"), Decimal(1))
LADDER = LadderConfig(qty=Decimal(100))
NS = 1_000_000_000


def test_fair_values_by_hand() -> None:
    top = TopOfBook(9990, 300, 10010, 100)
    assert fair_value("mid", top, 0.01) == pytest.approx(100.00)
    # microprice: (99.90 * 100 + 100.10 * 300) / 400 = 100.05
    assert fair_value("microprice", top, 0.01) == pytest.approx(100.05)
    tops = {"A": (TopOfBook(9990, 1, 10010, 1), 0.01), "B": (TopOfBook(10090, 1, 10110, 1), 0.01)}
    # (1 * 100.00 + 3 * 101.00) / 4 = 100.75
    assert fair_value("weighted", top, 0.01, tops, {"A": 1.0, "B": 3.0}) == pytest.approx(100.75)
    assert fair_value("mid", TopOfBook(None, 0, 10010, 5), 0.01) is None


def test_fixed_spread_snaps_outward_and_builds_the_ladder() -> None:
    pricing = PricingConfig(spread=FixedSpread(spread_ticks=10))
    lad = LadderConfig(qty=Decimal(100), levels=3, step_ticks=2, qty_step=Decimal(50))
    s = SymbolStrategy(ABC, pricing, lad)
    out = s.desired(100.003, 0, 0)
    # 100.003 -/+ 0.05 -> 99.953 down to 99.95, 100.053 up to 100.06
    assert out.bids == ((9995, 100), (9993, 150), (9991, 200))
    assert out.asks == ((10006, 100), (10008, 150), (10010, 200))


def test_inventory_skew_moves_both_sides_against_the_position() -> None:
    pricing = PricingConfig(spread=FixedSpread(spread_ticks=10), skew=InventorySkew(0.01, 3))
    s = SymbolStrategy(ABC, pricing, LADDER)
    flat = s.desired(100.0, 0, 0)
    long = s.desired(100.0, 200, 0)  # -0.01 * 200 = -2 ticks
    short = s.desired(100.0, -1000, 0)  # +10 ticks, capped at 3
    assert (long.bids[0][0], long.asks[0][0]) == (flat.bids[0][0] - 2, flat.asks[0][0] - 2)
    assert (short.bids[0][0], short.asks[0][0]) == (flat.bids[0][0] + 3, flat.asks[0][0] + 3)


def test_widen_multiplies_the_half_spread() -> None:
    s = SymbolStrategy(ABC, PricingConfig(spread=FixedSpread(spread_ticks=10)), LADDER)
    out = s.desired(100.0, 0, 0, widen=2.5)
    # half-spread 0.05 * 2.5 = 0.125: 99.875 down to 99.87, 100.125 up to 100.13
    assert (out.bids[0][0], out.asks[0][0]) == (9987, 10013)


def test_avellaneda_stoikov_spread_identity() -> None:
    # sigma = 2 price units per sqrt(s) (0.02 log vol at a mid of 100), k = 1.5, gamma = 0.1,
    # T = 1 s, halfway (T - t = 0.5): gamma sigma^2 (T - t) + (2/gamma) ln(1 + gamma/k)
    # = 0.2 + 1.2908 = 1.4908 (the published constant term is 1.2908)
    fine = Instrument("X", Decimal("0.0001"), Decimal(1))
    pricing = PricingConfig(
        spread=AvellanedaStoikov(gamma=0.1, k=1.5),
        volatility=EwmaConfig(half_life_s=60.0, initial_sigma_per_s=0.02),
        horizon_s=1.0,
    )
    s = SymbolStrategy(fine, pricing, LADDER)
    s.observe(0, 100.0)
    assert s.vol.sigma_px_per_s == pytest.approx(2.0)
    assert (2 / 0.1) * math.log(1 + 0.1 / 1.5) == pytest.approx(1.2908, abs=1e-4)
    out = s.desired(100.0, 0, NS // 2)
    width = (out.asks[0][0] - out.bids[0][0]) * 0.0001
    assert 1.4908 - 1e-4 <= width <= 1.4908 + 2e-4
    # long inventory lowers the reservation price by q gamma sigma^2 (T - t) = 1 * 0.1 * 4 * 0.5
    long = s.desired(100.0, 1, NS // 2)
    centre = (long.asks[0][0] + long.bids[0][0]) / 2 * 0.0001
    assert centre == pytest.approx(100.0 - 0.2, abs=2e-4)


def test_glft_centre_skews_with_inventory() -> None:
    pricing = PricingConfig(
        spread=Glft(gamma=0.1, a=1.0, k=1.5),
        volatility=EwmaConfig(half_life_s=60.0, initial_sigma_per_s=0.02),
    )
    s = SymbolStrategy(ABC, pricing, LADDER)
    s.observe(0, 100.0)
    flat = s.desired(100.0, 0, 0)
    long = s.desired(100.0, 3, 0)
    assert long.bids[0][0] < flat.bids[0][0] and long.asks[0][0] < flat.asks[0][0]


def test_ladder_spec_in_lots() -> None:
    inst = Instrument("L", Decimal("0.5"), Decimal(10))
    spec = ladder_spec(
        LadderConfig(Decimal(100), levels=3, step_ticks=2, qty_step=Decimal(50)), inst
    )
    assert [(lv.offset_ticks, lv.qty_lots) for lv in spec.levels] == [(0, 10), (2, 15), (4, 20)]
