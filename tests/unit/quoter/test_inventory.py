"""Positions and PnL: FIFO vs average cost, fees, marks, net delta."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from mmsla.domain import Fill, Side
from quoter.inventory import CostMethod, Inventory


def f(side: Side, px: str, qty: str, fee: str = "0", sym: str = "ABC", ts: int = 0) -> Fill:
    return Fill(ts, sym, side, D(px), D(qty), D(fee))


B, S = Side.BUY, Side.SELL


def test_fifo_and_average_cost_differ_on_partial_close() -> None:
    inv = Inventory()
    inv.apply(f(B, "10", "1"))
    inv.apply(f(B, "12", "1"))
    snap = inv.apply(f(S, "13", "1"))
    # FIFO closes the oldest lot: 13 - 10 = 3; open lot 1 @ 12.
    assert snap.realised_fifo == D(3)
    assert snap.fifo_cost == D(12)
    # Average cost: basis (10 + 12) / 2 = 11; realised 13 - 11 = 2; open 1 @ 11.
    assert snap.realised_avg == D(2)
    assert snap.avg_px == D(11)
    assert snap.qty == D(1)
    # Marked at 14: FIFO unrealised 14 - 12 = 2, average 14 - 11 = 3; totals agree (5).
    marks = {"ABC": D(14)}
    assert inv.unrealised(marks) == D(2)
    assert inv.unrealised(marks, method=CostMethod.AVERAGE) == D(3)
    assert inv.total_pnl(marks) == inv.total_pnl(marks, method=CostMethod.AVERAGE) == D(5)


def test_short_side_and_flip_through_zero() -> None:
    inv = Inventory()
    inv.apply(f(S, "100", "2"))  # short 2 @ 100
    inv.apply(f(B, "98", "1"))  # closes 1: (100 - 98) * 1 = 2
    snap = inv.apply(f(B, "97", "3"))  # closes 1: (100 - 97) = 3; opens long 2 @ 97
    assert snap.qty == D(2)
    assert snap.realised_fifo == D(5)
    assert snap.realised_avg == D(5)  # one open lot at a time: both conventions agree
    assert snap.avg_px == D(97)
    assert snap.fifo_cost == D(194)
    assert snap.bought == D(4) and snap.sold == D(2)


def test_average_cost_with_a_non_terminating_basis_stays_consistent() -> None:
    inv = Inventory()
    for px in ("10", "10", "11"):  # basis 31 / 3 = 10.333...
        inv.apply(f(B, px, "1"))
    inv.apply(f(S, "12", "1"))  # releases 31/3
    snap = inv.apply(f(S, "12", "2"))  # releases the rest: exactly 31 - 31/3
    # Whatever the rounding of 31/3, the two releases add up to 31: realised = 36 - 31 = 5.
    assert snap.qty == 0 and snap.avg_px is None
    assert snap.realised_avg == D(5)
    assert snap.realised_fifo == D(5)  # (12-10) + (12-10) + (12-11)


def test_fees_and_rebates() -> None:
    inv = Inventory()
    inv.apply(f(B, "10", "1", fee="0.02"))  # taker fee paid
    inv.apply(f(S, "11", "1", fee="-0.005"))  # maker rebate
    s = inv.snapshot("ABC")
    assert (s.fees_paid, s.rebates, s.net_fees) == (D("0.02"), D("0.005"), D("0.015"))
    # total = realised 1 - net fees 0.015
    assert inv.total_pnl({}) == D("0.985")


def test_totals_across_symbols_and_net_delta_with_weights() -> None:
    inv = Inventory(delta_weights={"OPT": D("0.5")})
    inv.apply(f(B, "100", "3", sym="ABC"))
    inv.apply(f(S, "2", "4", sym="OPT"))
    # net delta = 3 * 1 + (-4) * 0.5 = 1
    assert inv.net_delta() == D(1)
    inv.set_delta_weight("OPT", D("0.25"))
    assert inv.net_delta() == D(2)
    marks = {"ABC": D("101"), "OPT": D("1.5")}
    # ABC: 3 * (101 - 100) = 3; OPT short 4: 4 * (2 - 1.5) = 2
    assert inv.unrealised(marks) == D(5)
    assert inv.unrealised(marks, symbol="OPT") == D(2)
    assert inv.position("NONE") == 0
    with pytest.raises(KeyError):
        inv.unrealised({"ABC": D(1)})


def test_fifo_matches_independent_cash_flow_identity_on_a_long_sequence() -> None:
    # realised + unrealised - fees must equal cash flow + position * mark, for any sequence
    import random

    rng = random.Random(7)
    inv = Inventory()
    cash = D(0)
    for _ in range(500):
        side = B if rng.random() < 0.5 else S
        px = D(rng.randint(9000, 11000)) / 100
        qty = D(rng.randint(1, 50))
        inv.apply(f(side, str(px), str(qty)))
        cash += -px * qty if side is B else px * qty
    mark = D("100.37")
    expect = cash + inv.position("ABC") * mark
    for m in CostMethod:
        assert inv.total_pnl({"ABC": mark}, method=m) == expect


def test_rejects_non_positive_fill_qty() -> None:
    with pytest.raises(ValueError, match="positive"):
        Inventory().apply(f(B, "1", "0"))


def test_day_pnl_counts_carried_positions_from_the_day_start_mark() -> None:
    inv = Inventory()
    inv.apply(f(B, "100", "2", fee="0.1"))  # day 1: long 2 @ 100
    assert inv.day_pnl({"ABC": D(101)}) == D("1.9")  # 2 * 1 - 0.1, no baseline yet
    # day 2 starts with the mark at 103: baseline = 2 * 3 - 0.1 = 5.9
    assert inv.mark_day_start({"ABC": D(103)}) == D("5.9")
    inv.apply(f(S, "102", "2"))  # sold 1 below the day-start mark: day PnL = 2 * (102 - 103)
    assert inv.day_pnl({}) == D(-2)
