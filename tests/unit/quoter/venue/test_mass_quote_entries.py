"""A mass-quote entry (level i's bid and ask) is all or nothing, in the engine and
on the wire: one failing side means nothing of that entry rests, so the 35=b's
per-entry 368 says exactly what is in the book."""

from __future__ import annotations

from decimal import Decimal

from mmsla.domain import Side
from quoter.venue.events import QuoteStatus, RejectReason, TradingPhase
from quoter.venue.matching import MatchingEngine
from quoter.venue.rules import SymbolSpec
from tests.unit.quoter.venue.test_gateway import MEMBERS, SPEC, Venue


def _engine() -> MatchingEngine:
    e = MatchingEngine([SymbolSpec("X", Decimal("0.01"), Decimal(1), max_order_qty=50)])
    e.set_phase("X", TradingPhase.OPEN, 0)
    return e


def test_one_failing_side_withdraws_the_whole_entry() -> None:
    e = _engine()
    ev = e.mass_quote("m0", "X", [(9990, 10), (9980, 10)], [(10010, 10), (10020, 99)], 1)
    status = {(x.side, x.level): (x.accepted, x.reason) for x in ev if isinstance(x, QuoteStatus)}
    assert status[(Side.BUY, 1)] == (False, RejectReason.MAX_QTY)  # the partner's reason
    assert status[(Side.SELL, 1)] == (False, RejectReason.MAX_QTY)
    assert status[(Side.BUY, 0)][0] and status[(Side.SELL, 0)][0]
    book = e.book("X")
    assert book.bids.top(5) == ((9990, 10),) and book.asks.top(5) == ((10010, 10),)


def test_a_resting_entry_is_withdrawn_when_its_update_fails_on_the_other_side() -> None:
    e = _engine()
    e.mass_quote("m0", "X", [(9990, 10)], [(10010, 10)], 1)
    # the bid would be kept (same price, same size) but the ask fails: neither rests
    ev = e.mass_quote("m0", "X", [(9990, 10)], [(10010, 60)], 2)
    assert e.orders_of("m0") == []
    assert not any(isinstance(x, QuoteStatus) and x.accepted for x in ev)


def test_wire_entry_with_an_off_tick_side_rests_nothing() -> None:
    v = Venue(SPEC, MEMBERS)
    body = [(117, "q1"), (296, "1"), (302, "s1"), (304, "2"), (295, "2")]
    body += [(299, "e1"), (55, "ABC"), (132, "99.90"), (133, "100.10"), (134, "10"), (135, "10")]
    body += [(299, "e2"), (55, "ABC"), (132, "99.80"), (133, "100.205"), (134, "5"), (135, "5")]
    v.send("MM1", "i", body)
    (ack,) = v.inbox("MM1").take("b")
    assert ack[297] == "0" and "100.205" in ack[58]
    book = v.engine.book("ABC")
    assert book.bids.top(5) == ((9990, 10),)  # e2's valid bid does not rest
    assert book.asks.top(5) == ((10010, 10),)
