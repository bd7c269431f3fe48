"""Order manager: state transitions from scripted ExecutionReports, sending, throttle, risk."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from mmsla.domain import Side
from quoter.fix.codec.framing import RawMessage, encode, parse
from quoter.intents import Instrument, OrderState
from quoter.orders import ManagedOrder, OrderManager
from quoter.pricing.ladder import Ladder
from quoter.pricing.requote import RequotePolicy
from quoter.risk import DenyReason, RiskConfig, RiskDenied, RiskEngine, SymbolLimits

ABC = Instrument("ABC", Decimal("0.01"), Decimal(1))
T0 = 1_800_000_000 * 1_000_000_000


class Wire:
    """Collects what the manager sends, as parsed FIX messages."""

    def __init__(self) -> None:
        self.sent: list[RawMessage] = []

    def __call__(self, msg_type: str, body: Sequence[tuple[int, str]]) -> None:
        self.sent.append(parse(encode("FIX.4.4", msg_type, [], body)))

    def take(self) -> list[RawMessage]:
        out, self.sent = self.sent, []
        return out


def _state(o: ManagedOrder) -> OrderState:
    """The order's state now (a call, so the type checker does not narrow across updates)."""
    return o.state


def _er(**fields: str) -> RawMessage:
    tags = {
        "order_id": 37,
        "cl": 11,
        "orig": 41,
        "exec_id": 17,
        "et": 150,
        "status": 39,
        "side": 54,
        "qty": 38,
        "px": 44,
        "last_qty": 32,
        "last_px": 31,
        "leaves": 151,
        "cum": 14,
        "ts": 60,
        "liq": 851,
        "fee": 12,
        "comm_type": 13,
        "text": 58,
    }
    body = [(tags[k], v) for k, v in fields.items()]
    return parse(encode("FIX.4.4", "8", [], body))


def _manager(
    limits: SymbolLimits | None = None, max_msgs: int | None = None
) -> tuple[OrderManager, Wire, RiskEngine]:
    risk = RiskEngine(RiskConfig((ABC,), default=limits or SymbolLimits()))
    wire = Wire()
    om = OrderManager(
        [ABC],
        wire,
        risk,
        requote=RequotePolicy(tolerance_ticks=1),
        max_msgs_per_s=max_msgs,
        id_prefix="T",
    )
    return om, wire, risk


def test_new_orders_are_post_only_limits_and_go_live_on_new() -> None:
    om, wire, _ = _manager()
    om.reconcile("ABC", Ladder(((9990, 100),), ((10010, 100),)), T0)
    sent = wire.take()
    assert [m.msg_type for m in sent] == ["D", "D"]
    bid = next(m for m in sent if m.values[54] == "1")
    assert bid.values[44] == "99.90" and bid.values[38] == "100" and bid.values[18] == "6"
    assert bid.values[40] == "2" and bid.values[59] == "1"
    o = om.orders[bid.values[11]]
    assert o.state is OrderState.PENDING_NEW
    assert om.resting("ABC") == ((), ()), "pending orders are not our confirmed quote"
    ups = om.on_execution_report(
        _er(
            order_id="V1",
            cl=o.client_id,
            et="0",
            status="0",
            leaves="100",
            cum="0",
            ts="20261123-09:00:00.000001",
        ),
        T0,
    )
    assert [u.status for u in ups] == ["accepted"]
    assert _state(o) is OrderState.LIVE and o.venue_id == "V1"
    assert om.resting("ABC")[0][0].px == Decimal("99.90")


def _live_pair(om: OrderManager, wire: Wire) -> tuple[str, str]:
    om.reconcile("ABC", Ladder(((9990, 100),), ((10010, 100),)), T0)
    ids = []
    for m in wire.take():
        cid = m.values[11]
        om.on_execution_report(
            _er(order_id="V" + cid, cl=cid, et="0", status="0", leaves="100", cum="0"), T0
        )
        ids.append(cid)
    return ids[0], ids[1]


