"""Performance analytics on a hand-made session, every figure computed by hand in the comments.

Session (one symbol ABC, times in seconds):

    mids:  t=0 100.00 | t=5 100.10 | t=12 99.90 | t=30 100.20 | t=70 100.00 | t=120 100.40
    fills: F1 t=1  buy  10 @  99.95  fee -0.010 maker
           F2 t=6  buy   5 @ 100.05  fee -0.005 maker
           F3 t=13 sell 12 @  99.95  fee  0.030 taker
           F4 t=31 sell  8 @ 100.25  fee -0.008 maker

Position after each fill: 10, 15, 3, -5.
"""

from __future__ import annotations

import math
import statistics
from decimal import Decimal as D

import pandas as pd
import pytest

from mmsla.analytics import summarise
from mmsla.analytics.ratios import periods_per_year

SEC = 1_000_000_000

MIDS = pd.DataFrame(
    {
        "ts": [t * SEC for t in (0, 5, 12, 30, 70, 120)],
        "symbol": ["ABC"] * 6,
        "mid": [100.00, 100.10, 99.90, 100.20, 100.00, 100.40],
    }
)
FILLS = pd.DataFrame(
    {
        "ts": [1 * SEC, 6 * SEC, 13 * SEC, 31 * SEC],
        "symbol": ["ABC"] * 4,
        "side": ["buy", "buy", "sell", "sell"],
        "px": ["99.95", "100.05", "99.95", "100.25"],
        "qty": ["10", "5", "12", "8"],
        "fee": ["-0.010", "-0.005", "0.030", "-0.008"],
        "liquidity": ["maker", "maker", "taker", "maker"],
    }
)


@pytest.fixture(scope="module")
def summary():  # type: ignore[no-untyped-def]
    return summarise(FILLS, MIDS, interval_ns=30 * SEC, horizons_s=(1, 10, 60, 100))


def test_exact_money(summary) -> None:  # type: ignore[no-untyped-def]
    # FIFO: F3 closes 10 of F1 at 0 and 2 of F2: 2 * (99.95 - 100.05) = -0.20;
    #       F4 closes 3 of F2: 3 * (100.25 - 100.05) = +0.60, opens short 5 @ 100.25.
    assert summary.realised == D("0.40")
    # short 5 @ 100.25 marked at the last mid 100.40: -5 * 0.15 = -0.75
    assert summary.unrealised == D("-0.75")
    # fees 0.030 paid; rebates 0.010 + 0.005 + 0.008 = 0.023; net 0.007
    assert (summary.fees.fees_paid, summary.fees.rebates, summary.fees.net) == (
        D("0.030"),
        D("0.023"),
        D("0.007"),
    )
    assert summary.fees.maker_net == D("-0.023") and summary.fees.taker_net == D("0.030")
    # total 0.40 - 0.75 - 0.007 = -0.357; cross-check by cash flow:
    # cash = -999.50 - 500.25 + 1199.40 + 802.00 = 501.65; 501.65 - 5 * 100.40 - 0.007 = -0.357
    assert summary.total == D("-0.357")
    assert summary.notional_traded == D("3501.15")
    (abc,) = summary.by_symbol
    assert (abc.position, abc.mark, abc.total) == (D(-5), D("100.4"), D("-0.357"))
    assert summary.n_fills == 4


def test_spread_capture_and_markouts(summary) -> None:  # type: ignore[no-untyped-def]
    # capture vs the mid strictly before each fill: every fill is 0.05 inside the mid
    # (100.00-99.95, 100.10-100.05, 99.95-99.90, 100.25-100.20): total 0.05 * 35 = 1.75
    sc = summary.spread_capture
    assert sc.n == 4 and sc.total == pytest.approx(1.75) and sc.per_unit == pytest.approx(0.05)
    bps = (10 * 0.05 / 99.95 + 5 * 0.05 / 100.05 + 12 * 0.05 / 99.95 + 8 * 0.05 / 100.25) * 1e4
    assert sc.bps == pytest.approx(bps / 35)
    m1, m10, m60, m100 = summary.markouts
    # 1 s: no mid moves within a second of any fill: same as the capture
    assert m1.horizon_s == 1 and m1.total == pytest.approx(1.75)
    # 10 s: F1 at 11 s sees 100.10: +0.15*10; F2 at 16 s sees 99.90: -0.15*5;
    #       F3 at 23 s 99.90: +0.05*12; F4 at 41 s 100.20: +0.05*8 -> 1.5-0.75+0.6+0.4 = 1.75
    assert m10.total == pytest.approx(1.75)
    # 60 s: F1@61 100.20: +2.5; F2@66 100.20: +0.75; F3@73 100.00: -0.6; F4@91 100.00: +2.0
    assert m60.n == 4 and m60.total == pytest.approx(4.65)
    assert m60.per_unit == pytest.approx(4.65 / 35)
    # 100 s: F4 at 131 s lies past the end of the mids (120 s): left out
    # F1@101, F2@106, F3@113 all see 100.00: +0.5, -0.25, -0.6
    assert m100.n == 3 and m100.total == pytest.approx(0.5 - 0.25 - 0.6)
    assert m100.per_unit == pytest.approx(-0.35 / 27)


