"""Fair value without our own orders, in the backtest at zero latency (synthetic market).

With no latency the venue's book update for an order we just sent (or moved, or
cancelled) reaches the quoter in the same instant as, and sometimes before, its
acknowledgement. Counting our own orders in the fair value then makes the quoter
replace forever at one instant; leaving them out (resting, in flight, and what
the venue confirmed leaving until the book shows it) keeps the number of orders
per instant bounded.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from quoter.backtest import Backtest
from quoter.backtest.config import BacktestConfig, build_backtest_config
from quoter.orders import OrderManager
from tests.conftest import REPO

CONFIG = REPO / "fixtures" / "backtest" / "synthetic.yaml"
MAX_PER_INSTANT = 100


class Livelock(Exception):
    pass


def _config(fair_value: str, seconds: int) -> BacktestConfig:
    raw = yaml.safe_load(CONFIG.read_text())
    raw["feed_latency"] = {"model": "constant", "us": 0}
    raw["order_latency"] = {"model": "constant", "us": 0}
    raw["quoter"]["pricing"]["fair_value"] = fair_value
    cfg = build_backtest_config(raw, source=str(CONFIG), base_dir=CONFIG.parent)
    assert cfg.synthetic is not None
    return replace(cfg, synthetic=replace(cfg.synthetic, duration_ns=seconds * 1_000_000_000))


def _run(cfg: BacktestConfig, tmp: Path, *, exclude_own: bool) -> tuple[Any, dict[int, int]]:
    bt = Backtest(cfg, None, out_dir=tmp, seed=7)
    eng = bt.quoter
    assert eng.exclude_own  # the default
    eng.exclude_own = exclude_own
    om = eng.orders
    assert isinstance(om, OrderManager)
    send = om._send
    per_instant: dict[int, int] = collections.Counter()

    def counting(msg_type: str, body: Sequence[tuple[int, str]]) -> object:
        now = eng.now()
        per_instant[now] += 1
        if per_instant[now] > MAX_PER_INSTANT:
            raise Livelock(f"{per_instant[now]} orders at {now}")
        return send(msg_type, body)

    om._send = counting
    return bt.run(), per_instant


@pytest.mark.parametrize("fair_value", ["mid", "microprice"])
def test_zero_latency_backtest_is_bounded_without_our_own_orders(
    tmp_path: Path, fair_value: str
) -> None:
    cfg = _config(fair_value, 20)
    result, per_instant = _run(cfg, tmp_path / "own-out", exclude_own=True)
    assert result.fills > 0 and result.quote_rows > 0
    # a handful of orders per instant (both sides, a fill's replacement), never a loop
    assert max(per_instant.values()) <= 10
    assert sum(per_instant.values()) <= 2 * result.market_events
    assert result.messages <= 10 * result.market_events
    # the same market counting our own orders in the fair value: replaces forever
    with pytest.raises(Livelock):
        _run(cfg, tmp_path / "own-in", exclude_own=False)