def test_replace_partial_fill_and_cancel_sequence() -> None:
    om, wire, risk = _manager()
    bid_id, _ = _live_pair(om, wire)
    # targets 1 tick further out (within tolerance): our quote is narrower, nothing sent
    om.reconcile("ABC", Ladder(((9989, 100),), ((10011, 100),)), T0 + 1)
    assert wire.take() == []
    # the best level never rests wider than its target, even within tolerance
    om.reconcile("ABC", Ladder(((9991, 100),), ((10011, 100),)), T0 + 1)
    moved = wire.take()
    assert [(m.msg_type, m.values[41], m.values[44]) for m in moved] == [("G", bid_id, "99.91")]
    om.on_execution_report(
        _er(cl=moved[0].values[11], orig=bid_id, et="5", status="0", leaves="100", cum="0"),
        T0 + 1,
    )
    bid_id = moved[0].values[11]
    # beyond tolerance: one cancel/replace per side, OrigClOrdID = the live order
    om.reconcile("ABC", Ladder(((9995, 100),), ((10015, 100),)), T0 + 2)
    sent = wire.take()
    assert [m.msg_type for m in sent] == ["G", "G"]
    g_bid = next(m for m in sent if m.values[41] == bid_id)
    assert g_bid.values[44] == "99.95" and g_bid.values[38] == "100"
    bid = om.orders[bid_id]
    assert bid.state is OrderState.PENDING_REPLACE
    # at most one change in flight: another move sends nothing for it
    om.reconcile("ABC", Ladder(((9999, 100),), ((10015, 100),)), T0 + 3)
    assert wire.take() == []
    # a fill of the original while the replace is in flight
    ups = om.on_execution_report(
        _er(
            cl=bid_id,
            et="F",
            status="1",
            last_qty="30",
            last_px="99.90",
            leaves="70",
            cum="30",
            liq="1",
            fee="-0.03",
            comm_type="3",
            exec_id="X1",
            ts="20261123-09:00:01.500",
        ),
        T0 + 4,
    )
    assert [u.status for u in ups] == ["partially_filled"]
    f = ups[0].fill
    assert f is not None and f.qty == Decimal(30) and f.px == Decimal("99.90")
    assert f.fee == Decimal("-0.03") and f.liquidity == "maker" and f.side is Side.BUY
    assert bid.state is OrderState.PENDING_REPLACE and risk.position_lots("ABC") == 30
    # replaced: new id, new price; venue total 100 with 30 filled leaves 70
    new_id = g_bid.values[11]
    ups = om.on_execution_report(
        _er(
            cl=new_id, orig=bid_id, et="5", status="1", px="99.95", qty="100", leaves="70", cum="30"
        ),
        T0 + 5,
    )
    assert [u.status for u in ups] == ["replaced"]
    assert bid.client_id == new_id and bid.px_ticks == 9995
    assert _state(bid) is OrderState.PARTIALLY_FILLED and bid.leaves_lots == 70
    # the target is 100 open: a replace to total 130 (30 filled + 100)
    om.reconcile("ABC", Ladder(((9995, 100),), ()), T0 + 6)
    sent = wire.take()
    # the bid is resized; the ask has no target but its replace is still in flight: it waits
    assert [m.msg_type for m in sent] == ["G"]
    g2 = sent[0]
    assert g2.values[41] == new_id and g2.values[38] == "130"


