"""Matching engine: priority, fills, replace, post-only, STP, fees, protections, quotes."""

from __future__ import annotations

from decimal import Decimal

from mmsla.domain import Side
from quoter.venue.events import (
    Accepted,
    BookChanged,
    Cancelled,
    CancelReason,
    Event,
    Fill,
    PhaseChanged,
    ProtectionTriggered,
    QuoteStatus,
    Rejected,
    RejectReason,
    Replaced,
    TradePrinted,
    TradingPhase,
)
from quoter.venue.matching import MatchingEngine
from quoter.venue.rules import MmpSpec, PostOnlyMode, StpMode, SymbolSpec, ThrottleSpec, VenueRules

B, S = Side.BUY, Side.SELL
SPEC = SymbolSpec("ABC", tick=Decimal("0.01"), lot=Decimal("1"))


def engine(spec: SymbolSpec = SPEC, **rules: object) -> MatchingEngine:
    return MatchingEngine([spec], VenueRules(**rules))  # type: ignore[arg-type]


def of(events: list[Event], kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, kind)]


def oid(events: list[Event]) -> int:
    return of(events, Accepted)[0].order_id  # type: ignore[no-any-return]


def test_price_time_priority_and_partial_fills() -> None:
    e = engine()
    a = oid(e.submit("m1", "ABC", S, 10_001, 5, 1))
    b = oid(e.submit("m2", "ABC", S, 10_000, 5, 2))  # better price, later
    c = oid(e.submit("m3", "ABC", S, 10_000, 5, 3))  # same price, later than b
    ev = e.submit("t", "ABC", B, 10_001, 12, 4)
    fills = of(ev, Fill)
    assert [(f.maker_order_id, f.px, f.qty) for f in fills] == [
        (b, 10_000, 5),
        (c, 10_000, 5),
        (a, 10_001, 2),
    ]
    assert [f.taker_leaves for f in fills] == [7, 2, 0]
    assert fills[-1].maker_leaves == 3
    assert [t.aggressor for t in of(ev, TradePrinted)] == [B, B, B]
    assert e.book("ABC").top(5) == ((), ((10_001, 3),))
    assert of(ev, BookChanged)[-1].asks == ((10_001, 3),)
    assert e.order(a) is not None and e.order(a).filled == 2  # type: ignore[union-attr]
    assert e.order(b) is None


def test_limit_remainder_rests_and_ioc_remainder_cancelled() -> None:
    e = engine()
    e.submit("m1", "ABC", S, 100, 3, 1)
    ev = e.submit("t", "ABC", B, 100, 5, 2)
    assert e.book("ABC").top(1) == (((100, 2),), ())
    ev = e.submit("m1", "ABC", S, 100, 1, 3)
    assert of(ev, Fill)[0].qty == 1
    e.submit("m1", "ABC", S, 101, 2, 4)
    ev = e.submit("t2", "ABC", B, 101, 10, 5, ioc=True)
    assert [c.reason for c in of(ev, Cancelled)] == [CancelReason.IOC_REMAINDER]
    assert of(ev, Cancelled)[0].qty == 8
    assert e.book("ABC").top(1) == (((100, 1),), ())


def test_cancel_and_unknown_order() -> None:
    e = engine()
    a = oid(e.submit("m1", "ABC", B, 100, 3, 1))
    assert of(e.cancel("m2", a, 2), Rejected)[0].reason is RejectReason.UNKNOWN_ORDER
    ev = e.cancel("m1", a, 3)
    assert of(ev, Cancelled)[0].qty == 3
    assert of(ev, BookChanged)[0].bids == ()
    assert of(e.cancel("m1", a, 4), Rejected)[0].reason is RejectReason.UNKNOWN_ORDER


def test_replace_keeps_priority_only_on_size_decrease_at_same_price() -> None:
    e = engine()
    a = oid(e.submit("m1", "ABC", B, 100, 5, 1))
    b = oid(e.submit("m2", "ABC", B, 100, 5, 2))
    r = of(e.replace("m1", a, 100, 4, 3), Replaced)[0]
    assert r.priority_kept and r.qty == 4
    assert [o.order_id for o in e.book("ABC").bids.level(100).live()] == [a, b]  # type: ignore[union-attr]
    r = of(e.replace("m1", a, 100, 6, 4), Replaced)[0]  # size increase: back of the queue
    assert not r.priority_kept
    assert [o.order_id for o in e.book("ABC").bids.level(100).live()] == [b, a]  # type: ignore[union-attr]
    r = of(e.replace("m2", b, 99, 5, 5), Replaced)[0]  # price change: loses priority
    assert not r.priority_kept
    r = of(e.replace("m2", b, 100, 5, 6), Replaced)[0]
    assert [o.order_id for o in e.book("ABC").bids.level(100).live()] == [a, b]  # type: ignore[union-attr]
    # replace quantity is the total order quantity: leaves = qty - filled
    e.submit("s", "ABC", S, 100, 2, 7)  # fills a by 2, a has 4 left of 6
    r = of(e.replace("m1", a, 100, 5, 8), Replaced)[0]
    assert r.qty == 3 and r.priority_kept
    assert (
        of(e.replace("m1", a, 100, 2, 9), Rejected)[0].reason is RejectReason.QTY_NOT_ABOVE_FILLED
    )


