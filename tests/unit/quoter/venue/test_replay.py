"""Replay source on hand-made recordings: book sync, queue-position model, trade fills."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import pytest

from mmsla.domain import BookFrames, RecordedMarket, Side, Trades
from quoter.venue.events import (
    Accepted,
    BookChanged,
    Fill,
    PhaseChanged,
    Rejected,
    RejectReason,
    TradePrinted,
    TradingPhase,
)
from quoter.venue.matching import MatchingEngine
from quoter.venue.replay import REPLAY, REPLAY_TAKER, QueueModel, ReplaySource, queue_ahead
from quoter.venue.rules import SymbolSpec

TICK, LOT = Decimal("0.01"), Decimal(1)
Row = tuple[list[tuple[int, int]], list[tuple[int, int]]]


def recording(
    rows: list[tuple[int, Row]],
    trades: Sequence[tuple[int, int, int, int]] = (),
    depth: int = 2,
) -> RecordedMarket:
    """rows: (ts, (bids [(px, qty)], asks)); trades: (ts, px, qty, aggressor +1/-1)."""
    n = len(rows)
    arr = {k: np.zeros((n, depth), dtype=np.int64) for k in ("bp", "bq", "ap", "aq")}
    for i, (_, (bids, asks)) in enumerate(rows):
        for j, (p, q) in enumerate(bids):
            arr["bp"][i, j], arr["bq"][i, j] = p, q
        for j, (p, q) in enumerate(asks):
            arr["ap"][i, j], arr["aq"][i, j] = p, q
    book = BookFrames(
        "XYZ",
        TICK,
        LOT,
        np.array([t for t, _ in rows], dtype=np.int64),
        arr["bp"],
        arr["bq"],
        arr["ap"],
        arr["aq"],
    )
    tr = Trades(
        "XYZ",
        TICK,
        LOT,
        np.array([t[0] for t in trades], dtype=np.int64),
        np.array([t[1] for t in trades], dtype=np.int64),
        np.array([t[2] for t in trades], dtype=np.int64),
        np.array([t[3] for t in trades], dtype=np.int8),
    )
    return RecordedMarket(book, tr)


def setup(market: RecordedMarket, **kw: object) -> tuple[MatchingEngine, ReplaySource]:
    engine = MatchingEngine([SymbolSpec("XYZ", TICK, LOT)], system_members=[REPLAY])
    return engine, ReplaySource(engine, market, **kw)  # type: ignore[arg-type]


def top(engine: MatchingEngine) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    return engine.book("XYZ").top(2)


def our_bid(engine: MatchingEngine, px: int, qty: int, ts: int) -> int:
    acc = engine.submit("us", "XYZ", Side.BUY, px, qty, ts)[0]
    assert isinstance(acc, Accepted)
    return acc.order_id


def test_book_follows_frames_and_one_book_event_per_frame() -> None:
    rows: list[tuple[int, Row]] = [
        (1, ([(100, 10), (99, 5)], [(101, 4), (102, 8)])),
        (2, ([(100, 7), (99, 5)], [(101, 4), (102, 8)])),
        (3, ([(100, 7), (98, 3)], [(102, 8), (103, 1)])),  # 99 emptied, 101 gone
        (4, ([(101, 2), (100, 7)], [(102, 8), (103, 1)])),  # 98 scrolls out of view (kept)
        (5, ([(101, 2), (100, 7)], [(102, 8), (0, 0)])),  # 103 emptied: not full -> removed
    ]
    engine, rp = setup(recording(rows))
    for ts, (bids, asks) in rows:
        assert rp.next_event_ns() == ts
        out = rp.step(ts)
        assert top(engine) == (tuple(bids), tuple(a for a in asks if a[1]))
        books = [e for e in out if isinstance(e, BookChanged)]
        assert len(books) <= 1
        assert not [e for e in out if getattr(e, "member", None) == REPLAY]
    assert rp.done and rp.next_event_ns() is None
    assert engine.book("XYZ").bids.level(98) is not None  # out of view, not known to be gone


def test_conservative_queue_position() -> None:
    rows: list[tuple[int, Row]] = [
        (1, ([(100, 10)], [(101, 5)])),
        (3, ([(100, 7)], [(101, 5)])),  # cancel 3: nobody behind us -> the queue ahead shrinks
        (4, ([(100, 12)], [(101, 5)])),  # +5 joins behind us
        (5, ([(100, 9)], [(101, 5)])),  # cancel 3: taken from behind us
    ]
    engine, rp = setup(recording(rows, depth=1))
    rp.step(1)
    oid = our_bid(engine, 100, 5, 2)
    assert queue_ahead(engine, oid) == 10
    rp.step(3)
    assert queue_ahead(engine, oid) == 7
    rp.step(4)
    rp.step(5)
    assert queue_ahead(engine, oid) == 7
    assert top(engine)[0] == ((100, 14),)  # 9 displayed + our 5


def test_random_queue_model_cancels_pro_rata_on_average() -> None:
    rows: list[tuple[int, Row]] = [
        (1, ([(100, 7)], [(101, 5)])),
        (3, ([(100, 12)], [(101, 5)])),
        (4, ([(100, 9)], [(101, 5)])),  # cancel 3 of 12 displayed: 7 ahead, 5 behind
    ]
    market = recording(rows, depth=1)
    cuts = []
    for seed in range(400):
        engine, rp = setup(market, queue_model=QueueModel.RANDOM, seed=seed)
        rp.step(1)
        oid = our_bid(engine, 100, 5, 2)
        rp.step(4)
        cuts.append(7 - queue_ahead(engine, oid))
        assert top(engine)[0] == ((100, 14),)
    # hypergeometric: mean 3 * 7 / 12 = 1.75, sd of the mean ~ 0.04
    assert abs(np.mean(cuts) - 1.75) < 0.15
    assert set(cuts) == {0, 1, 2, 3}


def test_trades_consume_the_queue_ahead_then_fill_us() -> None:
    rows: list[tuple[int, Row]] = [
        (1, ([(100, 7)], [(101, 5)])),
        (3, ([(100, 9)], [(101, 5)])),  # +2 behind us
        (5, ([(100, 1)], [(101, 5)])),  # after a sell trade of 8 at 100
    ]
    engine, rp = setup(recording(rows, trades=[(5, 100, 8, -1)], depth=1))
    rp.step(1)
    oid = our_bid(engine, 100, 5, 2)
    rp.step(3)
    out = rp.step(5)
    fills = [e for e in out if isinstance(e, Fill)]
    assert [(f.maker_order_id, f.px, f.qty, f.maker_leaves, f.taker_member) for f in fills] == [
        (oid, 100, 1, 4, REPLAY_TAKER)
    ]
    prints = [e for e in out if isinstance(e, TradePrinted)]
    assert [(p.px, p.qty, p.aggressor) for p in prints] == [(100, 8, Side.SELL)]
    # the 7 ahead were traded away; the level's remaining 1 displayed lot is behind us
    assert queue_ahead(engine, oid) == 0
    assert top(engine)[0] == ((100, 5),)


def test_trade_through_our_better_price_fills_us_first_and_worse_does_not() -> None:
    rows: list[tuple[int, Row]] = [
        (1, ([(100, 7)], [(102, 5)])),
        (5, ([(100, 4)], [(102, 5)])),
        (6, ([(100, 4)], [(102, 5)])),
    ]
    engine, rp = setup(recording(rows, trades=[(5, 100, 5, -1), (6, 100, 1, -1)], depth=1))
    rp.step(1)
    better = our_bid(engine, 101, 2, 2)
    worse = our_bid(engine, 99, 9, 2)
    out = rp.step(5)
    fills = [e for e in out if isinstance(e, Fill)]
    assert [(f.maker_order_id, f.px, f.qty) for f in fills] == [(better, 101, 2)]
    out = rp.step(6)  # 1 lot at 100 with 4 displayed ahead: does not reach 99
    assert not [e for e in out if isinstance(e, Fill)]
    assert engine.order(worse) is not None and queue_ahead(engine, worse) == 0


def test_taking_recorded_liquidity_has_no_market_impact() -> None:
    rows: list[tuple[int, Row]] = [
        (1, ([(100, 7)], [(101, 5)])),
        (3, ([(100, 7)], [(101, 5)])),
    ]
    engine, rp = setup(recording(rows, depth=1))
    rp.step(1)
    ev = engine.submit("us", "XYZ", Side.BUY, 101, 3, 2, ioc=True)
    f = next(e for e in ev if isinstance(e, Fill))
    assert (f.px, f.qty, f.maker_member) == (101, 3, REPLAY)
    assert top(engine)[1] == ((101, 2),)
    rp.step(3)
    assert top(engine)[1] == ((101, 5),)


def test_scheduled_halt_rejects_orders() -> None:
    rows: list[tuple[int, Row]] = [(1, ([(100, 7)], [(101, 5)])), (10, ([(100, 7)], [(101, 5)]))]
    phases = [(5, TradingPhase.HALT, "halt"), (10, TradingPhase.OPEN, "resume")]
    _engine, rp = setup(recording(rows, depth=1), phases=phases)
    rp.step(1)
    rp.step(5)  # no frame due yet: the halt is applied with the next frame
    out = rp.step(10)
    assert [(e.phase, e.ts_ns) for e in out if isinstance(e, PhaseChanged)] == [
        (TradingPhase.HALT, 5),
        (TradingPhase.OPEN, 10),
    ]
    engine2, rp2 = setup(recording(rows, depth=1), phases=[(1, TradingPhase.HALT, "halt")])
    rp2.step(1)
    rej = engine2.submit("us", "XYZ", Side.BUY, 100, 1, 2)
    assert isinstance(rej[0], Rejected) and rej[0].reason is RejectReason.MARKET_CLOSED


def test_tick_mismatch_is_refused() -> None:
    engine = MatchingEngine([SymbolSpec("XYZ", Decimal("0.05"), LOT)], system_members=[REPLAY])
    with pytest.raises(ValueError, match="tick"):
        ReplaySource(engine, recording([(1, ([(100, 1)], [(101, 1)]))], depth=1))


def test_release_times_for_replay_speeds() -> None:
    from quoter.venue.replay import release_at_ns

    first, wall = 1_000 * 10**9, 5 * 10**9
    event = first + 120 * 10**9  # two minutes into the recording
    assert release_at_ns(event, first, wall, 1.0) == wall + 120 * 10**9
    assert release_at_ns(event, first, wall, 60.0) == wall + 2 * 10**9
    assert release_at_ns(event, first, wall, None) == wall
    with pytest.raises(ValueError):
        release_at_ns(event, first, wall, 0.0)
