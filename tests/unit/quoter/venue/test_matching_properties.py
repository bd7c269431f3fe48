"""Matching invariants on random command streams (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from mmsla.domain import Side
from quoter.venue.events import Accepted, Cancelled, Fill, Replaced, TradingPhase
from quoter.venue.matching import MatchingEngine
from quoter.venue.rules import PostOnlyMode, StpMode, SymbolSpec, VenueRules

command = st.tuples(
    st.sampled_from(
        ["submit", "ioc", "post", "cancel", "replace", "quote", "cancel_all", "auction", "open"]
    ),
    st.integers(0, 3),  # member
    st.booleans(),  # buy?
    st.integers(95, 105),  # px
    st.integers(1, 8),  # qty
    st.integers(0, 50),  # pick
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(command, min_size=1, max_size=60),
    st.sampled_from(list(StpMode)),
    st.sampled_from(list(PostOnlyMode)),
)
def test_book_invariants(
    cmds: list[tuple[str, int, bool, int, int, int]], stp: StpMode, post: PostOnlyMode
) -> None:
    e = MatchingEngine(
        [SymbolSpec("X", Decimal("0.01"), Decimal(1))], VenueRules(post_only=post, stp=stp)
    )
    leaves: dict[int, int] = {}  # order id -> leaves, rebuilt from events only
    bought = sold = 0
    for i, (kind, m, buy, px, qty, pick) in enumerate(cmds):
        member, side = f"m{m}", Side.BUY if buy else Side.SELL
        ids = sorted(leaves)
        if kind in ("submit", "ioc", "post"):
            ev = e.submit(
                member, "X", side, px, qty, i, ioc=kind == "ioc", post_only=kind == "post"
            )
        elif kind == "cancel" and ids:
            o = e.order(ids[pick % len(ids)])
            assert o is not None
            ev = e.cancel(o.member, o.order_id, i)
        elif kind == "replace" and ids:
            o = e.order(ids[pick % len(ids)])
            assert o is not None
            ev = e.replace(o.member, o.order_id, px, o.filled + qty, i)
        elif kind == "quote":
            ev = e.mass_quote(member, "X", [(px - 1, qty)], [(px + 1, qty)], i)
        elif kind == "auction":
            ev = e.set_phase("X", TradingPhase.AUCTION, i)
        elif kind == "open":
            ev = e.set_phase("X", TradingPhase.OPEN, i)  # uncrosses after an auction
        else:
            ev = e.cancel_all(member, i)
        for x in ev:
            if isinstance(x, Accepted | Replaced):
                leaves[x.order_id] = x.qty
            elif isinstance(x, Cancelled):
                leaves.pop(x.order_id, None)
            elif isinstance(x, Fill):
                assert x.maker_member != x.taker_member  # STP never lets a member trade with itself
                assert x.qty > 0
                leaves[x.maker_order_id] = x.maker_leaves
                leaves[x.taker_order_id] = x.taker_leaves
                bought += x.qty
                sold += x.qty
                assert (x.maker_side is Side.BUY) != (x.taker_side is Side.BUY)
        leaves = {k: v for k, v in leaves.items() if v > 0}
        book = e.book("X")
        bid, ask = book.best_bid(), book.best_ask()
        if e.phase("X") is TradingPhase.OPEN:
            assert bid is None or ask is None or bid < ask, "book crossed while open"
        # the book holds exactly the orders the events say are live, with those leaves
        live = {
            o.order_id: o.qty
            for s in (book.bids, book.asks)
            for lv in s.levels.values()
            for o in lv.live()
        }
        assert live == leaves
        for s in (book.bids, book.asks):
            assert sorted(s.keys) == s.keys
            for lv in s.levels.values():
                assert lv.qty == sum(o.qty for o in lv.live()) > 0
                assert lv.count == len(lv.live())
    assert bought == sold
