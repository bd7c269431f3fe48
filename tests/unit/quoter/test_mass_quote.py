"""Mass-quote manager: one MassQuote per symbol, state from 35=b / 35=8, QuoteCancel.

First with scripted venue messages (each path on its own), then against the real
venue gateway and matching engine over in-memory FIX sessions: our `resting`
quote must be the venue's (never more than what the venue holds).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from decimal import Decimal

from mmsla.domain import Level, Side
from quoter.fix.codec.framing import RawMessage, encode, parse
from quoter.fix.codec.messages import (
    MassQuote,
    MassQuoteAcknowledgement,
    QuoteEntry,
    QuoteSet,
)
from quoter.fix.session import BaseApplication, Session, SessionConfig
from quoter.intents import Instrument, OrderState, Purpose, TimeInForce
from quoter.mass_quote import MassQuoteManager, VenueManager
from quoter.orders import ManagedOrder, OrderManager, OrderUpdate
from quoter.pricing.ladder import Ladder
from quoter.pricing.requote import RequotePolicy
from quoter.risk import DenyReason, RiskConfig, RiskDenied, RiskEngine, SymbolLimits
from quoter.venue.gateway import Gateway, Member
from quoter.venue.matching import MatchingEngine
from quoter.venue.md_publisher import venue_dictionary
from quoter.venue.rules import MmpSpec, SymbolSpec

ABC = Instrument("ABC", Decimal("0.01"), Decimal(1))
XYZ = Instrument("XYZ", Decimal("0.5"), Decimal(10))
T0 = 1_800_000_000 * 1_000_000_000
L2 = Ladder(((9990, 100), (9980, 150)), ((10010, 100), (10020, 150)))


class Wire:
    """Collects what the manager sends, as parsed FIX messages."""

    def __init__(self) -> None:
        self.sent: list[RawMessage] = []

    def __call__(self, msg_type: str, body: Sequence[tuple[int, str]]) -> None:
        self.sent.append(parse(encode("FIX.4.4", msg_type, [], body)))

    def take(self) -> list[RawMessage]:
        out, self.sent = self.sent, []
        return out


def _manager(
    limits: SymbolLimits | None = None, max_msgs: int | None = None
) -> tuple[MassQuoteManager, Wire, RiskEngine]:
    risk = RiskEngine(RiskConfig((ABC, XYZ), default=limits or SymbolLimits()))
    wire = Wire()
    mq = MassQuoteManager(
        [ABC, XYZ],
        wire,
        risk,
        requote=RequotePolicy(tolerance_ticks=1),
        max_msgs_per_s=max_msgs,
        id_prefix="T",
    )
    return mq, wire, risk


def _entries(m: RawMessage) -> list[QuoteEntry]:
    assert m.msg_type == "i"
    mq = MassQuote.from_raw(m)
    assert len(mq.quote_sets) == 1
    return list(mq.quote_sets[0].entries)


def _ack(m: RawMessage, rejected: dict[int, str] | None = None) -> RawMessage:
    """The venue's 35=b for MassQuote `m`: entry k rejected with the given text."""
    rejected = rejected or {}
    entries = _entries(m)
    echoed = tuple(
        QuoteEntry(
            e.quote_entry_id,
            e.symbol,
            e.bid_px,
            e.offer_px,
            e.bid_size,
            e.offer_size,
            8 if k in rejected else None,
        )
        for k, e in enumerate(entries)
    )
    texts = [f"entry {entries[k].quote_entry_id}: {t}" for k, t in sorted(rejected.items())]
    ack = MassQuoteAcknowledgement(
        5 if len(rejected) == len(entries) else 0,
        quote_id=m.values[117],
        text="; ".join(texts) or None,
        quote_sets=(QuoteSet("1", len(entries), echoed),),
    )
    return parse(encode("FIX.4.4", "b", [], ack.body()))


def _cancel_ack(m: RawMessage, status: str) -> RawMessage:
    assert m.msg_type == "Z"
    return parse(encode("FIX.4.4", "b", [], [(117, m.values[117]), (297, status)]))


