"""Incremental replay: frame diffs, in-place replay liquidity, and our orders meeting it.

The queue-position model itself is tested in tests/unit/quoter/venue/test_replay.py;
here: that applying only the changed levels keeps the book equal to the recording,
that a recorded level crossing our resting order fills it once (not again at every
frame), and that an order a recorded trade filled completely is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import pytest

from mmsla.domain import BookFrames, RecordedMarket, Side, Trades
from quoter.venue.events import Accepted, BookChanged, Fill, Rejected, RejectReason
from quoter.venue.matching import MatchingEngine
from quoter.venue.replay import REPLAY, REPLAY_TAKER, QueueModel, ReplaySource, _frame_diffs
from quoter.venue.rules import SymbolSpec, VenueRules

ONE = Decimal(1)
Level = tuple[int, int]


def recording(
    frames: Sequence[tuple[int, Sequence[Level], Sequence[Level]]],
    trades: Sequence[tuple[int, int, int, int]] = (),
    depth: int = 3,
) -> RecordedMarket:
    """frames (ts, bids [(px, qty)], asks); trades (ts, px, qty, aggressor +1/-1)."""
    n = len(frames)
    arr = {k: np.zeros((n, depth), dtype=np.int64) for k in ("bp", "bq", "ap", "aq")}
    for i, (_, bids, asks) in enumerate(frames):
        for j, (p, q) in enumerate(bids):
            arr["bp"][i, j], arr["bq"][i, j] = p, q
        for j, (p, q) in enumerate(asks):
            arr["ap"][i, j], arr["aq"][i, j] = p, q
    book = BookFrames(
        "XYZ",
        ONE,
        ONE,
        np.array([f[0] for f in frames], dtype=np.int64),
        arr["bp"],
        arr["bq"],
        arr["ap"],
        arr["aq"],
    )
    tr = Trades(
        "XYZ",
        ONE,
        ONE,
        np.array([t[0] for t in trades], dtype=np.int64),
        np.array([t[1] for t in trades], dtype=np.int64),
        np.array([t[2] for t in trades], dtype=np.int64),
        np.array([t[3] for t in trades], dtype=np.int8),
    )
    return RecordedMarket(book, tr)


def setup(market: RecordedMarket, **kw: object) -> tuple[MatchingEngine, ReplaySource]:
    engine = MatchingEngine([SymbolSpec("XYZ", ONE, ONE)], VenueRules(book_depth=3), [REPLAY])
    return engine, ReplaySource(engine, market, **kw)  # type: ignore[arg-type]


def random_frames(rng: np.random.Generator, n: int, depth: int = 3) -> list[tuple[int, ...]]:
    """A random walk of level-`depth` books: sizes change, levels appear and vanish."""
    frames = []
    mid = 1000
    for t in range(n):
        mid += int(rng.integers(-1, 2))
        bids = sorted({mid - int(d) for d in rng.integers(1, 6, size=depth)}, reverse=True)
        asks = sorted({mid + int(d) for d in rng.integers(1, 6, size=depth)})
        row: list[int] = [t + 1]
        for side in (bids, asks):
            levels = [(p, int(rng.integers(1, 4)) * 10) for p in side]
            levels += [(0, 0)] * (depth - len(levels))
            row += [x for lv in levels for x in lv]
        frames.append(tuple(row))
    return frames


def as_recording(rows: list[tuple[int, ...]], depth: int = 3) -> RecordedMarket:
    frames = []
    for r in rows:
        bids = [(r[1 + 2 * i], r[2 + 2 * i]) for i in range(depth)]
        asks = [(r[1 + 2 * depth + 2 * i], r[2 + 2 * depth + 2 * i]) for i in range(depth)]
        frames.append((r[0], bids, asks))
    return recording(frames, depth=depth)


def test_frame_diffs_list_the_new_entries_of_each_frame() -> None:
    rng = np.random.default_rng(7)
    px = rng.integers(1, 6, size=(300, 3)) * 10
    qty = rng.integers(0, 3, size=(300, 3))
    offsets, shifted, op_px, op_qty = _frame_diffs(px, qty)
    assert offsets[0] == 0 and offsets[-1] == len(op_px) == len(op_qty)
    for k in range(300):
        got = list(
            zip(
                op_px[offsets[k] : offsets[k + 1]], op_qty[offsets[k] : offsets[k + 1]], strict=True
            )
        )
        row = list(zip(px[k].tolist(), qty[k].tolist(), strict=True))
        if k == 0:
            assert got == [e for e in row if e[1]]
            assert shifted[0] == (px[0].tolist(), qty[0].tolist())
            continue
        before = set(zip(px[k - 1].tolist(), qty[k - 1].tolist(), strict=True))
        assert got == [e for e in row if e not in before and e[1]]
        moved = px[k].tolist() != px[k - 1].tolist()
        assert shifted[k] == ((px[k].tolist(), qty[k].tolist()) if moved else None)


@pytest.mark.parametrize("model", [QueueModel.CONSERVATIVE, QueueModel.RANDOM])
def test_incremental_sync_keeps_every_visible_level_equal_to_the_recording(
    model: QueueModel,
) -> None:
    rows = random_frames(np.random.default_rng(3), 400)
    market = as_recording(rows)
    engine, rp = setup(market, queue_model=model, seed=5)
    book = engine.book("XYZ")
    published = None
    for k in range(len(rp)):
        out = rp.step_frame()
        bids = tuple(
            (p, q) for p, q in zip(market.book.bid_px[k], market.book.bid_qty[k], strict=True) if q
        )
        asks = tuple(
            (p, q) for p, q in zip(market.book.ask_px[k], market.book.ask_qty[k], strict=True) if q
        )
        assert book.top(3) == (bids, asks), k
        changed = [e for e in out if isinstance(e, BookChanged)]
        assert len(changed) <= 1
        if changed:
            assert (changed[0].bids, changed[0].asks) == (bids, asks)
            published = (bids, asks)
        else:  # no event: the published view did not change
            assert published == (bids, asks), k
    # replay liquidity is one chunk per level here, each a live order the engine knows
    for side in (book.bids, book.asks):
        for level in side.levels.values():
            live = [o for o in level.orders if o.qty]
            assert len(live) == 1 and engine.order(live[0].order_id) is live[0]


def test_a_recorded_level_crossing_our_order_fills_it_once_until_the_level_changes() -> None:
    frames = [
        (1, [(99, 10)], [(102, 10)]),
        (3, [(99, 10)], [(100, 3)]),  # the ask falls onto our bid at 100
        (4, [(99, 10)], [(100, 3)]),  # unchanged: the seller who met us is gone
        (5, [(99, 10)], [(100, 3)]),  # a print does not bring them back
        (6, [(99, 10)], [(100, 5)]),  # the level changes: it is shown (and meets us) again
    ]
    engine, rp = setup(recording(frames, trades=[(5, 100, 1, 1)], depth=1))
    rp.step(1)
    acc = engine.submit("us", "XYZ", Side.BUY, 100, 20, 2)[0]
    assert isinstance(acc, Accepted)
    fills = []
    for ts in (3, 4, 5, 6):
        fills += [(ts, e.qty, e.maker_leaves) for e in rp.step(ts) if isinstance(e, Fill)]
    assert fills == [(3, 3, 17), (6, 5, 12)]
    # nothing of the recorded ask at 100 is left (we took it); 102 merely scrolled out
    assert engine.book("XYZ").top(3)[1] == ((102, 10),)


def test_an_order_filled_completely_by_a_recorded_trade_is_gone() -> None:
    frames = [(1, [(100, 2)], [(101, 5)]), (3, [(100, 2)], [(101, 5)])]
    engine, rp = setup(recording(frames, trades=[(3, 100, 9, -1)], depth=1))
    rp.step(1)
    bid = engine.submit("us", "XYZ", Side.BUY, 100, 3, 2)[0]
    assert isinstance(bid, Accepted)
    fills = [e for e in rp.step(3) if isinstance(e, Fill)]  # 2 ahead of us, 7 left for us
    assert [(f.maker_order_id, f.qty, f.maker_leaves, f.taker_member) for f in fills] == [
        (bid.order_id, 3, 0, REPLAY_TAKER)
    ]
    assert engine.order(bid.order_id) is None
    late = engine.cancel("us", bid.order_id, 4)  # a cancel racing the fill
    assert isinstance(late[0], Rejected) and late[0].reason is RejectReason.UNKNOWN_ORDER