def test_cancel_and_unsolicited_cancel_close_orders() -> None:
    om, wire, risk = _manager()
    bid_id, ask_id = _live_pair(om, wire)
    om.reconcile("ABC", None, T0 + 1)
    sent = wire.take()
    assert sorted(m.values[41] for m in sent) == sorted([bid_id, ask_id])
    assert all(m.msg_type == "F" for m in sent)
    f_bid = next(m for m in sent if m.values[41] == bid_id)
    ups = om.on_execution_report(
        _er(cl=f_bid.values[11], orig=bid_id, et="4", status="4", leaves="0", cum="0"), T0 + 2
    )
    assert [u.status for u in ups] == ["cancelled"]
    assert bid_id not in om.orders and risk.exposure("ABC").open_buy_lots == 0
    # cancel rejected: back to live
    f_ask = next(m for m in sent if m.values[41] == ask_id)
    rej = parse(
        encode(
            "FIX.4.4",
            "9",
            [],
            [(37, "V"), (11, f_ask.values[11]), (41, ask_id), (39, "0"), (434, "1"), (58, "busy")],
        )
    )
    ups = om.on_cancel_reject(rej, T0 + 3)
    assert [u.status for u in ups] == ["cancel_rejected"]
    assert om.orders[ask_id].state is OrderState.LIVE
    # an unsolicited cancel (e.g. venue protection) closes it
    ups = om.on_execution_report(
        _er(cl=ask_id, et="4", status="4", leaves="0", cum="0", text="MMP"), T0 + 4
    )
    assert ups[0].status == "cancelled" and ups[0].reason == "MMP"
    assert om.live_orders() == []


def test_full_fill_and_reject() -> None:
    om, wire, risk = _manager()
    bid_id, _ = _live_pair(om, wire)
    ups = om.on_execution_report(
        _er(cl=bid_id, et="F", status="2", last_qty="100", last_px="99.90", leaves="0", cum="100"),
        T0 + 1,
    )
    assert ups[0].status == "filled" and bid_id not in om.orders
    assert risk.position_lots("ABC") == 100
    om.reconcile("ABC", Ladder(((9990, 100),), ((10010, 100),)), T0 + 2)
    d = wire.take()
    assert [m.msg_type for m in d] == ["D"], "only the filled level is replaced"
    ups = om.on_execution_report(
        _er(
            cl=d[0].values[11],
            et="8",
            status="8",
            leaves="0",
            cum="0",
            text="post-only would cross",
        ),
        T0 + 3,
    )
    assert ups[0].status == "rejected" and ups[0].reason == "post-only would cross"
    assert risk.exposure("ABC").open_buy_lots == 0


def test_throttle_defers_messages_within_one_second() -> None:
    om, wire, _ = _manager(max_msgs=3)
    om.reconcile("ABC", Ladder(((9990, 1), (9989, 1)), ((10010, 1), (10011, 1))), T0)
    assert len(wire.take()) == 3 and om.deferred == 1
    om.reconcile("ABC", Ladder(((9990, 1), (9989, 1)), ((10010, 1), (10011, 1))), T0 + 999_999_999)
    assert wire.take() == []
    om.reconcile(
        "ABC", Ladder(((9990, 1), (9989, 1)), ((10010, 1), (10011, 1))), T0 + 1_000_000_000
    )
    assert len(wire.take()) == 1


def test_risk_denial_is_not_sent_and_is_a_risk_event() -> None:
    om, wire, risk = _manager(SymbolLimits(max_order_qty=Decimal(50)))
    denials = om.reconcile("ABC", Ladder(((9990, 100),), ((10010, 40),)), T0)
    sent = wire.take()
    assert [m.values[54] for m in sent] == ["2"]
    assert [d.reason for d in denials] == [DenyReason.MAX_ORDER_QTY]
    events = risk.drain_events()
    assert isinstance(events[0], RiskDenied) and events[0].reason is DenyReason.MAX_ORDER_QTY


def test_disconnect_forgets_every_order() -> None:
    om, wire, _ = _manager()
    _live_pair(om, wire)
    gone = om.on_disconnect()
    assert len(gone) == 2 and om.live_orders() == [] and om.resting("ABC") == ((), ())


