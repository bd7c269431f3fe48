"""The opening uncross never leaves a crossed book, even when self-trade prevention
cancels the orders that made the chosen price (found by the hypothesis test), and an
order filled by a recorded print leaves no live order behind."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mmsla.domain import Side
from quoter.venue.events import (
    Accepted,
    Cancelled,
    CancelReason,
    Fill,
    Rejected,
    RejectReason,
    TradingPhase,
)
from quoter.venue.matching import MatchingEngine
from quoter.venue.rules import StpMode, SymbolSpec, VenueRules


@pytest.mark.parametrize("stp", list(StpMode))
def test_uncross_chooses_a_new_price_after_self_trade_cancels(stp: StpMode) -> None:
    e = MatchingEngine([SymbolSpec("X", Decimal("0.01"), Decimal(1))], VenueRules(stp=stp))
    e.set_phase("X", TradingPhase.AUCTION, 0)
    e.submit("m0", "X", Side.BUY, 96, 1, 1)
    for t in range(2, 6):
        e.submit("m0", "X", Side.SELL, 95, 1, t)  # our own asks: the 95 price trades nothing
    e.submit("m2", "X", Side.SELL, 96, 1, 6)
    events = e.set_phase("X", TradingPhase.OPEN, 7)
    book = e.book("X")
    bid, ask = book.best_bid(), book.best_ask()
    assert bid is None or ask is None or bid < ask
    fills = [x for x in events if isinstance(x, Fill)]
    stp_cancels = [
        x for x in events if isinstance(x, Cancelled) and x.reason is CancelReason.SELF_TRADE
    ]
    # m0's asks at 95 came after its bid: they are cancelled, then m0 buys from m2 at 96
    assert [(f.px, f.qty, f.maker_member, f.taker_member) for f in fills] == [(96, 1, "m0", "m2")]
    assert len(stp_cancels) == 4


def test_a_fully_filled_external_fill_leaves_no_live_order() -> None:
    # A recorded print that fills our order completely, then our cancel racing it:
    # the cancel is an unknown-order reject, not a KeyError.
    e = MatchingEngine([SymbolSpec("X", Decimal("0.01"), Decimal(1))], VenueRules())
    e.set_phase("X", TradingPhase.OPEN, 0)
    [acc] = [x for x in e.submit("m0", "X", Side.BUY, 96, 3, 1) if isinstance(x, Accepted)]
    oid = acc.order_id
    fills = [x for x in e.external_fill(oid, 5, 2, "REPLAY") if isinstance(x, Fill)]
    assert [(f.qty, f.maker_leaves) for f in fills] == [(3, 0)]
    assert e.order(oid) is None and e.orders_of("m0") == []
    [rej] = e.cancel("m0", oid, 3)
    assert isinstance(rej, Rejected) and rej.reason is RejectReason.UNKNOWN_ORDER