def test_replace_to_crossing_price_trades() -> None:
    e = engine()
    e.submit("m1", "ABC", S, 101, 3, 1)
    a = oid(e.submit("m2", "ABC", B, 99, 5, 2))
    ev = e.replace("m2", a, 101, 5, 3)
    assert isinstance(ev[0], Replaced)
    f = of(ev, Fill)[0]
    assert (f.taker_order_id, f.qty, f.px, f.taker_leaves) == (a, 3, 101, 2)
    assert e.book("ABC").top(1) == (((101, 2),), ())
    e.submit("m1", "ABC", S, 102, 9, 4)
    assert of(e.replace("m2", a, 102, 5, 5), Fill)[0].taker_leaves == 0  # 3 filled before
    assert e.order(a) is None and e.orders_of("m2") == []


def test_post_only_reject_mode() -> None:
    e = engine(post_only=PostOnlyMode.REJECT)
    e.submit("m1", "ABC", S, 101, 3, 1)
    ev = e.submit("m2", "ABC", B, 101, 1, 2, post_only=True)
    assert of(ev, Rejected)[0].reason is RejectReason.POST_ONLY_WOULD_CROSS
    assert not of(ev, Fill)
    ev = e.submit("m2", "ABC", B, 100, 1, 3, post_only=True)
    assert of(ev, Accepted)[0].px == 100


def test_post_only_slide_mode() -> None:
    e = engine(post_only=PostOnlyMode.SLIDE)
    e.submit("m1", "ABC", S, 101, 3, 1)
    e.submit("m1", "ABC", B, 95, 3, 1)
    acc = of(e.submit("m2", "ABC", B, 105, 1, 2, post_only=True), Accepted)[0]
    assert (acc.px, acc.slid) == (100, True)
    acc = of(e.submit("m2", "ABC", S, 90, 1, 3, post_only=True), Accepted)[0]
    assert (acc.px, acc.slid) == (101, True)  # one tick behind the best bid, joins the ask
    assert e.book("ABC").top(1) == (((100, 1),), ((101, 4),))


def test_self_trade_prevention_modes() -> None:
    # default: cancel incoming; the other member's order behind is untouched
    e = engine()
    a = oid(e.submit("m1", "ABC", S, 100, 3, 1))
    ev = e.submit("m1", "ABC", B, 100, 2, 2)
    assert not of(ev, Fill)
    assert [(c.order_id, c.reason) for c in of(ev, Cancelled)] == [(a + 1, CancelReason.SELF_TRADE)]
    assert e.order(a) is not None

    e = engine(stp=StpMode.CANCEL_RESTING)
    a = oid(e.submit("m1", "ABC", S, 100, 3, 1))
    e.submit("m2", "ABC", S, 100, 3, 2)
    ev = e.submit("m1", "ABC", B, 100, 2, 3)
    assert [c.order_id for c in of(ev, Cancelled)] == [a]
    assert [f.maker_member for f in of(ev, Fill)] == ["m2"]

    e = engine(stp=StpMode.CANCEL_BOTH)
    a = oid(e.submit("m1", "ABC", S, 100, 3, 1))
    e.submit("m2", "ABC", S, 100, 3, 2)
    ev = e.submit("m1", "ABC", B, 100, 2, 3)
    assert sorted(c.order_id for c in of(ev, Cancelled)) == [a, a + 2]
    assert not of(ev, Fill)
    assert e.book("ABC").top(1) == ((), ((100, 3),))


def test_fees_and_rebates_are_exact() -> None:
    spec = SymbolSpec(
        "ABC",
        tick=Decimal("0.01"),
        lot=Decimal("0.001"),
        maker_fee_bps=Decimal("-0.25"),
        taker_fee_bps=Decimal("1.5"),
    )
    e = engine(spec)
    e.submit("mk", "ABC", S, 6_170_005, 1_234, 1)  # 61700.05 x 1.234
    f = of(e.submit("tk", "ABC", B, 6_170_005, 1_234, 2), Fill)[0]
    notional = Decimal("61700.05") * Decimal("1.234")
    assert f.maker_fee == notional * Decimal("-0.25") / 10_000
    assert f.taker_fee == notional * Decimal("1.5") / 10_000
    assert f.taker_fee == Decimal("11.4206792550")
    assert f.maker_fee < 0


