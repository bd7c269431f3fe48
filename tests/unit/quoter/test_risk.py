"""Pre-trade risk: every check passes at exactly its limit and denies one tick/lot over."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D

import pytest

from mmsla.domain import Side
from quoter.intents import CancelIntent, Instrument, OrderIntent, ReplaceIntent, TimeInForce
from quoter.risk import (
    APPROVED,
    Denied,
    DenyReason,
    KillSwitchChanged,
    RebuildRequired,
    Rebuilt,
    RiskConfig,
    RiskDenied,
    RiskEngine,
    SymbolLimits,
    TradingState,
    TradingStateChanged,
)

ABC = Instrument("ABC", D("0.01"), D("1"))  # 1 tick x 1 lot = 0.01
XYZ = Instrument("XYZ", D("0.5"), D("0.1"))  # 1 tick x 1 lot = 0.05
B, S = Side.BUY, Side.SELL
SEC = 1_000_000_000

_n = 0


def order(
    side: Side, px: str, qty: str, inst: Instrument = ABC, cid: str | None = None
) -> OrderIntent:
    global _n
    _n += 1
    return OrderIntent.from_decimal(cid or f"o{_n}", inst, side, D(px), D(qty))


def engine(**kw: object) -> RiskEngine:
    default = kw.pop("default", SymbolLimits())
    return RiskEngine(RiskConfig(instruments=(ABC, XYZ), default=default, **kw))  # type: ignore[arg-type]


def reason(result: object) -> DenyReason | None:
    return result.reason if isinstance(result, Denied) else None


def test_max_order_qty() -> None:
    r = engine(default=SymbolLimits(max_order_qty=D(10)))
    assert r.check(order(B, "100", "10"), 0) is APPROVED
    assert reason(r.check(order(B, "100", "11"), 0)) is DenyReason.MAX_ORDER_QTY


def test_max_order_notional_one_tick_over() -> None:
    r = engine(default=SymbolLimits(max_order_notional=D("1000")))
    assert r.check(order(B, "100.00", "10"), 0) is APPROVED  # 100.00 * 10 = 1000.00
    # 100.01 * 10 = 1000.10 > 1000
    res = r.check(order(B, "100.01", "10"), 0)
    assert isinstance(res, Denied) and res.reason is DenyReason.MAX_ORDER_NOTIONAL
    assert res.detail == "1000.10 > 1000"


def test_price_collar_inclusive_both_sides_and_fractional_bps() -> None:
    r = engine(default=SymbolLimits(price_collar_bps=D(50)))
    assert reason(r.check(order(B, "100", "1"), 0)) is DenyReason.NO_REFERENCE
    r.set_reference("ABC", 10000)  # 100.00; 50 bps = 0.50
    assert r.check(order(S, "100.50", "1"), 0) is APPROVED
    assert r.check(order(B, "99.50", "1"), 0) is APPROVED
    assert reason(r.check(order(S, "100.51", "1"), 0)) is DenyReason.PRICE_COLLAR
    assert reason(r.check(order(B, "99.49", "1"), 0)) is DenyReason.PRICE_COLLAR
    r2 = engine(default=SymbolLimits(price_collar_bps=D("12.5")))
    r2.set_reference("ABC", 10000)  # 12.5 bps of 100.00 = 0.125
    assert r2.check(order(B, "100.12", "1"), 0) is APPROVED
    assert reason(r2.check(order(B, "100.13", "1"), 0)) is DenyReason.PRICE_COLLAR


def test_max_net_position_counts_open_orders_on_the_same_side() -> None:
    r = engine(default=SymbolLimits(max_net_qty=D(10)))
    assert r.check(order(B, "100", "6"), 0) is APPROVED
    assert r.check(order(B, "99", "4"), 0) is APPROVED  # 0 + 6 + 4 = 10
    assert reason(r.check(order(B, "98", "1"), 0)) is DenyReason.MAX_NET_POSITION  # 11
    # the sell side is projected on its own: 0 - 10 = -10 passes, -11 not
    assert r.check(order(S, "101", "10"), 0) is APPROVED
    assert reason(r.check(order(S, "102", "1"), 0)) is DenyReason.MAX_NET_POSITION


def test_fills_move_exposure_from_open_orders_to_position() -> None:
    r = engine(default=SymbolLimits(max_net_qty=D(10)))
    o = order(B, "100", "10")
    assert r.check(o, 0) is APPROVED
    r.on_fill(o.client_id, "ABC", B, 4, 10000)  # pos 4, 6 still open
    assert r.position_lots("ABC") == 4
    assert reason(r.check(order(B, "100", "1"), 0)) is DenyReason.MAX_NET_POSITION  # 4 + 6 + 1
    r.on_order_closed(o.client_id)  # the rest is cancelled: 4 + 6 = 10 allowed again
    assert r.check(order(B, "100", "6"), 0) is APPROVED
    # a sell of 14 ends at 4 - 14 = -10: allowed; 15 is not
    assert reason(r.check(order(S, "100", "15"), 0)) is DenyReason.MAX_NET_POSITION
    assert r.check(order(S, "100", "14"), 0) is APPROVED


def test_max_gross_notional_per_symbol() -> None:
    r = engine(default=SymbolLimits(max_gross_notional=D("2000")))
    r.set_reference("ABC", 10000)
    r.set_position("ABC", -5)  # |-5| * 100.00 = 500
    assert r.check(order(B, "100", "5"), 0) is APPROVED  # +500 = 1000
    assert r.check(order(S, "100", "5"), 0) is APPROVED  # +500 = 1500
    assert reason(r.check(order(S, "100.01", "5"), 0)) is DenyReason.MAX_GROSS_NOTIONAL  # 2000.05
    assert r.check(order(S, "100", "5"), 0) is APPROVED  # exactly 2000
    assert r.total_gross_notional() == D("2000.00")
    # the position is valued at the reference: a higher reference leaves no room
    r.set_reference("ABC", 10001)
    assert r.total_gross_notional() == D("2000.05")


def test_totals_across_instruments_with_different_grids() -> None:
    r = engine(max_total_net_notional=D("1000"), max_total_gross_notional=D("1500"))
    assert r.check(order(B, "100", "5"), 0) is APPROVED  # 500.00
    assert r.check(order(B, "500", "1.0", inst=XYZ), 0) is APPROVED  # 500.0 * 1.0 = 500: net 1000
    # one more XYZ lot at one tick: 0.5 * 0.1 = 0.05 over the total net limit
    assert reason(r.check(order(B, "0.5", "0.1", inst=XYZ), 0)) is DenyReason.MAX_TOTAL_NET_NOTIONAL
    # a sell is projected on the sell side: net 0 - 500 = -500, but gross 1000 + 500 = 1500 ok
    assert r.check(order(S, "100", "5"), 0) is APPROVED
    # gross now 1500: anything more is over
    assert reason(r.check(order(S, "0.5", "0.1", inst=XYZ), 0)) is (
        DenyReason.MAX_TOTAL_GROSS_NOTIONAL
    )
    assert r.total_gross_notional() == D("1500")


def test_total_net_uses_positions_at_mark() -> None:
    r = engine(max_total_net_notional=D("1000"))
    r.set_reference("ABC", 10000)
    r.set_reference("XYZ", 1000)  # 500.0
    r.on_fill(None, "ABC", B, 5, 10000)  # +500
    r.on_fill(None, "XYZ", S, 10, 1000)  # -1.0 * 500 = -500: net 0
    assert r.check(order(B, "100", "10"), 0) is APPROVED  # 0 + 1000
    assert reason(r.check(order(B, "0.01", "1"), 0)) is DenyReason.MAX_TOTAL_NET_NOTIONAL


def test_rate_limit_sliding_window_and_cancels_count_but_pass() -> None:
    r = engine(max_msgs=3, rate_window_ns=SEC)
    assert r.check(order(B, "100", "1"), 0) is APPROVED
    assert r.check(order(B, "100", "1"), SEC // 10) is APPROVED
    assert r.check(order(B, "100", "1"), 2 * SEC // 10) is APPROVED
    assert reason(r.check(order(B, "100", "1"), 3 * SEC // 10)) is DenyReason.RATE_LIMIT
    # the first message (t=0) leaves the window (t - 1 s, t] at t = 1 s
    assert reason(r.check(order(B, "100", "1"), SEC - 1)) is DenyReason.RATE_LIMIT
    assert r.check(order(B, "100", "1"), SEC) is APPROVED
    # a cancel is never denied, even at the limit, but fills the window
    c = CancelIntent("c1", "o-x", ABC, B)
    assert r.check(c, SEC) is APPROVED
    assert reason(r.check(order(B, "100", "1"), 11 * SEC // 10 + 1)) is DenyReason.RATE_LIMIT


def test_max_open_orders_and_replace_does_not_add() -> None:
    r = engine(max_open_orders=2)
    a, b = order(B, "100", "1"), order(S, "101", "1")
    assert r.check(a, 0) is APPROVED and r.check(b, 0) is APPROVED
    assert reason(r.check(order(B, "99", "1"), 0)) is DenyReason.MAX_OPEN_ORDERS
    rep = ReplaceIntent("a2", a.client_id, ABC, B, 9990, 1)
    assert r.check(rep, 0) is APPROVED
    assert r.open_order_ids == {"a2", b.client_id}
    r.on_order_closed(b.client_id)
    assert r.check(order(B, "99", "1"), 0) is APPROVED


def test_replace_swaps_exposure_and_unknown_orig_is_denied() -> None:
    r = engine(default=SymbolLimits(max_net_qty=D(10)))
    a = order(B, "100", "8", cid="a")
    assert r.check(a, 0) is APPROVED
    assert r.check(ReplaceIntent("a2", "a", ABC, B, 10001, 10), 0) is APPROVED  # 10, not 18
    assert reason(r.check(ReplaceIntent("a3", "a2", ABC, B, 10001, 11), 0)) is (
        DenyReason.MAX_NET_POSITION
    )
    assert reason(r.check(ReplaceIntent("a4", "a", ABC, B, 10001, 1), 0)) is (
        DenyReason.UNKNOWN_ORDER
    )
    # after a partial fill of 3, a replace to total 10 leaves 7 open: 3 + 7 = 10
    r.on_fill("a2", "ABC", B, 3, 10001)
    assert r.check(ReplaceIntent("a5", "a2", ABC, B, 10002, 10), 0) is APPROVED
    assert reason(r.check(order(B, "100", "1"), 0)) is DenyReason.MAX_NET_POSITION
    # the venue rejects that replace: the original terms (7 left at 100.01) count again
    r.on_replace_rejected("a5", OrderIntent("a2", ABC, B, 10001, 7))
    assert r.open_order_ids == {"a2"}
    assert reason(r.check(order(B, "100", "1"), 0)) is DenyReason.MAX_NET_POSITION


def test_kill_switch_cancels_everything_and_blocks_until_resume() -> None:
    r = engine()
    a, b = order(B, "100", "1"), order(S, "101", "1")
    r.check(a, 0)
    r.check(b, 0)
    r.drain_events()
    assert r.engage_kill_switch(5, "operator") == {a.client_id, b.client_id}
    assert reason(r.check(order(B, "100", "1"), 6)) is DenyReason.KILL_SWITCH
    assert r.check(CancelIntent("c", a.client_id, ABC, B), 6) is APPROVED  # cancels still pass
    r.resume(7, "operator")
    assert r.check(order(B, "100", "1"), 8) is APPROVED
    ev = r.drain_events()
    assert isinstance(ev[0], KillSwitchChanged) and ev[0].engaged and ev[0].reason == "operator"
    assert ev[0].cancel_ids == {a.client_id, b.client_id}
    assert isinstance(ev[1], RiskDenied) and ev[1].reason is DenyReason.KILL_SWITCH
    assert isinstance(ev[2], KillSwitchChanged) and not ev[2].engaged


def test_reduce_only_passes_only_orders_that_shrink_the_position() -> None:
    r = engine()
    r.set_position("ABC", 5)
    r.set_state(TradingState.REDUCE_ONLY, 0, "obligation pulled")
    assert reason(r.check(order(B, "100", "1"), 0)) is DenyReason.REDUCE_ONLY
    assert reason(r.check(order(S, "100", "6"), 0)) is DenyReason.REDUCE_ONLY  # would flip
    assert r.check(order(S, "100", "3"), 0) is APPROVED
    assert reason(r.check(order(S, "100", "3"), 0)) is DenyReason.REDUCE_ONLY  # 3 + 3 > 5
    assert r.check(order(S, "100", "2"), 0) is APPROVED  # 3 + 2 = 5
    assert reason(r.check(order(B, "100", "1", inst=XYZ), 0)) is DenyReason.REDUCE_ONLY  # flat


def test_halted_state_blocks_and_returns_orders_to_cancel() -> None:
    r = engine()
    a = order(B, "100", "1")
    r.check(a, 0)
    assert r.set_state(TradingState.HALTED, 1, "manual") == {a.client_id}
    assert reason(r.check(order(B, "100", "1"), 2)) is DenyReason.HALTED
    ev = r.drain_events()
    assert ev[0] == TradingStateChanged(1, TradingState.ACTIVE, TradingState.HALTED, "manual")


def test_loss_limit_halts_automatically_at_one_cent_past() -> None:
    r = engine(max_daily_loss=D("100"))
    a = order(B, "100", "1")
    r.check(a, 0)
    assert r.update_pnl(D("-100.00"), 1) == frozenset()  # exactly at the limit: allowed
    assert r.state is TradingState.ACTIVE
    assert r.update_pnl(D("-100.01"), 2) == {a.client_id}
    assert r.state is TradingState.HALTED and r.kill_switch
    assert reason(r.check(order(S, "100", "1"), 3)) is DenyReason.KILL_SWITCH
    ev = r.drain_events()
    assert isinstance(ev[0], TradingStateChanged) and ev[0].new is TradingState.HALTED
    assert "loss limit" in ev[0].reason
    assert isinstance(ev[1], KillSwitchChanged) and ev[1].engaged
    r.on_order_closed(a.client_id)  # the order manager's cancel went through
    # an explicit resume trades again; the next mark still past the limit halts again
    r.resume(4)
    assert r.state is TradingState.ACTIVE and not r.kill_switch
    assert r.update_pnl(D("-100.01"), 5) == frozenset()  # nothing open to cancel
    assert r.state is TradingState.HALTED
    r.resume(6)
    r.update_pnl(D("-20"), 7)
    assert r.state is TradingState.ACTIVE
    assert r.check(order(B, "100", "1"), 8) is APPROVED


def test_disconnect_assumes_orders_gone_until_rebuilt() -> None:
    r = engine(default=SymbolLimits(max_net_qty=D(10)))
    a = order(B, "100", "4", cid="a")
    b = order(B, "100", "4", cid="b")
    r.check(a, 0)
    r.check(b, 0)
    assert r.on_disconnect(1) == {"a", "b"}
    assert r.open_order_ids == frozenset()
    assert reason(r.check(order(B, "100", "1"), 2)) is DenyReason.NOT_REBUILT
    # the venue reports one order still open with 3 lots left, and a position of 1
    r.on_rebuilt(3, [OrderIntent("b", ABC, B, 10000, 3)], {"ABC": 1})
    assert r.open_order_ids == {"b"}
    assert r.check(order(B, "100", "6"), 4) is APPROVED  # 1 + 3 + 6 = 10
    assert reason(r.check(order(B, "100", "1"), 4)) is DenyReason.MAX_NET_POSITION
    ev = r.drain_events()
    assert ev[0] == RebuildRequired(1, frozenset({"a", "b"}))
    assert isinstance(ev[1], RiskDenied) and ev[1].reason is DenyReason.NOT_REBUILT
    assert ev[2] == Rebuilt(3, 1)


def test_bad_and_unknown_intents() -> None:
    r = engine()
    assert reason(r.check(OrderIntent("z", ABC, B, 10000, 0), 0)) is DenyReason.BAD_ORDER
    other = Instrument("NOPE", D("0.01"), D(1))
    assert reason(r.check(order(B, "1", "1", inst=other), 0)) is DenyReason.UNKNOWN_SYMBOL
    assert r.check(order(B, "1", "1", cid="dup"), 0) is APPROVED
    assert reason(r.check(order(B, "1", "1", cid="dup"), 0)) is DenyReason.DUPLICATE_ID
    ioc = OrderIntent("h", ABC, S, 10000, 1, tif=TimeInForce.IOC)
    assert r.check(ioc, 0) is APPROVED


def test_denial_event_carries_the_intent() -> None:
    r = engine(default=SymbolLimits(max_order_qty=D(1)))
    r.check(order(B, "100", "2", cid="big"), 42)
    (ev,) = r.drain_events()
    assert isinstance(ev, RiskDenied)
    assert (ev.ts_ns, ev.client_id, ev.symbol, ev.reason) == (
        42,
        "big",
        "ABC",
        DenyReason.MAX_ORDER_QTY,
    )
    assert r.drain_events() == []


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="unknown symbols"):
        RiskConfig(instruments=(ABC,), per_symbol={"XYZ": SymbolLimits()})
    with pytest.raises(ValueError, match="positive"):
        RiskConfig(instruments=(ABC,), max_daily_loss=D(-1))


def test_per_symbol_limits_override_default() -> None:
    r = RiskEngine(
        RiskConfig(
            instruments=(ABC, XYZ),
            default=SymbolLimits(max_order_qty=D(1)),
            per_symbol={"XYZ": SymbolLimits(max_order_qty=D("0.5"))},
        )
    )
    assert r.check(order(B, "1", "0.5", inst=XYZ), 0) is APPROVED
    assert reason(r.check(order(B, "1", "0.6", inst=XYZ), 0)) is DenyReason.MAX_ORDER_QTY
    assert reason(r.check(order(B, "1", "2"), 0)) is DenyReason.MAX_ORDER_QTY


def test_event_fields_are_json_ready() -> None:
    import json

    from quoter.risk import event_fields

    r = engine(default=SymbolLimits(max_order_qty=D(1)))
    a = order(B, "100", "1", cid="a1")
    r.check(a, 1)
    r.check(order(B, "100", "2", cid="big"), 2)
    r.engage_kill_switch(3, "pull all")
    r.set_state(TradingState.REDUCE_ONLY, 4, "inventory")
    r.on_disconnect(5)
    r.on_rebuilt(6)
    got = [json.loads(json.dumps(event_fields(e))) for e in r.drain_events()]
    assert got == [
        {
            "kind": "denied",
            "ts_event": 2,
            "client_id": "big",
            "symbol": "ABC",
            "reason": "max_order_qty",
            "detail": "2 lots > 1 lots",
        },
        {
            "kind": "kill_switch",
            "ts_event": 3,
            "engaged": True,
            "reason": "pull all",
            "cancel_ids": ["a1"],
        },
        {
            "kind": "state_changed",
            "ts_event": 4,
            "old": "active",
            "new": "reduce_only",
            "reason": "inventory",
        },
        {"kind": "rebuild_required", "ts_event": 5, "lost_ids": ["a1"]},
        {"kind": "rebuilt", "ts_event": 6, "open_orders": 0},
    ]


def test_cancels_are_not_remembered_without_a_rate_limit() -> None:
    r = engine()
    for i in range(1000):
        assert r.check(CancelIntent(f"c{i}", "x", ABC, B), i) is APPROVED
    assert len(r._msgs) == 0


def test_config_from_mapping_merges_symbol_keys_over_default() -> None:
    import yaml

    from quoter.risk import risk_config_from_mapping

    text = """
    default: {max_order_qty: 10, price_collar_bps: 12.5, max_net_qty: "100"}
    symbols:
      XYZ: {max_order_qty: 0.5}
    max_msgs: 20
    rate_window_s: 0.5
    max_daily_loss: 2500.00
    max_total_gross_notional: null
    """
    cfg = risk_config_from_mapping(yaml.safe_load(text), (ABC, XYZ))
    assert cfg.default == SymbolLimits(
        max_order_qty=D(10), price_collar_bps=D("12.5"), max_net_qty=D(100)
    )
    assert cfg.per_symbol["XYZ"] == SymbolLimits(
        max_order_qty=D("0.5"), price_collar_bps=D("12.5"), max_net_qty=D(100)
    )
    assert (cfg.max_msgs, cfg.rate_window_ns, cfg.max_daily_loss) == (20, 500_000_000, D("2500.0"))
    assert cfg.max_total_gross_notional is None and cfg.max_open_orders is None
    # the loaded config drives the engine: XYZ's own size limit, ABC's default
    r = RiskEngine(cfg)
    assert reason(r.check(order(B, "1", "0.6", inst=XYZ), 0)) is DenyReason.MAX_ORDER_QTY
    assert reason(r.check(order(B, "1", "11"), 0)) is DenyReason.MAX_ORDER_QTY


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"max_msg": 1}, r"risk\.max_msg: unknown key"),
        ({"default": {"max_qty": 1}}, r"risk\.default\.max_qty: unknown key"),
        ({"symbols": {"NOPE": {}}}, r"risk\.symbols\.NOPE: not a configured instrument"),
        ({"max_msgs": 1.5}, r"risk\.max_msgs: must be a whole number"),
        ({"max_daily_loss": -1}, r"risk\.max_daily_loss: must be a finite number >= 0"),
        ({"max_daily_loss": True}, r"risk\.max_daily_loss: expected a number"),
        ({"default": {"max_order_qty": "ten"}}, r"risk\.default\.max_order_qty: 'ten' is not"),
        ({"rate_window_s": 0}, r"risk\.rate_window_s: must be positive"),
        ({"default": [1]}, r"risk\.default: expected a mapping"),
    ],
)
def test_config_from_mapping_errors_name_the_key(data: dict[str, object], message: str) -> None:
    from mmsla.errors import ConfigError
    from quoter.risk import risk_config_from_mapping

    with pytest.raises(ConfigError, match=message):
        risk_config_from_mapping(data, (ABC, XYZ))


@dataclass
class _Shadow:
    symbol: str
    sign: int
    px_ticks: int
    qty_lots: int
    filled_lots: int = 0

    @property
    def leaves(self) -> int:
        return max(self.qty_lots - self.filled_lots, 0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_running_exposure_matches_a_shadow_model(seed: int) -> None:
    """The engine's incremental totals equal a from-scratch recount after every step."""
    import random

    rng = random.Random(seed)
    insts = {"ABC": ABC, "XYZ": XYZ}
    r = engine(
        default=SymbolLimits(max_net_qty=D(40), max_order_qty=D(12)),
        max_total_gross_notional=D(50_000),
        max_open_orders=15,
    )
    orders: dict[str, _Shadow] = {}
    pos = {"ABC": 0, "XYZ": 0}
    ref: dict[str, int | None] = {"ABC": None, "XYZ": None}
    mark = {"ABC": 0, "XYZ": 0}
    approved = denied = 0

    for step in range(3000):
        op = rng.random()
        sym = rng.choice(["ABC", "XYZ"])
        side = rng.choice([B, S])
        if op < 0.35:
            cid = f"n{step}"
            px, qty = rng.randint(900, 1100), rng.randint(1, 14)
            res = r.check(OrderIntent(cid, insts[sym], side, px, qty), step)
            if res is APPROVED:
                approved += 1
                orders[cid] = _Shadow(sym, side.sign, px, qty)
            else:
                denied += 1
        elif op < 0.5 and orders:
            old = rng.choice(sorted(orders))
            o = orders[old]
            cid = f"r{step}"
            px, qty = rng.randint(900, 1100), rng.randint(1, 14)
            o_side = B if o.sign == 1 else S
            res = r.check(ReplaceIntent(cid, old, insts[o.symbol], o_side, px, qty), step)
            if res is APPROVED:
                del orders[old]
                orders[cid] = _Shadow(o.symbol, o.sign, px, qty, o.filled_lots)
        elif op < 0.75 and orders:
            cid = rng.choice(sorted(orders))
            o = orders[cid]
            if o.leaves == 0:
                continue
            n = rng.randint(1, o.leaves)
            fpx = rng.randint(900, 1100)
            r.on_fill(cid, o.symbol, B if o.sign == 1 else S, n, fpx)
            o.filled_lots += n
            pos[o.symbol] += o.sign * n
            if ref[o.symbol] is None:
                mark[o.symbol] = fpx
            if o.leaves == 0:
                del orders[cid]
        elif op < 0.85 and orders:
            cid = rng.choice(sorted(orders))
            r.on_order_closed(cid)
            del orders[cid]
        elif op < 0.92:
            px = rng.randint(900, 1100)
            r.set_reference(sym, px)
            ref[sym] = mark[sym] = px
        else:
            n, fpx = rng.randint(1, 5), rng.randint(900, 1100)
            r.on_fill(None, sym, side, n, fpx)  # a fill of an order from before a rebuild
            pos[sym] += side.sign * n
            if ref[sym] is None:
                mark[sym] = fpx

        gross = net = D(0)
        for s, inst in insts.items():
            unit = inst.tick * inst.lot
            mine = [o for o in orders.values() if o.symbol == s]
            ex = r.exposure(s)
            assert ex.position_lots == pos[s]
            assert ex.open_buy_lots == sum(o.leaves for o in mine if o.sign == 1)
            assert ex.open_sell_lots == sum(o.leaves for o in mine if o.sign == -1)
            open_notional = sum(o.px_ticks * o.leaves for o in mine) * unit
            assert ex.open_notional == open_notional
            assert ex.mark == mark[s] * inst.tick
            gross += abs(pos[s]) * mark[s] * unit + open_notional
            net += pos[s] * mark[s] * unit
        assert r.total_gross_notional() == gross
        assert r.total_net_notional() == net
        assert r.open_order_ids == set(orders)
    assert approved > 100 and denied > 100  # both paths were exercised