def _er(**fields: str) -> RawMessage:
    tags = {
        "order_id": 37,
        "cl": 11,
        "exec_id": 17,
        "et": 150,
        "status": 39,
        "symbol": 55,
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


def _live(mq: MassQuoteManager, wire: Wire, ladder: Ladder = L2) -> list[QuoteEntry]:
    mq.reconcile("ABC", ladder, T0)
    (m,) = wire.take()
    mq.on_execution_report(_ack(m), T0)
    return _entries(m)


def test_both_managers_have_the_engine_protocol_signatures() -> None:
    """The engine picks either manager by profile: same methods, same parameters."""
    members = [n for n in vars(VenueManager) if not n.startswith("_") and n not in ("orders",)]
    assert {"reconcile", "cancel_all", "place", "on_execution_report", "resting"} <= set(members)
    for name in members:
        want = list(inspect.signature(getattr(VenueManager, name)).parameters)
        for cls in (OrderManager, MassQuoteManager):
            got = list(inspect.signature(getattr(cls, name)).parameters)
            assert got == want, (cls.__name__, name)
    mq, wire, risk = _manager()
    assert isinstance(mq.orders, dict) and isinstance(OrderManager([ABC], wire, risk).orders, dict)


def test_one_mass_quote_carries_every_level_and_its_ack_makes_it_rest() -> None:
    mq, wire, risk = _manager()
    assert mq.reconcile("ABC", L2, T0) == []
    sent = wire.take()
    assert [m.msg_type for m in sent] == ["i"], "one message for the whole ladder"
    e0, e1 = _entries(sent[0])
    assert (e0.symbol, e0.bid_px, e0.bid_size, e0.offer_px, e0.offer_size) == (
        "ABC",
        Decimal("99.90"),
        Decimal(100),
        Decimal("100.10"),
        Decimal(100),
    )
    assert (e1.bid_px, e1.bid_size, e1.offer_px, e1.offer_size) == (
        Decimal("99.80"),
        Decimal(150),
        Decimal("100.20"),
        Decimal(150),
    )
    assert e0.quote_entry_id != e1.quote_entry_id
    # sent but not acknowledged: pending, not our confirmed quote; risk already counts it
    assert mq.resting("ABC") == ((), ())
    assert len(mq.live_orders("ABC")) == 4 and len(risk.open_order_ids) == 4
    ups = mq.on_execution_report(_ack(sent[0]), T0 + 1)
    assert sorted(u.status for u in ups) == ["accepted"] * 4
    assert mq.resting("ABC") == (
        (Level(Decimal("99.90"), Decimal(100)), Level(Decimal("99.80"), Decimal(150))),
        (Level(Decimal("100.10"), Decimal(100)), Level(Decimal("100.20"), Decimal(150))),
    )
    assert not mq.in_flight("ABC")


def test_one_in_flight_per_symbol_and_the_latest_target_wins() -> None:
    mq, wire, _ = _manager()
    mq.reconcile("ABC", L2, T0)
    (first,) = wire.take()
    mq.reconcile("ABC", Ladder(((9995, 100),), ((10015, 100),)), T0 + 1)
    mq.reconcile("ABC", Ladder(((9996, 100),), ((10016, 100),)), T0 + 2)
    assert wire.take() == [], "nothing while the first mass quote awaits its ack"
    # another symbol is independent
    mq.reconcile("XYZ", Ladder(((200, 1),), ((202, 1),)), T0 + 2)
    assert [m.values[117] for m in wire.take()] != [first.values[117]]
    mq.on_execution_report(_ack(first), T0 + 3)
    (second,) = wire.take()
    (e0,) = _entries(second)
    assert (e0.bid_px, e0.offer_px) == (Decimal("99.96"), Decimal("100.16"))
    # level 1 is withdrawn by omission; its ack closes it
    ups = mq.on_execution_report(_ack(second), T0 + 4)
    assert sorted(u.status for u in ups) == ["cancelled", "cancelled", "replaced", "replaced"]
    assert mq.resting("ABC") == (
        (Level(Decimal("99.96"), Decimal(100)),),
        (Level(Decimal("100.16"), Decimal(100)),),
    )
    assert wire.take() == [], "no pending target left"


def test_tolerance_keeps_levels_and_unchanged_levels_are_resent_as_they_rest() -> None:
    mq, wire, _ = _manager()
    _live(mq, wire)
    # level 0 one tick narrower, level 1 one tick out: within tolerance, nothing sent
    mq.reconcile("ABC", Ladder(((9989, 100), (9979, 150)), ((10011, 100), (10021, 150))), T0 + 1)
    assert wire.take() == []
    # only level 1 moves beyond tolerance: level 0 is re-sent at its resting terms
    mq.reconcile("ABC", Ladder(((9990, 100), (9970, 150)), ((10010, 100), (10030, 150))), T0 + 2)
    (m,) = wire.take()
    e0, e1 = _entries(m)
    assert (e0.bid_px, e0.bid_size, e0.offer_px) == (
        Decimal("99.90"),
        Decimal(100),
        Decimal("100.10"),
    )
    assert (e1.bid_px, e1.offer_px) == (Decimal("99.70"), Decimal("100.30"))
    ups = mq.on_execution_report(_ack(m), T0 + 3)
    assert sorted(u.status for u in ups) == ["replaced", "replaced"], "kept levels do not change"
    # the best level never rests wider than its target
    mq.reconcile("ABC", Ladder(((9991, 100), (9970, 150)), ((10010, 100), (10030, 150))), T0 + 4)
    (m,) = wire.take()
    assert _entries(m)[0].bid_px == Decimal("99.91")


def test_partial_reject_is_not_counted_as_resting_and_is_resent() -> None:
    mq, wire, risk = _manager()
    mq.reconcile("ABC", L2, T0)
    (m,) = wire.take()
    ups = mq.on_execution_report(_ack(m, {1: "price band"}), T0 + 1)
    rejected = [u for u in ups if u.status == "rejected"]
    assert len(rejected) == 2 and all("price band" in u.reason for u in rejected)
    assert mq.resting("ABC") == (
        (Level(Decimal("99.90"), Decimal(100)),),
        (Level(Decimal("100.10"), Decimal(100)),),
    )
    # the venue's 368 is per entry: either side may rest, so risk still counts both
    assert len(risk.open_order_ids) == 4
    # the same target again: the uncertain level is re-sent, which settles it
    mq.reconcile("ABC", L2, T0 + 2)
    (m2,) = wire.take()
    e0, e1 = _entries(m2)
    assert e1.bid_px == Decimal("99.80") and e0.bid_px == Decimal("99.90")
    mq.on_execution_report(_ack(m2), T0 + 3)
    assert len(mq.resting("ABC")[0]) == 2 and len(risk.open_order_ids) == 4


def test_reject_of_a_resting_level_withdraws_it_from_the_quote_log() -> None:
    mq, wire, _ = _manager()
    _live(mq, wire)
    mq.reconcile("ABC", Ladder(((9990, 100), (9970, 150)), ((10010, 100), (10030, 150))), T0 + 1)
    (m,) = wire.take()
    ups = mq.on_execution_report(_ack(m, {1: "price band"}), T0 + 2)
    # a cancelled update (the app writes the quote log on it) for each formerly resting side
    assert sorted(u.status for u in ups) == ["cancelled", "cancelled"]
    assert all("state unknown" in u.reason for u in ups)
    assert len(mq.resting("ABC")[0]) == 1


def test_whole_mass_quote_rejected() -> None:
    mq, wire, _ = _manager()
    mq.reconcile("ABC", L2, T0)
    (m,) = wire.take()
    mq.on_execution_report(_ack(m, {0: "market closed", 1: "market closed"}), T0 + 1)
    assert mq.resting("ABC") == ((), ())
    assert not mq.in_flight("ABC")


def test_fills_reach_inventory_and_close_levels() -> None:
    mq, wire, risk = _manager()
    e0, _ = _live(mq, wire)
    ups = mq.on_execution_report(
        _er(
            order_id="7",
            cl=e0.quote_entry_id,
            exec_id="X1",
            et="F",
            status="1",
            side="1",
            qty="100",
            px="99.90",
            last_qty="40",
            last_px="99.90",
            leaves="60",
            cum="40",
            liq="1",
            fee="-0.008",
            comm_type="3",
            ts="20261123-09:00:01.000",
        ),
        T0 + 1,
    )
    (u,) = ups
    assert u.status == "partially_filled" and u.leaves == Decimal(60) and u.venue_id == "7"
    f = u.fill
    assert f is not None and f.side is Side.BUY and f.qty == Decimal(40)
    assert f.px == Decimal("99.90") and f.fee == Decimal("-0.008") and f.liquidity == "maker"
    assert f.order_id == e0.quote_entry_id and f.trade_id == "X1"
    assert risk.position_lots("ABC") == 40
    assert mq.resting("ABC")[0][0] == Level(Decimal("99.90"), Decimal(60))
    ups = mq.on_execution_report(
        _er(
            cl=e0.quote_entry_id,
            et="F",
            status="2",
            side="1",
            last_qty="60",
            last_px="99.90",
            leaves="0",
            cum="100",
        ),
        T0 + 2,
    )
    assert [u.status for u in ups] == ["filled"]
    assert mq.resting("ABC")[0] == (Level(Decimal("99.80"), Decimal(150)),)
    assert risk.position_lots("ABC") == 100 and len(risk.open_order_ids) == 3
    # the level is short of its target: the next reconcile sends it again
    mq.reconcile("ABC", L2, T0 + 3)
    (m,) = wire.take()
    assert _entries(m)[0].bid_size == Decimal(100)


def test_a_fill_of_the_version_in_flight_is_settled_by_the_ack() -> None:
    mq, wire, risk = _manager()
    mq.reconcile("ABC", L2, T0)
    (m,) = wire.take()
    e0 = _entries(m)[0]
    # the new quote traded on entry: its fill report precedes the ack
    ups = mq.on_execution_report(
        _er(
            cl=e0.quote_entry_id,
            et="F",
            status="1",
            side="2",
            last_qty="30",
            last_px="100.10",
            leaves="70",
            liq="2",
        ),
        T0 + 1,
    )
    assert ups[0].fill is not None and ups[0].fill.liquidity == "taker"
    assert risk.position_lots("ABC") == -30
    mq.on_execution_report(_ack(m), T0 + 2)
    assert mq.resting("ABC")[1][0] == Level(Decimal("100.10"), Decimal(70))


def test_a_level_filled_while_resent_unchanged_is_reentered_and_still_moves() -> None:
    mq, wire, risk = _manager()
    _, e1 = _live(mq, wire)
    # level 0 moves; level 1 is re-sent unchanged ("keep")
    mq.reconcile("ABC", Ladder(((9995, 100), (9980, 150)), ((10015, 100), (10020, 150))), T0 + 1)
    (m,) = wire.take()
    # ... but the venue filled level 1's ask before it saw the mass quote
    mq.on_execution_report(
        _er(
            cl=e1.quote_entry_id,
            et="F",
            status="2",
            side="2",
            last_qty="150",
            last_px="100.20",
            leaves="0",
        ),
        T0 + 2,
    )
    assert risk.position_lots("ABC") == -150
    # the venue enters the re-sent entry afresh: it rests again at the re-sent terms
    ups = mq.on_execution_report(_ack(m), T0 + 3)
    assert ("replaced", Side.SELL, Decimal("100.20")) in [(u.status, u.side, u.px) for u in ups]
    assert Level(Decimal("100.20"), Decimal(150)) in mq.resting("ABC")[1]
    # and a later move of that level goes out (as a new order for risk, not a replace)
    denials = mq.reconcile(
        "ABC", Ladder(((9995, 100), (9980, 150)), ((10015, 100), (10030, 150))), T0 + 4
    )
    assert denials == []
    (m2,) = wire.take()
    assert _entries(m2)[1].offer_px == Decimal("100.30")
    mq.on_execution_report(_ack(m2), T0 + 5)
    assert Level(Decimal("100.30"), Decimal(150)) in mq.resting("ABC")[1]


def test_own_lots_counts_resting_and_in_flight_terms() -> None:
    mq, wire, _ = _manager()
    assert mq.own_lots("ABC") == ({}, {})
    mq.reconcile("ABC", Ladder(((9990, 100),), ((10010, 100),)), T0)
    (m,) = wire.take()
    # sent, not acknowledged: the venue's book may already show it
    assert mq.own_lots("ABC") == ({9990: 100}, {10010: 100})
    mq.on_execution_report(_ack(m), T0 + 1)
    mq.reconcile("ABC", Ladder(((9995, 100),), ((10010, 100),)), T0 + 2)
    wire.take()
    # a move in flight: old and new terms both count
    assert mq.own_lots("ABC") == ({9990: 100, 9995: 100}, {10010: 100})


def test_own_lots_keep_what_left_until_the_next_book_update() -> None:
    """The venue's 35=b can reach us before its book update: a level it says moved
    or left is still ours on the book we hold until that update arrives."""
    mq, wire, _ = _manager()
    _live(mq, wire, Ladder(((9990, 100),), ((10010, 100),)))
    mq.book_updated("ABC")
    mq.reconcile("ABC", Ladder(((9995, 100),), ((10010, 100),)), T0 + 1)
    (m,) = wire.take()
    mq.on_execution_report(_ack(m), T0 + 2)
    assert mq.resting("ABC")[0] == (Level(Decimal("99.95"), Decimal(100)),)
    assert mq.own_lots("ABC") == ({9990: 100, 9995: 100}, {10010: 100})
    mq.book_updated("ABC")
    assert mq.own_lots("ABC") == ({9995: 100}, {10010: 100})
    # a fill that takes the whole bid: gone from the quote, still ours until the update
    (bid_id,) = [lv.client_id for lv in mq.live_orders("ABC") if lv.side is Side.BUY]
    mq.on_execution_report(
        _er(
            cl=bid_id,
            side="1",
            et="F",
            status="2",
            last_qty="100",
            last_px="99.95",
            leaves="0",
            cum="100",
        ),
        T0 + 3,
    )
    assert mq.resting("ABC")[0] == ()
    assert mq.own_lots("ABC") == ({9995: 100}, {10010: 100})
    mq.book_updated("ABC")
    assert mq.own_lots("ABC") == ({}, {10010: 100})


def test_unsolicited_cancel_closes_the_level() -> None:
    mq, wire, risk = _manager()
    e0, _ = _live(mq, wire)
    ups = mq.on_execution_report(
        _er(cl=e0.quote_entry_id, et="4", status="4", side="2", leaves="0", text="MMP"), T0 + 1
    )
    assert [(u.status, u.reason, u.side) for u in ups] == [("cancelled", "MMP", Side.SELL)]
    assert len(mq.resting("ABC")[1]) == 1 and len(risk.open_order_ids) == 3


def test_pull_sends_quote_cancel_by_symbol_and_kill_cancels_all() -> None:
    mq, wire, risk = _manager()
    _live(mq, wire)
    n = mq.cancel_all(T0 + 1, "ABC")
    (z,) = wire.take()
    assert n == 4 and z.msg_type == "Z" and z.values[298] == "1" and z.values[55] == "ABC"
    # not repeated while in flight (the app calls it on every update while pulled)
    mq.cancel_all(T0 + 2, "ABC")
    assert wire.take() == []
    # nor does a new target go out before the cancel is acknowledged
    mq.reconcile("ABC", L2, T0 + 2)
    assert wire.take() == []
    ups = mq.on_execution_report(_cancel_ack(z, "1"), T0 + 3)
    assert sorted(u.status for u in ups) == ["cancelled"] * 4
    assert mq.resting("ABC") == ((), ()) and mq.live_orders() == []
    assert risk.open_order_ids == frozenset()
    # kill: one QuoteCancel for everything, whatever is in flight
    mq.reconcile("ABC", L2, T0 + 4)
    mq.reconcile("XYZ", Ladder(((200, 1),), ((202, 1),)), T0 + 4)
    wire.take()
    mq.cancel_all(T0 + 5)
    (z,) = wire.take()
    assert z.values[298] == "4"
    mq.on_execution_report(_cancel_ack(z, "4"), T0 + 6)
    assert mq.live_orders() == []


def test_risk_denied_level_is_left_out() -> None:
    mq, wire, risk = _manager(SymbolLimits(max_order_qty=Decimal(120)))
    denials = mq.reconcile("ABC", L2, T0)
    assert [d.reason for d in denials] == [DenyReason.MAX_ORDER_QTY] * 2
    assert sum(isinstance(e, RiskDenied) for e in risk.drain_events()) == 2
    (m,) = wire.take()
    (e0,) = _entries(m)
    assert e0.bid_size == Decimal(100) and e0.offer_size == Decimal(100)


def test_risk_denied_change_keeps_the_resting_level() -> None:
    mq, wire, risk = _manager(SymbolLimits(price_collar_bps=Decimal(100)))
    risk.set_reference("ABC", 10000)
    _live(mq, wire)
    # the bids would leave the 1% collar: denied, they stay where they rest; asks move
    denials = mq.reconcile(
        "ABC", Ladder(((9850, 100), (9840, 150)), ((10012, 100), (10022, 150))), T0 + 1
    )
    assert [d.reason for d in denials] == [DenyReason.PRICE_COLLAR] * 2
    (m,) = wire.take()
    e0, e1 = _entries(m)
    assert (e0.bid_px, e1.bid_px) == (Decimal("99.90"), Decimal("99.80"))
    assert (e0.offer_px, e1.offer_px) == (Decimal("100.12"), Decimal("100.22"))
    mq.on_execution_report(_ack(m), T0 + 2)
    assert [lv.px for lv in mq.resting("ABC")[0]] == [Decimal("99.90"), Decimal("99.80")]


def test_throttle_defers_to_the_next_reconcile() -> None:
    mq, wire, _ = _manager(max_msgs=1)
    _live(mq, wire)
    mq.reconcile("ABC", Ladder(((9995, 100),), ((10015, 100),)), T0 + 10)
    assert wire.take() == [] and mq.deferred == 1
    mq.reconcile("ABC", Ladder(((9995, 100),), ((10015, 100),)), T0 + 1_000_000_000)
    assert [m.msg_type for m in wire.take()] == ["i"]


def test_disconnect_assumes_every_quote_gone() -> None:
    mq, wire, _ = _manager()
    _live(mq, wire)
    mq.reconcile("ABC", Ladder(((9995, 100),), ((10015, 100),)), T0 + 1)
    wire.take()
    gone = mq.on_disconnect()
    assert len(gone) == 4
    assert mq.live_orders() == [] and mq.resting("ABC") == ((), ()) and not mq.orders
    assert not mq.in_flight("ABC")


def test_hedges_are_ioc_orders_routed_to_their_own_manager() -> None:
    mq, wire, risk = _manager()
    r = mq.place(
        ABC, Side.SELL, 9980, 50, T0, tif=TimeInForce.IOC, purpose=Purpose.HEDGE, client_id="H1"
    )
    assert isinstance(r, ManagedOrder) and r.purpose is Purpose.HEDGE
    (d,) = wire.take()
    assert d.msg_type == "D" and d.values[59] == "3" and d.values[11] == "H1" and 18 not in d.values
    ups = mq.on_execution_report(
        _er(cl="H1", et="F", status="2", side="2", last_qty="50", last_px="99.80", leaves="0"),
        T0 + 1,
    )
    assert [(u.status, u.purpose) for u in ups] == [("filled", Purpose.HEDGE)]
    assert risk.position_lots("ABC") == -50
    assert mq.live_orders() == [] and mq.orders == {}
    assert r.state is OrderState.FILLED


# ---- against the real venue gateway (in-memory FIX sessions, no sockets) ----------------


class _Member(BaseApplication):
    def __init__(self, on_msg: Callable[[RawMessage], None]) -> None:
        self.on_msg = on_msg

    def on_message(self, session: Session, msg: RawMessage) -> None:
        self.on_msg(msg)


class _RealVenue:
    """The venue's gateway and matching engine; MM1 is our manager, MM2 another member."""

    def __init__(self, spec: SymbolSpec) -> None:
        self.engine = MatchingEngine([spec])
        self.now = T0
        members = (Member("MM1", "u1", "p1"), Member("MM2", "u2", "p2"))
        self.gateway = Gateway(self.engine, [spec], members, lambda: self.now)
        self.risk = RiskEngine(RiskConfig((ABC,)))
        self.mq = MassQuoteManager(
            [ABC],
            lambda mt, body: self.sessions["MM1"][0].send(mt, body),
            self.risk,
            requote=RequotePolicy(tolerance_ticks=1),
            id_prefix="T",
        )
        self.updates: list[OrderUpdate] = []
        self.other: list[RawMessage] = []
        apps = {
            "MM1": _Member(lambda m: self.updates.extend(self.mq.on_execution_report(m, self.now))),
            "MM2": _Member(self.other.append),
        }
        self.sessions: dict[str, tuple[Session, Session]] = {}
        for m in members:
            acc = Session(
                SessionConfig(
                    "VENUE", m.comp_id, role="acceptor", credentials={m.username: m.password}
                ),
                app=self.gateway,
                dictionary=venue_dictionary(),
            )
            ini = Session(
                SessionConfig(m.comp_id, "VENUE", username=m.username, password=m.password),
                app=apps[m.comp_id],
                dictionary=venue_dictionary(),
            )
            acc.connection_made()
            ini.connection_made()
            self.sessions[m.comp_id] = (ini, acc)
        self.pump()

    def pump(self, only: str | None = None) -> None:
        moved = True
        while moved:
            moved = False
            for name, (ini, acc) in self.sessions.items():
                if only is not None and name != only:
                    continue
                for src, dst in ((ini, acc), (acc, ini)):
                    data = src.data_to_send()
                    if data and dst.connected:
                        dst.data_received(data)
                        moved = True

    def quote(self, ladder: Ladder | None, *, pump: bool = True) -> None:
        self.now += 1_000_000
        self.mq.reconcile("ABC", ladder, self.now)
        if pump:
            self.pump()

    def take(self, side: str, px: str, qty: str, *, only: str | None = None) -> None:
        """MM2 sends an IOC against our quote."""
        body = [(11, f"x{self.now}"), (55, "ABC"), (54, side), (60, "20260101-00:00:00")]
        body += [(38, qty), (40, "2"), (44, px), (59, "3")]
        self.now += 1_000_000
        self.sessions["MM2"][0].send("D", body)
        self.pump(only)

    def ours(self) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
        """Our quote as the venue holds it (the truth `resting` must not exceed)."""
        agg: dict[Side, dict[int, int]] = {Side.BUY: {}, Side.SELL: {}}
        for o in self.engine.orders_of("MM1", "ABC"):
            side = Side.BUY if o.side == 1 else Side.SELL
            agg[side][o.px] = agg[side].get(o.px, 0) + o.qty
        tick = ABC.tick
        bids, asks = agg[Side.BUY], agg[Side.SELL]
        return (
            tuple(Level(p * tick, Decimal(bids[p])) for p in sorted(bids, reverse=True)),
            tuple(Level(p * tick, Decimal(asks[p])) for p in sorted(asks)),
        )


def test_real_gateway_resting_is_the_venue_quote_through_moves_fills_and_cancel() -> None:
    v = _RealVenue(SymbolSpec("ABC", Decimal("0.01"), Decimal(1)))
    assert all(acc.is_logged_on for _, acc in v.sessions.values())
    v.quote(L2)
    assert v.mq.resting("ABC") == v.ours() and len(v.ours()[0]) == 2
    v.quote(Ladder(((9995, 100), (9985, 150)), ((10015, 100), (10025, 150))))
    assert v.mq.resting("ABC") == v.ours() and v.ours()[0][0].px == Decimal("99.95")
    # another member takes 40 of our best bid: the fill reaches us, the leaves agree
    v.take("2", "99.95", "40")
    assert [u.status for u in v.updates[-1:]] == ["partially_filled"]
    assert v.risk.position_lots("ABC") == 40
    assert v.mq.resting("ABC") == v.ours() and v.ours()[0][0].qty == Decimal(60)
    # back to full size; then size down in place (the venue keeps priority and says 150=5)
    v.quote(Ladder(((9995, 100), (9985, 150)), ((10015, 100), (10025, 150))))
    assert v.mq.resting("ABC") == v.ours() and v.ours()[0][0].qty == Decimal(100)
    v.quote(Ladder(((9995, 100), (9985, 120)), ((10015, 100), (10025, 120))))
    assert v.mq.resting("ABC") == v.ours() and v.ours()[0][1].qty == Decimal(120)
    # one level fewer: the omitted level is withdrawn
    v.quote(Ladder(((9995, 100),), ((10015, 100),)))
    assert v.mq.resting("ABC") == v.ours() and len(v.ours()[1]) == 1
    v.mq.cancel_all(v.now)
    v.pump()
    assert v.ours() == ((), ()) and v.mq.resting("ABC") == ((), ()) and not v.mq.live_orders()


def test_real_gateway_quote_that_trades_on_entry() -> None:
    v = _RealVenue(SymbolSpec("ABC", Decimal("0.01"), Decimal(1)))
    ask = [(11, "a1"), (55, "ABC"), (54, "2"), (60, "20260101-00:00:00"), (38, "30")]
    ask += [(40, "2"), (44, "100.05"), (59, "1")]
    v.sessions["MM2"][0].send("D", ask)
    v.pump()
    # our bid at the other member's ask: 30 trade at once, 70 rest
    v.quote(Ladder(((10005, 100),), ((10025, 100),)))
    fills = [u.fill for u in v.updates if u.fill is not None]
    assert len(fills) == 1 and fills[0].liquidity == "taker" and fills[0].qty == Decimal(30)
    assert v.risk.position_lots("ABC") == 30
    assert (
        v.mq.resting("ABC")
        == v.ours()
        == (
            (Level(Decimal("100.05"), Decimal(70)),),
            (Level(Decimal("100.25"), Decimal(100)),),
        )
    )


def test_real_gateway_rejected_entry_is_never_over_reported() -> None:
    spec = SymbolSpec("ABC", Decimal("0.01"), Decimal(1), price_band_bps=Decimal(100))
    v = _RealVenue(spec)
    v.engine.set_reference("ABC", 10000)
    # level 1's ask is outside the venue's 1% band: entry 1 is rejected and, an entry
    # being all or nothing at the venue, its valid bid does not rest either
    v.quote(Ladder(((9990, 100), (9980, 150)), ((10010, 100), (10150, 150))))
    assert any(u.status == "rejected" for u in v.updates)
    assert v.ours() == (
        (Level(Decimal("99.90"), Decimal(100)),),
        (Level(Decimal("100.10"), Decimal(100)),),
    )
    assert v.mq.resting("ABC") == v.ours(), "only what is known to rest"
    # a valid level 1 settles it: the venue and our view agree again
    v.quote(Ladder(((9990, 100), (9980, 150)), ((10010, 100), (10020, 150))))
    assert v.mq.resting("ABC") == v.ours() and len(v.ours()[1]) == 2


def test_real_gateway_fill_racing_a_mass_quote_that_keeps_the_level() -> None:
    v = _RealVenue(SymbolSpec("ABC", Decimal("0.01"), Decimal(1)))
    v.quote(L2)
    # a move of level 0 is on the wire (level 1 re-sent as it rests) ...
    v.quote(Ladder(((9995, 100), (9980, 150)), ((10015, 100), (10020, 150))), pump=False)
    # ... when the other member takes all of our level-1 bid, before the venue reads it
    v.take("2", "99.80", "150", only="MM2")
    v.pump()
    assert v.risk.position_lots("ABC") == 150
    # the venue entered the kept entry afresh: our view follows it
    assert Level(Decimal("99.80"), Decimal(150)) in v.ours()[0]
    assert v.mq.resting("ABC") == v.ours()
    # and the level still moves later
    v.quote(Ladder(((9995, 100), (9970, 150)), ((10015, 100), (10020, 150))))
    assert v.mq.resting("ABC") == v.ours() and v.ours()[0][1].px == Decimal("99.70")


def test_real_gateway_market_maker_protection_pulls_the_quote() -> None:
    spec = SymbolSpec("ABC", Decimal("0.01"), Decimal(1), mmp=MmpSpec(2, 1000))
    v = _RealVenue(spec)
    v.quote(L2)
    v.take("2", "99.90", "10")
    v.take("2", "99.90", "10")  # the second passive fill trips the protection
    cancels = [u for u in v.updates if u.status == "cancelled"]
    assert cancels, "the venue's unsolicited cancels reach the manager"
    assert v.ours() == ((), ()) and v.mq.resting("ABC") == ((), ())
    assert v.risk.position_lots("ABC") == 20
    # quoting again puts the whole ladder back
    v.quote(L2)
    assert v.mq.resting("ABC") == v.ours() and len(v.ours()[0]) == 2


def test_a_mass_quote_or_cancel_refused_before_the_venue_acted_does_not_block_the_symbol() -> None:
    """35=3 / 35=j: no 35=b will come; the symbol must not wait for one forever."""
    mq, wire, risk = _manager()
    _live(mq, wire)
    mq.reconcile("ABC", Ladder(((9995, 100),), ((10015, 100),)), T0 + 1)
    (m,) = wire.take()
    assert mq.in_flight("ABC")
    mq.reconcile("ABC", Ladder(((9996, 100),), ((10016, 100),)), T0 + 2)
    assert wire.take() == [], "waiting for the ack"
    ups = mq.on_send_rejected("i", m.values[117], "Invalid tag number (1234)", T0 + 3)
    # settled as refused as a whole: what rested is no longer counted as resting ...
    assert sorted(u.status for u in ups) == ["cancelled"] * 4
    assert all("state unknown: Invalid tag number" in u.reason for u in ups)
    assert mq.resting("ABC") == ((), ())
    # ... but stays open for risk (level 1's withdrawal by omission did not happen either)
    assert len(risk.open_order_ids) == 4
    # ... and the newest target goes out at once, which settles the levels
    (m2,) = wire.take()
    assert m2.values[117] != m.values[117]
    (e0,) = _entries(m2)
    assert (e0.bid_px, e0.offer_px) == (Decimal("99.96"), Decimal("100.16"))
    mq.on_execution_report(_ack(m2), T0 + 4)
    assert mq.resting("ABC") == (
        (Level(Decimal("99.96"), Decimal(100)),),
        (Level(Decimal("100.16"), Decimal(100)),),
    )
    # a refused QuoteCancel: the quote stays, and the next pull sends another
    mq.cancel_all(T0 + 5, "ABC")
    (z,) = wire.take()
    assert mq.on_send_rejected("Z", z.values[117], "throttled", T0 + 6) == []
    assert len(mq.resting("ABC")[0]) == 1 and not mq.in_flight("ABC")
    mq.cancel_all(T0 + 7, "ABC")
    assert [x.msg_type for x in wire.take()] == ["Z"]
    # unknown ids change nothing
    assert mq.on_send_rejected("i", "nope", "x", T0 + 8) == []
    assert len(risk.open_order_ids) == 2


def test_a_mass_quote_rejected_as_a_whole_changes_nothing_known() -> None:
    """297=5: the venue may have withdrawn what the message left out (its entries
    failed) or kept the old quote (the symbol refused outright): until the next
    MassQuote settles it, nothing counts as resting and everything stays open for risk."""
    mq, wire, risk = _manager()
    _, e1 = _live(mq, wire)
    mq.reconcile("ABC", Ladder(((9995, 100),), ((10015, 100),)), T0 + 1)
    (m,) = wire.take()
    ups = mq.on_execution_report(_ack(m, {0: "market closed"}), T0 + 2)
    assert sorted(u.status for u in ups) == ["cancelled"] * 4
    assert all("state unknown" in u.reason for u in ups)
    assert any("market closed" in u.reason for u in ups), "the entry's own reason is kept"
    assert mq.resting("ABC") == ((), ()) and not mq.in_flight("ABC")
    assert len(risk.open_order_ids) == 4, "level 1 was left out, not known to be withdrawn"
    # the old level 1 may still rest: a fill of it is still booked
    ups = mq.on_execution_report(
        _er(cl=e1.quote_entry_id, side="2", et="F", status="1", last_qty="50", last_px="100.20"),
        T0 + 3,
    )
    assert [u.fill is not None for u in ups] == [True] and risk.position_lots("ABC") == -50
    # the next target settles it
    mq.reconcile("ABC", Ladder(((9995, 100),), ((10015, 100),)), T0 + 4)
    (m2,) = wire.take()
    mq.on_execution_report(_ack(m2), T0 + 5)
    assert mq.resting("ABC") == (
        (Level(Decimal("99.95"), Decimal(100)),),
        (Level(Decimal("100.15"), Decimal(100)),),
    )
    assert len(risk.open_order_ids) == 2