def test_tick_and_lot_validation() -> None:
    spec = SymbolSpec("ABC", tick=Decimal("0.05"), lot=Decimal("10"))
    e = engine(spec)
    bad_px = e.submit_decimal("m", "ABC", B, Decimal("1.02"), Decimal("10"), 1)
    assert of(bad_px, Rejected)[0].reason is RejectReason.BAD_PRICE
    bad_qty = e.submit_decimal("m", "ABC", B, Decimal("1.05"), Decimal("15"), 1)
    assert of(bad_qty, Rejected)[0].reason is RejectReason.BAD_QTY
    acc = of(e.submit_decimal("m", "ABC", B, Decimal("1.05"), Decimal("30"), 1), Accepted)[0]
    assert (acc.px, acc.qty) == (21, 3)
    assert of(e.submit("m", "ABC", B, 0, 1, 1), Rejected)[0].reason is RejectReason.BAD_PRICE
    assert of(e.submit("m", "ABC", B, 5, 0, 1), Rejected)[0].reason is RejectReason.BAD_QTY
    assert of(e.submit("m", "XYZ", B, 5, 1, 1), Rejected)[0].reason is RejectReason.UNKNOWN_SYMBOL


def test_max_order_qty() -> None:
    e = engine(SymbolSpec("ABC", Decimal("0.01"), Decimal(1), max_order_qty=100))
    assert of(e.submit("m", "ABC", B, 10, 100, 1), Accepted)
    assert of(e.submit("m", "ABC", B, 10, 101, 1), Rejected)[0].reason is RejectReason.MAX_QTY


def test_price_band_around_reference() -> None:
    e = engine(SymbolSpec("ABC", Decimal("0.01"), Decimal(1), price_band_bps=Decimal(500)))
    e.set_reference("ABC", 10_000)  # band 5% -> [9500, 10500] inclusive
    assert of(e.submit("m", "ABC", B, 9_500, 1, 1), Accepted)
    assert of(e.submit("m", "ABC", S, 10_500, 1, 1), Accepted)
    assert of(e.submit("m", "ABC", B, 9_499, 1, 1), Rejected)[0].reason is RejectReason.PRICE_BAND
    assert of(e.submit("m", "ABC", S, 10_501, 1, 1), Rejected)[0].reason is RejectReason.PRICE_BAND
    # without a set reference the last trade is the reference
    e.set_reference("ABC", None)
    e.submit("x", "ABC", S, 9_500, 1, 2)  # trades with m's bid at 9500
    assert e.reference_px("ABC") == 9_500
    assert of(e.submit("m", "ABC", S, 9_976, 1, 3), Rejected)[0].reason is RejectReason.PRICE_BAND
    assert of(e.submit("m", "ABC", S, 9_975, 1, 3), Accepted)


def test_throttle_sliding_window_and_cancels_exempt() -> None:
    e = engine(throttle=ThrottleSpec(max_msgs=3, window_ms=1000))
    ms = 1_000_000
    ids = [oid(e.submit("m", "ABC", B, 100 - i, 1, i * ms)) for i in range(3)]
    assert (
        of(e.submit("m", "ABC", B, 90, 1, 999 * ms), Rejected)[0].reason is RejectReason.THROTTLED
    )
    assert of(e.submit("other", "ABC", B, 90, 1, 999 * ms), Accepted)  # per member
    assert of(e.cancel("m", ids[0], 999 * ms), Cancelled)  # cancels are not throttled
    assert of(e.submit("m", "ABC", B, 90, 1, 1000 * ms), Accepted)  # first one left the window


def test_market_maker_protection_pulls_member_orders() -> None:
    spec = SymbolSpec("ABC", Decimal("0.01"), Decimal(1), mmp=MmpSpec(max_fills=3, window_ms=100))
    e = engine(spec)
    ms = 1_000_000
    e.mass_quote("mm", "ABC", [(100, 10)], [(102, 10)], 0)
    e.submit("mm", "ABC", S, 105, 10, 0)
    e.submit("t", "ABC", S, 100, 1, 10 * ms)
    e.submit("t", "ABC", S, 100, 1, 200 * ms)  # first fill has left the window
    ev = e.submit("t", "ABC", S, 100, 1, 250 * ms)
    assert not of(ev, ProtectionTriggered)
    ev = e.submit("t", "ABC", B, 102, 1, 290 * ms)  # third fill within 100 ms
    trig = of(ev, ProtectionTriggered)
    assert trig and trig[0].member == "mm"
    pulled = of(ev, Cancelled)
    assert {c.reason for c in pulled} == {CancelReason.MMP} and len(pulled) == 3
    assert e.orders_of("mm") == []
    assert e.book("ABC").top(5) == ((), ())