def test_a_side_moving_alone_keeps_the_pair_within_the_target_width() -> None:
    om, wire, _ = _manager()
    bid_id, ask_id = _live_pair(om, wire)
    om.reconcile("ABC", Ladder(((9995, 100),), ((10015, 100),)), T0 + 1)
    g = {m.values[54]: m for m in wire.take()}
    om.on_execution_report(  # the bid's replace is done, the ask's is still in flight
        _er(cl=g["1"].values[11], orig=bid_id, et="5", status="0", leaves="100", cum="0"), T0 + 2
    )
    # the market drops: the ask cannot move yet (in flight to 100.15), so the bid may not
    # go to 99.85 (30 ticks from the ask): it stops strictly inside the 20-tick target width
    om.reconcile("ABC", Ladder(((9985, 100),), ((10005, 100),)), T0 + 3)
    sent = wire.take()
    assert [(m.msg_type, m.values[54], m.values[44]) for m in sent] == [("G", "1", "99.96")]
    assert ask_id in om.orders


def test_own_lots_count_in_flight_orders_and_what_the_book_may_still_show() -> None:
    om, wire, _ = _manager()
    # sent, not yet acknowledged: already ours (the venue's book may show it first)
    om.reconcile("ABC", Ladder(((9990, 100),), ((10010, 100),)), T0)
    assert om.own_lots("ABC") == ({9990: 100}, {10010: 100})
    ids = []
    for m in wire.take():
        cid = m.values[11]
        om.on_execution_report(
            _er(order_id="V" + cid, cl=cid, et="0", status="0", leaves="100", cum="0"), T0
        )
        ids.append(cid)
    bid_id, ask_id = ids
    assert om.own_lots("ABC") == ({9990: 100}, {10010: 100})
    # a replace in flight: both the old and the new terms may be in the book
    om.reconcile("ABC", Ladder(((9995, 100),), ((10010, 100),)), T0 + 1)
    (g,) = wire.take()
    assert om.own_lots("ABC") == ({9990: 100, 9995: 100}, {10010: 100})
    # replaced: the old price stays ours until the next book update shows it gone
    om.on_execution_report(
        _er(cl=g.values[11], orig=bid_id, et="5", status="0", leaves="100", cum="0"), T0 + 2
    )
    assert om.own_lots("ABC") == ({9990: 100, 9995: 100}, {10010: 100})
    om.book_updated("XYZ")  # another symbol's book: nothing changes
    assert om.own_lots("ABC")[0] == {9990: 100, 9995: 100}
    om.book_updated("ABC")
    assert om.own_lots("ABC") == ({9995: 100}, {10010: 100})
    # a fill: the filled lots until the book shows the trade, the rest while resting
    om.on_execution_report(
        _er(cl=ask_id, et="F", status="1", last_qty="40", last_px="100.10", leaves="60", cum="40"),
        T0 + 3,
    )
    assert om.own_lots("ABC")[1] == {10010: 100}
    om.book_updated("ABC")
    assert om.own_lots("ABC")[1] == {10010: 60}
    # being cancelled: still ours (until confirmed); cancelled: until the next update
    assert om.cancel(om.orders[ask_id], T0 + 4)
    assert om.own_lots("ABC")[1] == {10010: 60}
    (f,) = wire.take()
    om.on_execution_report(
        _er(cl=f.values[11], orig=ask_id, et="4", status="4", leaves="0", cum="40"), T0 + 5
    )
    assert om.own_lots("ABC")[1] == {10010: 60}
    om.book_updated("ABC")
    assert om.own_lots("ABC") == ({9995: 100}, {})
    # same price, smaller size: the difference is what may still show
    om.reconcile("ABC", Ladder(((9995, 40),), ()), T0 + 6)
    (g2,) = wire.take()
    assert g2.values[44] == "99.95" and om.own_lots("ABC")[0] == {9995: 100}
    om.on_execution_report(
        _er(cl=g2.values[11], orig=g.values[11], et="5", status="0", leaves="40", cum="0"), T0 + 7
    )
    assert om.own_lots("ABC")[0] == {9995: 100}
    om.book_updated("ABC")
    assert om.own_lots("ABC")[0] == {9995: 40}
    om.on_disconnect()
    assert om.own_lots("ABC") == ({}, {})


