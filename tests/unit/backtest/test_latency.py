"""Latency models: constant, seeded lognormal (median and spread), config parsing."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mmsla.errors import ConfigError
from quoter.backtest.config import build_backtest_config
from quoter.backtest.latency import ConstantLatency, LogNormalLatency

QUOTER: dict[str, Any] = {
    "venue": {"host": "h", "port": 1, "sender_comp_id": "MM1"},
    "symbols": [{"symbol": "XYZ", "tick": "1", "lot": "1"}],
    "pricing": {"spread": {"model": "fixed", "spread_ticks": 10}},
    "ladder": {"qty": "1"},
}


def test_constant() -> None:
    m = ConstantLatency(250_000)
    assert [m.draw() for _ in range(3)] == [250_000] * 3
    with pytest.raises(ValueError):
        ConstantLatency(-1)


def test_lognormal_is_seeded_and_has_its_median_and_sigma() -> None:
    a = LogNormalLatency(300_000, 0.5, seed=3)
    b = LogNormalLatency(300_000, 0.5, seed=3)
    xs = [a.draw() for _ in range(20_000)]
    assert xs == [b.draw() for _ in range(20_000)]
    assert xs != [LogNormalLatency(300_000, 0.5, seed=4).draw() for _ in range(20_000)]
    logs = np.log(np.asarray(xs, dtype=np.float64))
    assert abs(float(np.median(xs)) / 300_000 - 1) < 0.03
    assert abs(float(logs.std()) - 0.5) < 0.02
    assert all(x > 0 for x in xs)
    assert math.isclose(LogNormalLatency(1000, 0.0).draw(), 1000)


def test_config_latency_units_and_errors(tmp_path: Path) -> None:
    c = build_backtest_config(
        {
            "quoter": QUOTER,
            "feed_latency": {"model": "constant", "us": 1.5},
            "order_latency": {"model": "lognormal", "median_ns": 2000, "sigma": 0.3},
            "fees": {"maker_bps": -0.25, "taker_bps": "0.5"},
        }
    )
    assert c.feed_latency.ns == 1500 and c.order_latency.ns == 2000
    assert str(c.maker_fee_bps) == "-0.25" and str(c.taker_fee_bps) == "0.5"
    bad: list[tuple[dict[str, Any], str]] = [
        ({"feed_latency": {"model": "gauss", "us": 1}}, "not constant or lognormal"),
        ({"feed_latency": {"us": 1, "ns": 1}}, "exactly one"),
        ({"order_latency": {"model": "lognormal", "median_us": 1}}, "sigma"),
        ({"queue_model": "fifo"}, "queue_model"),
        ({"speed": 1}, "unknown key 'speed'"),
        ({"feed_latency": {"us": 0.0001}}, "whole number"),
    ]
    for extra, msg in bad:
        with pytest.raises(ConfigError, match=msg):
            build_backtest_config({"quoter": QUOTER, **extra})
    with pytest.raises(ConfigError, match="quoter: required"):
        build_backtest_config({})
