"""Replay of the real recorded markets in ../shared/data through the matching engine."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import numpy.typing as npt

from mmsla.domain import RecordedMarket, Side
from mmsla.io.binance import read_binance
from mmsla.io.lobster import read_lobster
from quoter.venue.events import Accepted, Fill
from quoter.venue.matching import MatchingEngine
from quoter.venue.replay import REPLAY, ReplaySource, queue_ahead
from quoter.venue.rules import SymbolSpec, VenueRules
from tests.conftest import shared_path


def replayed_top(market: RecordedMarket) -> tuple[npt.NDArray[np.int64], ...]:
    """Best bid/ask px and qty of the engine's book after every frame."""
    book = market.book
    engine = MatchingEngine(
        [SymbolSpec(book.symbol, book.tick, book.lot)], VenueRules(book_depth=5), [REPLAY]
    )
    rp = ReplaySource(engine, market)
    bids, asks = engine.book(book.symbol).bids, engine.book(book.symbol).asks
    out = np.zeros((len(rp), 4), dtype=np.int64)
    depth = book.depth
    ebook = engine.book(book.symbol)
    rec_bids = [
        list(zip(p, q, strict=True))
        for p, q in zip(book.bid_px.tolist(), book.bid_qty.tolist(), strict=True)
    ]
    rec_asks = [
        list(zip(p, q, strict=True))
        for p, q in zip(book.ask_px.tolist(), book.ask_qty.tolist(), strict=True)
    ]
    for k in range(len(rp)):
        rp.step_frame()
        # every visible recorded level, not only the best, is in the replayed book
        top_b, top_a = ebook.top(depth)
        assert list(top_b) == [x for x in rec_bids[k] if x[1]], k
        assert list(top_a) == [x for x in rec_asks[k] if x[1]], k
        b, a = bids.best(), asks.best()
        if b is not None:
            out[k, 0], out[k, 1] = b, bids.levels[b].qty
        if a is not None:
            out[k, 2], out[k, 3] = a, asks.levels[-a].qty
    assert rp.done
    return out[:, 0], out[:, 1], out[:, 2], out[:, 3]


def test_lobster_amzn_replayed_bbo_equals_recorded_orderbook_row_by_row() -> None:
    market = read_lobster(
        shared_path("data", "lobster", "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip")
    )
    assert len(market.book) == 155_935
    bid_px, bid_qty, ask_px, ask_qty = replayed_top(market)
    book = market.book
    assert np.array_equal(bid_px, book.bid_px[:, 0])
    assert np.array_equal(bid_qty, book.bid_qty[:, 0])
    assert np.array_equal(ask_px, book.ask_px[:, 0])
    assert np.array_equal(ask_qty, book.ask_qty[:, 0])
    # published sanity figure (../shared/data/README.md): median spread $0.13
    median_ticks = int(np.median(ask_px - bid_px))
    assert median_ticks * book.tick == Decimal("0.13")


def test_binance_replay_has_no_gaps_and_matches_the_rebuilt_book() -> None:
    paths = [shared_path("data", "binance", f"spot_btcusdt_2024080{d}.gz") for d in (8, 9)]
    market = read_binance(paths, depth=5)
    assert market.gaps == ()
    bid_px, bid_qty, ask_px, ask_qty = replayed_top(market)
    book = market.book
    assert np.array_equal(bid_px, book.bid_px[:, 0])
    assert np.array_equal(ask_px, book.ask_px[:, 0])
    assert np.array_equal(bid_qty, book.bid_qty[:, 0])
    assert np.array_equal(ask_qty, book.ask_qty[:, 0])


def test_lobster_quoting_member_gets_queue_fills() -> None:
    """A member joining the AMZN best bid early is filled only by recorded sell trades
    that reach it through the displayed queue ahead (conservative model)."""
    market = read_lobster(
        shared_path("data", "lobster", "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip")
    )
    book = market.book
    engine = MatchingEngine([SymbolSpec(book.symbol, book.tick, book.lot)], system_members=[REPLAY])
    rp = ReplaySource(engine, market)
    for _ in range(100):
        rp.step_frame()
    best = engine.book(book.symbol).best_bid()
    assert best is not None
    acc = engine.submit("mm", book.symbol, Side.BUY, best, 100, int(book.ts_ns[99]) + 1)[0]
    assert isinstance(acc, Accepted)
    ahead0 = queue_ahead(engine, acc.order_id)
    assert ahead0 == book.bid_qty[99, 0]
    filled = 0
    while not rp.done and engine.order(acc.order_id) is not None:
        for e in rp.step_frame():
            if isinstance(e, Fill) and e.maker_order_id == acc.order_id:
                assert e.px == best
                filled += e.qty
    # independent check: sell volume traded at or below our price after we joined
    tr = market.trades
    after = (tr.ts_ns > book.ts_ns[99]) & (tr.side < 0) & (tr.px <= best)
    assert filled > 0
    assert filled <= int(tr.qty[after].sum())
