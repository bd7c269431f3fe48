from __future__ import annotations

from decimal import Decimal

import pytest

from quoter.pricing.ticks import px_to_ticks, snap_ask, snap_bid, snap_quote, ticks_to_px

T = Decimal("0.01")


def test_float_noise_does_not_move_an_on_grid_price() -> None:
    assert 1.15 / 0.01 < 115  # the trap this guards against
    assert snap_bid(1.15, T) == 115
    assert snap_ask(1.15, T) == 115
    assert snap_bid(4.35, Decimal("0.05")) == 87
    assert snap_bid(0.3, Decimal("0.1")) == 3
    assert snap_ask(0.3, Decimal("0.1")) == 3


def test_bid_rounds_down_ask_rounds_up() -> None:
    assert snap_bid(100.037, T) == 10003
    assert snap_ask(100.031, T) == 10004
    assert snap_bid(-0.005, T) == -1


def test_snap_quote_never_locks_or_crosses() -> None:
    assert snap_quote(99.996, 100.004, T) == (9999, 10001)
    # a zero-width model quote on a tick: re-centred, one tick wide, bid below the centre
    assert snap_quote(100.0, 100.0, T) == (9999, 10000)
    b, a = snap_quote(100.02, 99.98, T)  # crossed model prices
    assert a - b == 1 and b <= 10000 <= a
    b, a = snap_quote(100.0, 100.01, T, min_width_ticks=3)
    assert a - b == 3


def test_exact_decimal_round_trip() -> None:
    assert ticks_to_px(10003, T) == Decimal("100.03")
    assert px_to_ticks(Decimal("100.03"), T) == 10003
    with pytest.raises(ValueError):
        px_to_ticks(Decimal("100.035"), T)
