from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from quoter.pricing.option_quotes import ChainQuoteSpec, quote_chain
from quoter.pricing.options import bsm_greeks, bsm_price
from quoter.pricing.portfolio import aggregate, vega_after, within_vega_limit
from quoter.pricing.smile import Smile

T = 0.25
F = 100.0
R = 0.02
D = math.exp(-R * T)
TICK = Decimal("0.05")


def _flat_smile(vol: float = 0.2) -> Smile:
    return Smile(T, F, D, np.array([50.0, 150.0]), np.array([vol, vol]))


def test_quotes_bracket_theo_by_vega_scaled_half_spread() -> None:
    k = np.array([90.0, 100.0, 110.0, 100.0])
    call = np.array([False, True, True, False])
    spec = ChainQuoteSpec(base_ticks=1, vol_pts=0.5)
    q = quote_chain(_flat_smile(), k, call, TICK, spec)
    theo = bsm_price(F, k, T, R, 0.2, q=R, call=call)
    vega = bsm_greeks(F, k, T, R, 0.2, q=R, call=call).vega_per_pt
    np.testing.assert_allclose(q.theo, theo)
    np.testing.assert_allclose(q.vega_per_pt, vega)
    half = 0.05 + 0.5 * vega
    bid_px = q.bid_ticks * 0.05
    ask_px = q.ask_ticks * 0.05
    assert (bid_px <= theo - half + 1e-12).all() and (bid_px > theo - half - 0.05).all()
    assert (ask_px >= theo + half - 1e-12).all() and (ask_px < theo + half + 0.05).all()
    # the at-the-money options have the most vega, hence the widest quotes
    width = q.ask_ticks - q.bid_ticks
    assert width[1] > width[2] and width[1] > width[0]


def test_moneyness_widens_and_skew_moves_against_position() -> None:
    k = np.array([100.0, 120.0])
    call = np.array([True, True])
    plain = quote_chain(_flat_smile(), k, call, TICK, ChainQuoteSpec(base_ticks=1, vol_pts=0.5))
    money = quote_chain(
        _flat_smile(), k, call, TICK, ChainQuoteSpec(base_ticks=1, vol_pts=0.5, money_pts=10)
    )
    assert money.ask_ticks[1] - money.bid_ticks[1] > plain.ask_ticks[1] - plain.bid_ticks[1]
    assert money.ask_ticks[0] - money.bid_ticks[0] <= plain.ask_ticks[0] - plain.bid_ticks[0] + 1
    spec = ChainQuoteSpec(base_ticks=1, vol_pts=0.5, skew_pts_per_lot=0.1)
    long = quote_chain(_flat_smile(), k, call, TICK, spec, position_lots=np.array([10.0, 0.0]))
    assert long.bid_ticks[0] < plain.bid_ticks[0] and long.ask_ticks[0] < plain.ask_ticks[0]
    assert long.bid_ticks[1] == plain.bid_ticks[1]


def test_worthless_option_has_no_bid_and_quotes_never_cross() -> None:
    q = quote_chain(
        _flat_smile(), np.array([200.0]), np.array([True]), TICK, ChainQuoteSpec(1, 0.5)
    )
    assert not q.has_bid[0] and q.bid_ticks[0] == 0
    assert q.ask_ticks[0] >= 1
    tiny = quote_chain(
        _flat_smile(), np.array([100.0]), np.array([True]), TICK, ChainQuoteSpec(0, 0)
    )
    assert tiny.ask_ticks[0] > tiny.bid_ticks[0]


def test_portfolio_greeks_and_delta_hedge() -> None:
    k = np.array([95.0, 105.0])
    call = np.array([True, False])
    g = bsm_greeks(100.0, k, T, R, 0.25, call=call)
    pos = np.array([3.0, -2.0])
    book = aggregate(g, pos, multiplier=100.0)
    assert book.delta == pytest.approx(100 * (3 * g.delta[0] - 2 * g.delta[1]))
    assert book.vega_per_pt == pytest.approx(100 * (3 * g.vega_per_pt[0] - 2 * g.vega_per_pt[1]))
    assert book.theta_per_day == pytest.approx(
        100 * (3 * g.theta_per_day[0] - 2 * g.theta_per_day[1])
    )
    hedged = aggregate(g, pos, multiplier=100.0, underlying_qty=-book.delta)
    assert hedged.delta == pytest.approx(0.0, abs=1e-9)
    assert hedged.gamma == book.gamma
    assert (book + hedged).vega_per_pt == pytest.approx(2 * book.vega_per_pt)
    # an expired option with no position does not poison the totals
    g2 = bsm_greeks(100.0, np.array([95.0, 95.0]), np.array([T, 0.0]), R, 0.25)
    assert math.isfinite(aggregate(g2, np.array([1.0, 0.0])).delta)
    assert math.isnan(aggregate(g2, np.array([1.0, 1.0])).delta)


def test_vega_limit() -> None:
    g = bsm_greeks(100.0, np.array([100.0]), T, R, 0.25)
    book = aggregate(g, np.array([10.0]), multiplier=100.0)  # long vega
    v = float(g.vega_per_pt[0])
    assert vega_after(book, v, 5, 100.0) == pytest.approx(book.vega_per_pt + 500 * v)
    assert within_vega_limit(book, v, 1, 12 * 100 * v, 100.0)
    assert not within_vega_limit(book, v, 5, 12 * 100 * v, 100.0)
    assert within_vega_limit(book, v, -3, 1.0, 100.0)  # reduces |vega| even above the limit