def test_the_ask_moving_alone_keeps_the_pair_within_the_target_width() -> None:
    # the mirror image: the bid's replace in flight, the market rises
    om, wire, _ = _manager()
    bid_id, ask_id = _live_pair(om, wire)
    om.reconcile("ABC", Ladder(((9985, 100),), ((10005, 100),)), T0 + 1)
    g = {m.values[54]: m for m in wire.take()}
    om.on_execution_report(  # the ask's replace is done, the bid's is still in flight
        _er(cl=g["2"].values[11], orig=ask_id, et="5", status="0", leaves="100", cum="0"), T0 + 2
    )
    # the bid cannot move yet (in flight to 99.85), so the ask may not go to 100.15
    # (30 ticks from the bid): it stops strictly inside the 20-tick target width
    om.reconcile("ABC", Ladder(((9995, 100),), ((10015, 100),)), T0 + 3)
    sent = wire.take()
    assert [(m.msg_type, m.values[54], m.values[44]) for m in sent] == [("G", "2", "100.04")]
    assert bid_id in om.orders


def test_messages_refused_before_the_venue_acted_settle_without_an_answer() -> None:
    """A 35=3 / 35=j refusal: no ExecutionReport follows, so the order must not wait for one."""
    om, wire, risk = _manager()
    # a new order refused: rejected, its risk exposure released, its slot free again
    om.reconcile("ABC", Ladder(((9990, 100),), ((10010, 100),)), T0)
    d_bid, d_ask = wire.take()
    ups = om.on_send_rejected("D", d_bid.values[11], "Value is incorrect (out of range) (18)", T0)
    assert [(u.status, u.client_id) for u in ups] == [("rejected", d_bid.values[11])]
    assert d_bid.values[11] not in om.orders and risk.exposure("ABC").open_buy_lots == 0
    assert risk.exposure("ABC").open_sell_lots == 100, "the other side is untouched"
    om.reconcile("ABC", Ladder(((9990, 100),), ((10010, 100),)), T0 + 1)
    again = wire.take()
    assert [(m.msg_type, m.values[54]) for m in again] == [("D", "1")], "the bid is re-placed"
    for m in (again[0], d_ask):
        cid = m.values[11]
        om.on_execution_report(
            _er(order_id="V" + cid, cl=cid, et="0", status="0", leaves="100", cum="0"), T0 + 1
        )
    bid_id = again[0].values[11]
    # a replace refused: the order rests at its old terms and may be replaced again
    om.reconcile("ABC", Ladder(((9995, 100),), ((10010, 100),)), T0 + 2)
    (g,) = wire.take()
    assert g.msg_type == "G" and om.orders[bid_id].state is OrderState.PENDING_REPLACE
    ups = om.on_send_rejected("G", g.values[11], "throttle", T0 + 2)
    assert [u.status for u in ups] == ["replace_rejected"]
    bid = om.orders[bid_id]
    assert bid.state is OrderState.LIVE and bid.px_ticks == 9990 and bid.pending_id is None
    assert g.values[11] not in om.orders
    assert risk.exposure("ABC").open_buy_lots == 100
    om.reconcile("ABC", Ladder(((9995, 100),), ((10010, 100),)), T0 + 3)
    assert [(m.msg_type, m.values[41]) for m in wire.take()] == [("G", bid_id)]
    # a cancel refused (the replace above answered first): the order stays live
    om.on_execution_report(
        _er(cl=om.orders[bid_id].pending_id or "", orig=bid_id, et="5", status="0", leaves="100"),
        T0 + 3,
    )
    om.reconcile("ABC", None, T0 + 4)
    cancels = wire.take()
    assert {m.msg_type for m in cancels} == {"F"}
    f = cancels[0]
    ups = om.on_send_rejected("F", f.values[11], "refused", T0 + 4)
    assert [u.status for u in ups] == ["cancel_rejected"]
    assert om.orders[f.values[41]].state is OrderState.LIVE
    # ids it does not know, or a type that does not match the id's role: nothing happens
    assert om.on_send_rejected("D", "nope", "x", T0 + 5) == []
    assert om.on_send_rejected("D", f.values[41], "x", T0 + 5) == []
    assert om.orders[f.values[41]].state is OrderState.LIVE
