"""Hedge policy on scripted sequences: threshold, target band, slippage limit, cool-down."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from mmsla.domain import Fill, Side
from quoter.hedge import HedgeConfig, Hedger
from quoter.intents import Instrument, Purpose, TimeInForce
from quoter.inventory import Inventory

PERP = Instrument("ABC-PERP", D("0.01"), D("1"))
SEC = 1_000_000_000
B, S = Side.BUY, Side.SELL


def fill(
    sym: str, side: Side, qty: str, px: str = "100", ts: int = 0, oid: str | None = None
) -> Fill:
    return Fill(ts, sym, side, D(px), D(qty), order_id=oid)


def test_scripted_sequence_threshold_band_cooldown_and_inventory() -> None:
    inv = Inventory()
    h = Hedger(
        HedgeConfig(PERP, threshold=D(5), target=D(1), slippage_bps=D(10), cooldown_ns=2 * SEC)
    )
    ref = 10000  # 100.00
    inv.apply(fill("ABC", B, "5"))
    assert h.evaluate(inv.net_delta(), ref, 0) is None  # |5| is not > 5
    inv.apply(fill("ABC", B, "2"))
    o = h.evaluate(inv.net_delta(), ref, 0)  # delta 7 -> sell 7 - 1 = 6
    assert o is not None
    assert (o.symbol, o.side, o.qty_lots, o.tif, o.purpose) == (
        "ABC-PERP",
        S,
        6,
        TimeInForce.IOC,
        Purpose.HEDGE,
    )
    assert o.px == D("99.90")  # 100.00 * (1 - 10 bps) = 99.90
    assert h.evaluate(D(50), ref, 10 * SEC) is None  # one hedge in flight at a time
    # the IOC fills 4 and the rest is cancelled
    h.on_fill(fill("ABC-PERP", S, "4", "99.95", oid=o.client_id), inv)
    assert h.in_flight == o.client_id
    h.on_order_closed(o.client_id)
    assert h.in_flight is None
    assert inv.net_delta() == D(3)  # 7 - 4
    assert inv.position("ABC-PERP") == D(-4)
    inv.apply(fill("ABC", B, "5"))  # delta 8 at t = 1.5 s: still cooling down (sent at 0)
    assert h.evaluate(inv.net_delta(), ref, 3 * SEC // 2) is None
    assert h.evaluate(inv.net_delta(), ref, 2 * SEC - 1) is None
    o2 = h.evaluate(inv.net_delta(), ref, 2 * SEC)  # cool-down over: sell 8 - 1 = 7
    assert o2 is not None and o2.qty_lots == 7 and o2.client_id != o.client_id
    h.on_fill(fill("ABC-PERP", S, "7", "99.99", oid=o2.client_id), inv)
    assert h.in_flight is None  # fully filled
    assert inv.net_delta() == D(1)  # within the band


def test_short_delta_buys_and_limit_rounds_towards_the_reference() -> None:
    h = Hedger(HedgeConfig(PERP, threshold=D(2), slippage_bps=D(7), cooldown_ns=0))
    # buy: 100.03 * 1.0007 = 100.100021 -> floor to 100.10
    o = h.evaluate(D(-3), 10003, 0)
    assert o is not None and o.side is B and o.qty_lots == 3 and o.px == D("100.10")
    h.on_order_closed(o.client_id)
    # sell: 100.03 * 0.9993 = 99.959979 -> ceil to 99.96
    o = h.evaluate(D(3), 10003, 0)
    assert o is not None and o.side is S and o.px == D("99.96")


def test_lot_rounding_weight_and_cap() -> None:
    fut = Instrument("FUT", D("0.5"), D("0.1"), delta_weight=D(2))  # 2 delta per unit
    h = Hedger(HedgeConfig(fut, threshold=D(1), slippage_bps=D(0), cooldown_ns=0))
    # excess 2.5 / weight 2 = 1.25 units -> 12 lots of 0.1 (1.2), never past the target
    o = h.evaluate(D("2.5"), 200, 0)
    assert o is not None and o.qty == D("1.2") and o.side is S and o.px_ticks == 200
    h.on_order_closed(o.client_id)
    capped = Hedger(
        HedgeConfig(fut, threshold=D(1), slippage_bps=D(0), cooldown_ns=0, max_qty=D("0.5"))
    )
    o = capped.evaluate(D(100), 200, 0)
    assert o is not None and o.qty == D("0.5")
    o = h.evaluate(D("1.1"), 200, 0)  # target 0: 1.1 / 2 = 0.55 units -> 5 lots (0.5)
    assert o is not None and o.qty_lots == 5
    # less than one lot of excess: nothing to send
    h2 = Hedger(HedgeConfig(fut, threshold=D(1), target=D(1), slippage_bps=D(0), cooldown_ns=0))
    assert h2.evaluate(D("1.15"), 200, 0) is None  # (1.15 - 1) / 2 = 0.075 < 1 lot


def test_negative_weight_hedge_instrument_flips_the_side() -> None:
    put = Instrument("PUT", D("0.01"), D(1), delta_weight=D("-0.5"))
    h = Hedger(HedgeConfig(put, threshold=D(1), slippage_bps=D(0), cooldown_ns=0))
    o = h.evaluate(D(2), 100, 0)  # long delta 2: buy 4 puts of delta -0.5
    assert o is not None and o.side is B and o.qty_lots == 4


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="target"):
        HedgeConfig(PERP, threshold=D(1), target=D(2), slippage_bps=D(1), cooldown_ns=0)
    with pytest.raises(ValueError, match="non-zero"):
        HedgeConfig(
            Instrument("Z", D(1), D(1), D(0)), threshold=D(1), slippage_bps=D(1), cooldown_ns=0
        )


def test_hedge_through_risk_and_inventory_then_loss_limit_halts() -> None:
    from quoter.risk import APPROVED, Denied, DenyReason, RiskConfig, RiskEngine, SymbolLimits

    abc = Instrument("ABC", D("0.01"), D("1"))
    risk = RiskEngine(
        RiskConfig(
            instruments=(abc, PERP),
            per_symbol={"ABC-PERP": SymbolLimits(max_order_qty=D(5), price_collar_bps=D(50))},
            max_daily_loss=D(20),
        )
    )
    risk.set_reference("ABC-PERP", 10000)
    inv = Inventory()
    h = Hedger(HedgeConfig(PERP, threshold=D(3), slippage_bps=D(20), cooldown_ns=SEC, max_qty=D(5)))
    # our bid is hit: long 8 ABC
    for fl in (fill("ABC", B, "5", ts=1), fill("ABC", B, "3", ts=2)):
        inv.apply(fl)
        risk.on_fill(None, "ABC", fl.side, int(fl.qty), 10000)
    o = h.evaluate(inv.net_delta(), 10000, 3)
    assert o is not None and o.side is S and o.qty_lots == 5  # capped at 5 of the 8
    assert o.px == D("99.80")  # 100.00 less 20 bps, inside the 50 bps collar
    assert risk.check(o, 3) is APPROVED
    h.on_fill(fill("ABC-PERP", S, "5", "99.90", ts=4, oid=o.client_id), inv)
    risk.on_fill(o.client_id, "ABC-PERP", S, 5, 9990)
    assert h.in_flight is None and risk.open_order_ids == frozenset()
    assert inv.net_delta() == D(3) and risk.position_lots("ABC-PERP") == -5
    assert h.evaluate(inv.net_delta(), 10000, 2 * SEC) is None  # |3| is not > 3
    # the market drops 5: ABC 8 * (95 - 100) = -40; perp short 5 * (99.90 - 95) = +24.5
    marks = {"ABC": D(95), "ABC-PERP": D(95)}
    assert inv.day_pnl(marks) == D("-15.5")
    assert risk.update_pnl(inv.day_pnl(marks), 5) == frozenset()  # within the 20 limit
    inv.apply(fill("ABC", B, "2", "95", ts=6))  # delta 5, and down 0 on the new fill
    marks = {"ABC": D(94), "ABC-PERP": D(94)}
    # ABC 10 @ avg: 8 * (94 - 100) + 2 * (94 - 95) = -50; perp 5 * (99.90 - 94) = 29.5
    assert inv.day_pnl(marks) == D("-20.5")
    risk.update_pnl(inv.day_pnl(marks), 7)
    o2 = h.evaluate(inv.net_delta(), 9400, 3 * SEC)
    assert o2 is not None
    res = risk.check(o2, 3 * SEC)
    assert isinstance(res, Denied) and res.reason is DenyReason.KILL_SWITCH  # halted
    h.on_order_closed(o2.client_id)  # a denied hedge frees the hedger
    assert h.in_flight is None
