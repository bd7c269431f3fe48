"""The backtester: the live quoter core replayed against the venue's matching core in-process.

`load_backtest_config(path)` -> `BacktestConfig`; `Backtest(config, market, out_dir=, seed=,
phases=).run()` -> `BacktestResult`; latency models in `quoter.backtest.latency`;
options market making (chain quotes, vega limit, delta hedge) in `quoter.backtest.options`.
"""

from quoter.backtest.config import BacktestConfig, LatencySpec, load_backtest_config
from quoter.backtest.runner import Backtest, BacktestResult, build_venue

__all__ = [
    "Backtest",
    "BacktestConfig",
    "BacktestResult",
    "LatencySpec",
    "build_venue",
    "load_backtest_config",
]