# ---- vega limits per underlying -----------------------------------------------------

C100 = Instrument("UND 100C", D("0.01"), D("1"))  # options on UND
P90 = Instrument("UND 90P", D("0.01"), D("1"))
OTH = Instrument("OTH 50C", D("0.01"), D("1"))  # an option on another underlying


def vega_engine(**kw: object) -> RiskEngine:
    r = RiskEngine(RiskConfig(instruments=(ABC, C100, P90, OTH), **kw))  # type: ignore[arg-type]
    r.set_vega("UND 100C", "UND", D("12.5"))  # money per vol point per contract held
    r.set_vega("UND 90P", "UND", D("7.5"))
    r.set_vega("OTH 50C", "OTH", D("10"))
    return r


def test_vega_limit_exactly_at_the_limit_passes_one_lot_over_is_a_risk_event() -> None:
    r = vega_engine(max_abs_vega_per_pt={"UND": D(100)})
    assert r.check(order(B, "2", "8", inst=C100, cid="v8"), 0) is APPROVED  # 8 * 12.5 = 100
    r.on_order_closed("v8")
    res = r.check(order(B, "2", "9", inst=C100, cid="v9"), 5)  # 112.5: one lot over
    assert isinstance(res, Denied) and res.reason is DenyReason.MAX_VEGA
    assert res.detail == "UND: |112.5| > 100 vega/pt"
    assert r.drain_events() == [
        RiskDenied(5, "v9", "UND 100C", DenyReason.MAX_VEGA, "UND: |112.5| > 100 vega/pt")
    ]
    # short vega is limited the same way: -100 passes, then another option's -7.5 not
    assert r.check(order(S, "2", "8", inst=C100), 0) is APPROVED
    r.on_fill(None, "UND 100C", S, 8, 200)
    assert r.book_vega("UND") == -100
    assert reason(r.check(order(S, "2", "1", inst=P90), 0)) is DenyReason.MAX_VEGA
    # a limit one hundredth below the exact figure denies the same order
    r2 = vega_engine(max_abs_vega_per_pt={"UND": D("99.99")})
    assert reason(r2.check(order(B, "2", "8", inst=C100), 0)) is DenyReason.MAX_VEGA


