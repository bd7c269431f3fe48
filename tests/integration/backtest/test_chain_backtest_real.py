"""The end-of-day options backtest on the real SPXW chains (../shared/data/options)."""

from __future__ import annotations

from decimal import Decimal

from mmsla.research.option_chain import read_chain
from quoter.backtest.chain_backtest import ChainBacktestConfig, run_chain_backtest
from tests.conftest import shared_path


def test_spxw_january_expiry_quotes_fills_hedges_and_settles() -> None:
    slices = read_chain(shared_path("data", "options", "SPX_2018.csv"))
    jan = [s for s in slices if s.expiry == "2018-01-31"]
    cfg = ChainBacktestConfig(hedge_threshold=Decimal(100), max_abs_vega_per_pt=20_000.0)
    r = run_chain_backtest(jan, cfg)
    assert r.settled and r.days[-1].date == "2018-01-31"
    assert len(r.days) == len(jan) == 21
    assert r.fills > 0 and all(d.quoted > 50 for d in r.days[:-1])
    # the hedger keeps the book's delta within its threshold after every day's fills
    assert all(abs(d.delta) <= 100 for d in r.days[:-1])
    # the underlying held is the running sum of the hedges
    held = Decimal(0)
    for d in r.days:
        held += d.hedge_qty
        assert d.underlying_held == held
    # deterministic
    assert run_chain_backtest(jan, cfg) == r


def test_spxw_vega_limit_withdraws_bids_once_the_book_is_long_vega() -> None:
    feb = [
        s
        for s in read_chain(shared_path("data", "options", "SPX_2018.csv"))
        if s.expiry == "2018-02-28"
    ]
    free = run_chain_backtest(feb, ChainBacktestConfig())
    capped = run_chain_backtest(feb, ChainBacktestConfig(max_abs_vega_per_pt=5_000.0))
    assert not any(d.vega_blocked for d in free.days)
    assert any(d.vega_blocked for d in capped.days)
    # the cap bites: fewer contracts bought than without it, and the long-vega book it
    # allows stays far below the uncapped one
    assert sum(d.bought for d in capped.days) < sum(d.bought for d in free.days)
    assert max(d.vega_per_pt for d in capped.days) < max(d.vega_per_pt for d in free.days)
