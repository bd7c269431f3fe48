"""FIFO realised PnL, marks, equity curve and input handling."""

from __future__ import annotations

import random
from decimal import Decimal as D

import numpy as np
import pandas as pd
import pytest

from mmsla.analytics import fifo_realised, fills_frame, mids_frame, summarise, unrealised
from mmsla.analytics.marks import MidIndex
from mmsla.analytics.pnl import equity_curve
from mmsla.domain import Fill, Side
from mmsla.errors import InputError

SEC = 1_000_000_000


def test_fifo_per_fill_flip_and_open_lots() -> None:
    f = fills_frame(
        pd.DataFrame(
            {
                "ts": [1, 2, 3, 4],
                "symbol": ["X", "X", "Y", "X"],
                "side": ["sell", "buy", "buy", "buy"],
                "px": ["10", "9", "5", "8"],
                "qty": ["2", "3", "1", "2"],
            }
        )
    )
    res = fifo_realised(f)
    # X: short 2 @ 10; buy 3 @ 9 closes 2: 2 * (10 - 9) = 2, opens long 1 @ 9;
    #    buy 2 @ 8 adds: lots (1 @ 9, 2 @ 8). Y: long 1 @ 5.
    assert res.realised == (D(0), D(2), D(0), D(0))
    assert res.closed_qty == (D(0), D(2), D(0), D(0))
    assert res.position == (D(-2), D(1), D(1), D(3))
    assert res.open_lots["X"] == ((D(1), D(9)), (D(2), D(8)))
    # marked at 10: 1 * (10 - 9) + 2 * (10 - 8) = 5; Y at 4: -1
    assert unrealised(res.open_lots, {"X": D(10), "Y": D(4)}) == {"X": D(5), "Y": D(-1)}


def test_fifo_obeys_the_cash_identity_on_random_fills() -> None:
    # realised + unrealised == cash flow + position * mark, exactly, for any sequence
    rng = random.Random(11)
    rows = []
    for i in range(400):
        rows.append(
            (
                i,
                "X",
                rng.choice(["buy", "sell"]),
                f"{rng.randint(9000, 11000) / 100:.2f}",
                str(rng.randint(1, 9)),
            )
        )
    df = pd.DataFrame(rows, columns=["ts", "symbol", "side", "px", "qty"])
    f = fills_frame(df)
    res = fifo_realised(f)
    cash = sum(
        (-p * q if s > 0 else p * q for s, p, q in zip(f["sign"], f["px"], f["qty"], strict=True)),
        D(0),
    )
    mark = D("100.01")
    total = res.total_realised() + unrealised(res.open_lots, {"X": mark})["X"]
    assert total == cash + res.position[-1] * mark


def test_fills_from_domain_objects_and_mids_from_bid_ask() -> None:
    fills = [
        Fill(1 * SEC, "X", Side.BUY, D("10.0"), D("1"), D("0.01"), "taker"),
        Fill(2 * SEC, "X", Side.SELL, D("10.5"), D("1"), D("-0.02"), "maker"),
    ]
    mids = pd.DataFrame(
        {"ts": [0, 3 * SEC], "symbol": ["X", "X"], "bid_px": [9.9, 10.2], "ask_px": [10.1, 10.4]}
    )
    s = summarise(fills, mids, interval_ns=SEC)
    # realised 0.5, fees 0.01 - 0.02 = -0.01 -> total 0.51
    assert s.realised == D("0.5") and s.total == D("0.51")
    assert s.spread_capture.total == pytest.approx(0.0 + 0.5)  # buy at the mid 10.0; sell 0.5 above
    assert s.interval_pnl == pytest.approx([0.0 - 0.01 + 0.0, 0.52, 0.0])


def test_equity_marks_at_last_fill_price_before_the_first_mid() -> None:
    f = fills_frame(
        pd.DataFrame({"ts": [10], "symbol": ["X"], "side": ["buy"], "px": ["5"], "qty": ["2"]})
    )
    mi = MidIndex(mids_frame(pd.DataFrame({"ts": [20], "symbol": ["X"], "mid": [6.0]})))
    eq = equity_curve(f, mi, np.array([5, 10, 15, 20], dtype=np.int64))
    # before the fill 0; at the fill valued at its own price (0); at 20 marked 6: 2 * 1 = 2
    assert eq.tolist() == [0.0, 0.0, 0.0, 2.0]


def test_window_limits_fills_and_marks() -> None:
    fills = pd.DataFrame(
        {
            "ts": [1 * SEC, 50 * SEC],
            "symbol": ["X", "X"],
            "side": ["buy", "sell"],
            "px": ["10", "12"],
            "qty": ["1", "1"],
        }
    )
    mids = pd.DataFrame(
        {"ts": [0, 10 * SEC, 40 * SEC], "symbol": ["X"] * 3, "mid": [10.0, 11.0, 13.0]}
    )
    s = summarise(fills, mids, start_ns=0, end_ns=20 * SEC, interval_ns=10 * SEC)
    # the sell at 50 s is outside; long 1 @ 10 marked at 11 (the mid at 40 s is after the end)
    assert s.n_fills == 1 and s.realised == 0 and s.unrealised == D(1)
    assert s.interval_pnl == pytest.approx([1.0, 0.0])


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            pd.DataFrame({"ts": [1], "symbol": ["X"], "side": ["buy"], "px": ["1"]}),
            "missing column",
        ),
        (
            pd.DataFrame({"ts": [1], "symbol": ["X"], "side": ["hold"], "px": ["1"], "qty": ["1"]}),
            "side must be buy or sell",
        ),
        (
            pd.DataFrame(
                {"ts": [1], "symbol": ["X"], "side": ["buy"], "px": ["abc"], "qty": ["1"]}
            ),
            "is not a number",
        ),
        (
            pd.DataFrame({"ts": [1], "symbol": ["X"], "side": ["buy"], "px": ["1"], "qty": ["0"]}),
            "qty must be positive",
        ),
    ],
)
def test_bad_fills_are_one_line_input_errors(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(InputError, match=message):
        fills_frame(frame)


def test_mids_need_a_mid_or_both_sides() -> None:
    with pytest.raises(InputError, match="mid column"):
        mids_frame(pd.DataFrame({"ts": [1], "symbol": ["X"], "bid_px": [1.0]}))