def test_vega_counts_positions_across_the_chain_and_open_orders_of_the_same_side() -> None:
    r = vega_engine(max_abs_vega_per_pt={"UND": D(100)})
    r.set_position("UND 90P", 5)  # +37.5
    assert r.book_vega("UND") == D("37.5")
    assert r.check(order(B, "2", "3", inst=C100), 0) is APPROVED  # 37.5 + 37.5 = 75
    # with the open buy of 3, two more lots reach 37.5 + 5 * 12.5 = 100: at the limit
    assert r.check(order(B, "2", "2", inst=C100), 0) is APPROVED
    assert reason(r.check(order(B, "2", "1", inst=C100), 0)) is DenyReason.MAX_VEGA
    # a fill moves vega from the open order into the position
    first = sorted(r.open_order_ids)[0]
    r.on_fill(first, "UND 100C", B, 3, 200)
    assert r.book_vega("UND") == D(75)
    # the option's vega moves (the market moved): the book is revalued
    r.set_vega("UND 100C", "UND", D("10"))
    assert r.book_vega("UND") == D("67.5")
    # other underlyings neither count nor offset
    assert r.check(order(S, "2", "10", inst=OTH), 0) is APPROVED  # OTH: -100
    assert r.book_vega("OTH") == 0


def test_a_vega_reducing_order_passes_over_the_limit() -> None:
    r = vega_engine(max_abs_vega_per_pt={"UND": D(100)})
    r.set_position("UND 100C", 10)  # 125 > 100: the limit was lowered, or vega rose
    assert reason(r.check(order(B, "2", "1", inst=C100), 0)) is DenyReason.MAX_VEGA  # 137.5
    assert r.check(order(S, "2", "1", inst=C100), 0) is APPROVED  # 112.5 < 125: reduces
    assert r.check(order(S, "2", "1", inst=P90), 0) is APPROVED  # a put sold reduces too
    # selling so much the book flips to a bigger short does not "reduce"
    assert reason(r.check(order(S, "2", "20", inst=C100), 0)) is DenyReason.MAX_VEGA


