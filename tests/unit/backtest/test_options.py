"""Options market making: chain quotes off a smile, vega limit as a pre-trade check, delta hedge."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from mmsla.domain import Fill, Side
from quoter.backtest.options import OptionsBookConfig, OptionsMarketMaker
from quoter.hedge import HedgeConfig, Hedger
from quoter.intents import Instrument
from quoter.pricing.option_quotes import ChainQuoteSpec
from quoter.pricing.smile import Smile

STRIKES = np.array([80.0, 90.0, 100.0, 110.0, 120.0] * 2)
CALL = np.array([True] * 5 + [False] * 5)
UND = Instrument("UND", Decimal("0.01"), Decimal(1))
ATM_CALL = 2


def smile(forward: float = 100.0) -> Smile:
    return Smile(0.25, forward, 0.99, np.array([80.0, 100.0, 120.0]), np.array([0.26, 0.2, 0.18]))


def maker(limit: float | None = None, hedger: Hedger | None = None) -> OptionsMarketMaker:
    cfg = OptionsBookConfig(
        ChainQuoteSpec(base_ticks=1, vol_pts=0.5, money_pts=2.0),
        Decimal("0.01"),
        10,
        multiplier=100.0,
        max_abs_vega_per_pt=limit,
    )
    return OptionsMarketMaker(smile(), STRIKES, CALL, cfg, "UND", hedger)


def test_quotes_straddle_theo_and_widen_with_vega() -> None:
    q = maker().quotes()
    tick = 0.01
    assert (q.bid_ticks * tick < q.theo).all() and (q.ask_ticks * tick > q.theo).all()
    assert q.bid_on.all() and q.ask_on.all()
    width = (q.ask_ticks - q.bid_ticks)[:5]
    # the ATM option has the largest vega, hence the widest vol-point spread among
    # options of similar moneyness penalty; both wings are narrower than ATM here
    assert width[ATM_CALL] > width[0] and width[ATM_CALL] > width[4]


def test_vega_limit_withdraws_the_side_that_would_breach() -> None:
    mm = maker(limit=3_000.0)
    vega_atm = float(maker().quotes().vega_per_pt[ATM_CALL])
    per_fill = 10 * 100.0 * vega_atm
    fills = 0
    for _ in range(50):  # customers keep selling us the ATM call whenever we bid
        q = mm.quotes()
        if not q.bid_on[ATM_CALL]:
            break
        mm.on_option_fill(ATM_CALL, Side.BUY, 10)
        fills += 1
        assert abs(mm.greeks().vega_per_pt) <= 3_000.0 + 1e-9
    q = mm.quotes()
    assert not q.bid_on[ATM_CALL] and q.vega_blocked_bid[ATM_CALL]
    assert fills == int(3_000.0 // per_fill)  # as many as fit under the limit
    # selling reduces |vega|: every ask stays quoted; a bid is blocked exactly where one
    # more fill would take |vega| over the limit (the low-vega wings still fit)
    book = mm.greeks().vega_per_pt
    after = book + 10 * 100.0 * q.vega_per_pt
    assert q.ask_on.all()
    assert (q.vega_blocked_bid == (np.abs(after) > 3_000.0)).all()
    assert q.vega_blocked_bid[1:4].all() and not q.vega_blocked_bid[[0, 4]].any()


def test_portfolio_delta_matches_finite_differences() -> None:
    mm = maker()
    mm.on_option_fill(ATM_CALL, Side.BUY, 10)
    mm.on_option_fill(6, Side.SELL, 5)  # short the 90 put
    h = 1e-4

    def value(f: float) -> float:
        s = smile(f)
        p = s.price(STRIKES, CALL)
        return float(np.sum(mm.position * p) * 100.0)

    fd = (value(100.0 + h) - value(100.0 - h)) / (2 * h)
    assert mm.greeks().delta == pytest.approx(fd, rel=1e-6)


def test_delta_is_hedged_on_the_underlying_through_the_hedger() -> None:
    hedger = Hedger(HedgeConfig(UND, Decimal(100), Decimal(10), 1_000_000_000, Decimal(20)))
    mm = maker(hedger=hedger)
    mm.on_option_fill(ATM_CALL, Side.BUY, 10)  # long ~ 10 * 100 * 0.5 delta
    delta = mm.net_delta()
    assert delta > 100
    intent = mm.hedge_intent(10_000, now_ns=0)
    assert intent is not None and intent.side is Side.SELL and intent.instrument == UND
    assert intent.qty_lots == int(delta - 20)  # down to the target, whole units
    assert intent.px_ticks == 9_990  # 10 bps below the reference, rounded up
    mm.on_hedge_fill(
        Fill(
            1,
            "UND",
            Side.SELL,
            Decimal("99.95"),
            Decimal(intent.qty_lots),
            Decimal(0),
            "taker",
            intent.client_id,
        )
    )
    assert hedger.in_flight is None
    assert mm.net_delta() == 20  # the target
    assert mm.hedge_intent(10_000, now_ns=2_000_000_000) is None  # within the threshold


def test_vega_blocks_are_risk_denials_and_reducing_sides_stay_over_the_limit() -> None:
    from quoter.risk import DenyReason, RiskDenied

    mm = maker(limit=500.0)
    for _ in range(3):  # bought past the limit (fills of quotes already on the venue)
        mm.on_option_fill(ATM_CALL, Side.BUY, 10)
    book = mm.greeks().vega_per_pt
    assert book > 500.0
    q = mm.quotes()  # sets every option's vega in the risk engine from the smile
    assert float(mm.risk.book_vega("UND")) == pytest.approx(book, rel=1e-12)
    # every bid adds vega to a book over the limit; every ask (calls and puts) reduces it
    assert q.vega_blocked_bid.all() and not q.bid_on.any()
    assert q.ask_on.all() and not q.vega_blocked_ask.any()
    assert all(isinstance(e, RiskDenied) for e in q.risk_events)
    assert {e.reason for e in q.risk_events if isinstance(e, RiskDenied)} == {DenyReason.MAX_VEGA}
    assert sorted(e.symbol for e in q.risk_events if isinstance(e, RiskDenied)) == sorted(
        i.symbol for i in mm.instruments
    )
    assert mm.instruments[ATM_CALL].symbol == "UND 100C"
    # checked, not sent: nothing stays open in the risk engine, and a second round agrees
    assert mm.risk.open_order_ids == frozenset()
    q2 = mm.quotes()
    assert (q2.bid_on == q.bid_on).all() and (q2.ask_on == q.ask_on).all()


def test_no_vega_limit_checks_nothing() -> None:
    mm = maker()
    mm.on_option_fill(ATM_CALL, Side.BUY, 1000)
    q = mm.quotes()
    assert q.risk_events == () and not q.vega_blocked_bid.any()
