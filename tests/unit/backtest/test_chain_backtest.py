"""End-of-day chain backtest on hand-made snapshots: crossing fills, cash, settlement."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from mmsla.research.option_chain import ChainSlice
from quoter.backtest.chain_backtest import ChainBacktestConfig, run_chain_backtest
from quoter.pricing.chain import analyse_expiry
from quoter.pricing.option_quotes import quote_chain
from quoter.pricing.options import bsm_price

STRIKES = np.arange(90.0, 110.01, 2.5)
K = np.concatenate([STRIKES, STRIKES])
CALL = np.array([True] * STRIKES.size + [False] * STRIKES.size)
ATM_CALL = int(np.flatnonzero((K == 100.0) & CALL)[0])


def snapshot(date: str, days_left: int, spot: float = 100.0) -> ChainSlice:
    """A chain priced off a 20% flat vol, quoted 0.05 either side of the price."""
    t = days_left / 365.0
    if t > 0:
        px = np.asarray(bsm_price(spot, K, t, 0.0, 0.2, q=0.0, call=CALL))
    else:
        px = np.where(CALL, np.maximum(spot - K, 0), np.maximum(K - spot, 0))
    bid = np.maximum(np.round(px / 0.05) * 0.05 - 0.05, 0.05)
    return ChainSlice(date, "2018-01-31", t, spot, K.copy(), CALL.copy(), bid, bid + 0.1, None)


def test_a_quote_the_next_snapshot_trades_through_is_filled_at_our_price() -> None:
    day1 = snapshot("2018-01-02", 29)
    day2 = snapshot("2018-01-03", 28)
    day2.bid[ATM_CALL], day2.ask[ATM_CALL] = 0.05, 0.10  # the offer fell through our bid
    day3 = snapshot("2018-01-31", 0, spot=103.0)
    cfg = ChainBacktestConfig(hedge_threshold=None, multiplier=100, qty_contracts=2)
    r = run_chain_backtest([day3, day1, day2], cfg)  # any order: sorted by date
    assert [d.date for d in r.days] == ["2018-01-02", "2018-01-03", "2018-01-31"]
    assert r.settled and r.fills == 2
    assert [(d.bought, d.sold) for d in r.days] == [(0, 0), (2, 0), (0, 0)]
    # our bid on day 1, recomputed independently from the day's smile
    fit = analyse_expiry(day1.strike, day1.is_call, day1.bid, day1.ask, day1.t_y)
    assert fit is not None
    q = quote_chain(fit.smile, K, CALL, Decimal("0.05"), cfg.spec)
    bid = int(q.bid_ticks[ATM_CALL]) * Decimal("0.05")
    assert Decimal("1") < bid < Decimal(str(day1.bid[ATM_CALL]))  # below the market
    # settled at intrinsic 103 - 100 = 3 per unit, 2 contracts x 100
    assert r.pnl == (Decimal(3) - bid) * 2 * 100
    assert r.days[1].contracts_held == 2
    # nothing else crossed: our spread is wider than the vendor's everywhere
    assert r.days[0].quoted > 0 and r.days[-1].quoted == 0


def test_delta_is_hedged_through_the_hedger_at_the_underlying_price() -> None:
    day1 = snapshot("2018-01-02", 29)
    day2 = snapshot("2018-01-03", 28)
    day2.bid[ATM_CALL], day2.ask[ATM_CALL] = 0.05, 0.10
    day3 = snapshot("2018-01-04", 27, spot=101.0)
    cfg = ChainBacktestConfig(hedge_threshold=Decimal(10), qty_contracts=5)
    r = run_chain_backtest([day1, day2, day3], cfg)
    d2 = r.days[1]
    # long 5 ATM calls x 100 (delta ~0.5 each): the hedger sells the underlying down
    # to within the threshold of flat
    assert d2.bought == 5 and d2.hedge_qty < 0
    assert abs(d2.delta) <= 10
    assert d2.underlying_held == d2.hedge_qty
    assert not r.settled  # the expiry snapshot is not in the data


def test_bad_input_is_refused() -> None:
    day1 = snapshot("2018-01-02", 29)
    with pytest.raises(ValueError, match="no chain"):
        run_chain_backtest([])
    other = ChainSlice(
        "2018-01-03", "2018-02-28", 0.1, 100.0, K.copy(), CALL.copy(), day1.bid, day1.ask, None
    )
    with pytest.raises(ValueError, match="one expiry"):
        run_chain_backtest([day1, other])
    with pytest.raises(ValueError, match="share a quote date"):
        run_chain_backtest([day1, snapshot("2018-01-02", 29)])


def test_report_is_json_ready_and_the_table_has_a_row_per_day() -> None:
    import json

    from quoter.backtest.chain_backtest import chain_report, format_chain_report

    day1 = snapshot("2018-01-02", 29)
    day2 = snapshot("2018-01-03", 28)
    day2.bid[ATM_CALL], day2.ask[ATM_CALL] = 0.05, 0.10
    r = run_chain_backtest([day1, day2, snapshot("2018-01-31", 0, spot=103.0)])
    data = json.loads(json.dumps(chain_report(r)))
    assert data["fills"] == 1 and Decimal(data["pnl"]) == r.pnl
    assert [d["date"] for d in data["days"]] == ["2018-01-02", "2018-01-03", "2018-01-31"]
    text = format_chain_report(r).splitlines()
    assert len(text) == 2 + 3 + 1 and text[-1].startswith("fills 1, pnl ")
    assert "settled at intrinsic" in text[-1]