def test_total_vega_over_underlyings_adds_absolute_values() -> None:
    r = vega_engine(max_total_abs_vega_per_pt=D(150))
    r.set_position("UND 100C", 8)  # UND +100
    assert r.check(order(S, "2", "5", inst=OTH), 0) is APPROVED  # |100| + |-50| = 150
    res = r.check(order(S, "2", "1", inst=OTH), 0)  # a short on OTH does not offset UND
    assert reason(res) is DenyReason.MAX_TOTAL_VEGA
    assert r.check(order(S, "2", "1", inst=C100), 0) is APPROVED  # lowers the total


def test_vega_checks_are_off_by_default_and_need_a_vega() -> None:
    r = vega_engine()  # no vega limits configured
    assert r.check(order(B, "2", "1000", inst=C100), 0) is APPROVED
    r2 = RiskEngine(RiskConfig(instruments=(ABC, C100), max_abs_vega_per_pt={"UND": D(1)}))
    assert r2.check(order(B, "2", "1000", inst=C100), 0) is APPROVED  # no vega known: none
    with pytest.raises(ValueError, match="not finite"):
        r2.set_vega("UND 100C", "UND", D("NaN"))
    with pytest.raises(ValueError, match="vega limits"):
        RiskConfig(instruments=(ABC,), max_abs_vega_per_pt={"UND": D(-1)})


def test_vega_limits_from_mapping() -> None:
    import yaml

    from mmsla.errors import ConfigError
    from quoter.risk import risk_config_from_mapping

    text = """
    max_abs_vega_per_pt: {UND: 100, OTH: "2500.5"}
    max_total_abs_vega_per_pt: 3000
    """
    cfg = risk_config_from_mapping(yaml.safe_load(text), (ABC, C100))
    assert cfg.max_abs_vega_per_pt == {"UND": D(100), "OTH": D("2500.5")}
    assert cfg.max_total_abs_vega_per_pt == D(3000)
    r = RiskEngine(cfg)
    r.set_vega("UND 100C", "UND", D("12.5"))
    assert reason(r.check(order(B, "2", "9", inst=C100), 0)) is DenyReason.MAX_VEGA
    with pytest.raises(ConfigError, match=r"risk\.max_abs_vega_per_pt\.UND: must be a finite"):
        risk_config_from_mapping({"max_abs_vega_per_pt": {"UND": -1}}, (ABC,))
    with pytest.raises(ConfigError, match=r"risk\.max_abs_vega_per_pt: expected a mapping"):
        risk_config_from_mapping({"max_abs_vega_per_pt": 5}, (ABC,))
