from __future__ import annotations

from decimal import Decimal

import pytest

from mmsla.domain.quote import Level
from quoter.pricing.ladder import LadderSpec, LevelSpec, build_ladder


def test_uniform_ladder_layout_and_decimal_levels() -> None:
    spec = LadderSpec.uniform(3, step_ticks=2, qty_lots=10, qty_step_lots=5)
    lad = build_ladder(9_999, 10_001, spec)
    assert lad.bids == ((9_999, 10), (9_997, 15), (9_995, 20))
    assert lad.asks == ((10_001, 10), (10_003, 15), (10_005, 20))
    bids, asks = lad.to_levels(Decimal("0.01"), Decimal("0.001"))
    assert bids[1] == Level(Decimal("99.97"), Decimal("0.015"))
    assert asks[2] == Level(Decimal("100.05"), Decimal("0.020"))


def test_per_side_specs_and_positive_prices() -> None:
    bid_spec = LadderSpec((LevelSpec(0, 1), LevelSpec(5, 2)))
    ask_spec = LadderSpec((LevelSpec(0, 3),))
    lad = build_ladder(3, 4, bid_spec, ask_spec)
    assert lad.bids == ((3, 1),)  # the level at -2 ticks is dropped
    assert lad.asks == ((4, 3),)


def test_invalid_specs() -> None:
    with pytest.raises(ValueError):
        LadderSpec((LevelSpec(0, 1), LevelSpec(0, 1)))
    with pytest.raises(ValueError):
        LevelSpec(0, 0)
    with pytest.raises(ValueError):
        build_ladder(10, 10, LadderSpec.uniform(1, 1, 1))