def test_interval_returns_sharpe_sortino(summary) -> None:  # type: ignore[no-untyped-def]
    # equity = cash + q * mid - fees on the 30 s grid 0, 30, 60, 90, 120:
    #   0 | -300.35 + 3*100.20 - 0.015 = 0.235 | 501.65 - 5*100.20 - 0.007 = 0.643
    #   | 501.65 - 500.00 - 0.007 = 1.643 | 501.65 - 502.00 - 0.007 = -0.357
    r = [0.235, 0.408, 1.0, -2.0]
    assert summary.interval_pnl == pytest.approx(r)
    ppy = 365 * 86400 / 30
    assert summary.periods_per_year == pytest.approx(ppy) == periods_per_year(30 * SEC)
    assert summary.sharpe == pytest.approx(
        statistics.mean(r) / statistics.stdev(r) * math.sqrt(ppy)
    )
    # downside deviation: sqrt((0 + 0 + 0 + 4) / 4) = 1
    assert summary.sortino == pytest.approx(-0.357 / 4 * math.sqrt(ppy))


def test_max_drawdown_uses_every_event(summary) -> None:  # type: ignore[no-untyped-def]
    # equity after each event: t=1 0.51, t=5 1.51, t=6 1.765 (peak), t=12 -1.235 (trough),
    # t=13 -0.665, t=30 0.235, t=31 0.643, t=70 1.643, t=120 -0.357 -> drawdown 3.0
    dd = summary.max_drawdown
    assert dd.amount == pytest.approx(3.0)
    assert (dd.peak_ns, dd.trough_ns) == (6 * SEC, 12 * SEC)


def test_win_rate_and_profit_factor(summary) -> None:  # type: ignore[no-untyped-def]
    # closing fills: F3 -0.20, F4 +0.60 -> 1 win of 2; profit factor 0.60 / 0.20 = 3
    assert summary.win_rate_closes == pytest.approx(0.5)
    assert summary.profit_factor_closes == pytest.approx(3.0)
    # intervals 0.235, 0.408, 1.0, -2.0 -> 3 of 4; 1.643 / 2.0
    assert summary.win_rate_intervals == pytest.approx(0.75)
    assert summary.profit_factor_intervals == pytest.approx(0.8215)


def test_inventory_stats(summary) -> None:  # type: ignore[no-untyped-def]
    # q = 0 on [0,1), 10 on [1,6), 15 on [6,13), 3 on [13,31), -5 on [31,120)
    # integral q = 50 + 105 + 54 - 445 = -236; |q| = 654; window 120 s
    (inv,) = summary.inventory
    assert inv.tw_mean_qty == pytest.approx(-236 / 120)
    assert inv.tw_mean_abs_qty == pytest.approx(654 / 120)
    assert inv.max_abs_qty == 15.0 and inv.final_qty == D(-5)


def test_to_dict_is_json_ready_with_decimal_strings(summary) -> None:  # type: ignore[no-untyped-def]
    import json

    d = json.loads(json.dumps(summary.to_dict()))
    assert d["total"] == "-0.357" and d["fees"]["rebates"] == "0.023"
    assert d["by_symbol"][0]["mark"] == "100.4"
    assert d["max_drawdown"]["amount"] == pytest.approx(3.0)
    assert [m["horizon_s"] for m in d["markouts"]] == [1, 10, 60, 100]


def test_a_session_without_fills() -> None:
    s = summarise([], MIDS, interval_ns=60 * SEC)
    assert s.n_fills == 0 and s.total == 0 and s.sharpe is None
    assert s.interval_pnl == (0.0, 0.0) and s.inventory == ()
    assert s.spread_capture.n == 0 and s.spread_capture.per_unit is None


def test_markouts_split_by_liquidity() -> None:
    from mmsla.analytics import fills_frame, markouts_by, mids_frame
    from mmsla.analytics.marks import MidIndex

    by = markouts_by(fills_frame(FILLS), MidIndex(mids_frame(MIDS)), "liquidity", (60,))
    assert set(by) == {"maker", "taker"}
    # taker: F3 only: capture 0.05 * 12 = 0.6; 60 s: -0.05 * 12 = -0.6
    cap, m60 = by["taker"]
    assert cap.total == pytest.approx(0.6) and m60.total == pytest.approx(-0.6)
    # maker: F1, F2, F4: capture 0.5 + 0.25 + 0.4; 60 s: 2.5 + 0.75 + 2.0
    cap, m60 = by["maker"]
    assert cap.total == pytest.approx(1.15) and m60.total == pytest.approx(5.25)
    assert m60.n == 3 and m60.per_unit == pytest.approx(5.25 / 23)