def test_mass_quote_replace_status_and_priority() -> None:
    e = engine()
    ev = e.mass_quote("mm", "ABC", [(100, 10), (99, 5)], [(102, 10)], 1)
    st = of(ev, QuoteStatus)
    assert [(s.side, s.level, s.accepted) for s in st] == [(B, 0, True), (B, 1, True), (S, 0, True)]
    bid0 = st[0].order_id
    e.submit("other", "ABC", B, 100, 7, 2)  # queues behind our bid
    # same price, smaller: keeps priority; ask moves; second bid level withdrawn; bad entry rejected
    ev = e.mass_quote("mm", "ABC", [(100, 8)], [(103, 10), (104, 0), (0, 5)], 3)
    st = of(ev, QuoteStatus)
    assert st[0].order_id == bid0 and st[0].accepted
    assert [(s.side, s.level, s.accepted, s.reason) for s in st[1:]] == [
        (S, 0, True, None),
        (S, 1, True, None),
        (S, 2, False, RejectReason.BAD_PRICE),
    ]
    assert {c.px for c in of(ev, Cancelled)} == {99, 102}
    assert [o.member for o in e.book("ABC").bids.level(100).live()] == ["mm", "other"]  # type: ignore[union-attr]
    assert e.book("ABC").top(5) == (((100, 15),), ((103, 10),))
    # a fill on the quote, then cancel quotes by symbol
    f = of(e.submit("t", "ABC", S, 100, 3, 4), Fill)[0]
    assert f.maker_order_id == bid0
    ev = e.cancel_quotes("mm", "ABC", 5)
    assert sorted(c.px for c in of(ev, Cancelled)) == [100, 103]
    assert e.book("ABC").top(5) == (((100, 7),), ())


def test_cancel_all_for_member() -> None:
    e = MatchingEngine([SPEC, SymbolSpec("XYZ", Decimal("0.5"), Decimal(1))])
    e.submit("m", "ABC", B, 100, 1, 1)
    e.submit("m", "XYZ", S, 7, 1, 1)
    e.mass_quote("m", "ABC", [(99, 1)], [(101, 1)], 1)
    keep = oid(e.submit("n", "ABC", B, 98, 1, 1))
    ev = e.cancel_all("m", 2)
    assert len(of(ev, Cancelled)) == 4
    assert {c.reason for c in of(ev, Cancelled)} == {CancelReason.MEMBER_CANCEL_ALL}
    assert {b.symbol for b in of(ev, BookChanged)} == {"ABC", "XYZ"}
    assert e.orders_of("m") == [] and e.order(keep) is not None


def test_halt_rejects_entry_and_auction_uncrosses_at_one_price() -> None:
    e = engine()
    e.set_phase("ABC", TradingPhase.HALT, 1)
    assert of(e.submit("m", "ABC", B, 100, 1, 2), Rejected)[0].reason is RejectReason.MARKET_CLOSED
    ev = e.set_phase("ABC", TradingPhase.AUCTION, 3)
    assert of(ev, PhaseChanged)[0].phase is TradingPhase.AUCTION
    assert (
        of(e.submit("m", "ABC", B, 100, 1, 4, ioc=True), Rejected)[0].reason
        is RejectReason.IOC_IN_AUCTION
    )
    e.submit("b1", "ABC", B, 103, 5, 5)
    e.submit("b2", "ABC", B, 101, 5, 6)
    e.submit("s1", "ABC", S, 100, 4, 7)
    e.submit("s2", "ABC", S, 102, 6, 8)
    assert not of(e.submit("s3", "ABC", S, 104, 1, 9), Fill)  # no matching during the auction
    # demand/supply: p=100: 10/4 -> 4; 101: 10/4 -> 4; 102: 5/10 -> 5; 103: 5/10 -> 5
    # max volume 5 at 102 and 103, imbalance 5 at both; reference = mid (103+100)//2 = 101
    ev = e.set_phase("ABC", TradingPhase.OPEN, 10)
    fills = of(ev, Fill)
    assert {f.px for f in fills} == {102}
    assert sum(f.qty for f in fills) == 5
    bid, ask = e.book("ABC").best_bid(), e.book("ABC").best_ask()
    assert bid is not None and ask is not None and bid < ask


def test_events_are_immutable_with_dataclass_defaults() -> None:
    import dataclasses

    import pytest

    r = Rejected(1, "ABC", "m", RejectReason.BAD_QTY)
    assert (r.order_id, r.text) == (None, "")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.text = "x"  # type: ignore[misc]
    assert r == Rejected(1, "ABC", "m", RejectReason.BAD_QTY, None, "")
    assert hash(r) == hash(Rejected(1, "ABC", "m", RejectReason.BAD_QTY))
