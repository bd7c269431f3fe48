"""Replay of the real LOBSTER AMZN book through the venue: what a FIX member sees is the recording.

A member subscribes to the top 5 levels, then the venue replays the first
frames of the level-5 day as fast as possible. The member rebuilds the book
from W + X messages alone; at every recorded microsecond its book equals the
recorded orderbook row (all five levels, both sides, prices and sizes).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import numpy as np

from mmsla.domain import BookFrames, RecordedMarket, Trades
from mmsla.io.lobster import read_lobster
from quoter.venue.clock import SimClock
from quoter.venue.matching import MatchingEngine
from quoter.venue.replay import REPLAY, ReplaySource
from quoter.venue.rules import SymbolSpec, VenueRules
from tests.conftest import shared_path
from tests.integration.venue_fix.harness import FixMember, group_entries, make_venue
from tests.integration.venue_fix.test_market_data_and_sessions import md_request

FRAMES = 4000


def _head(m: RecordedMarket, n: int) -> RecordedMarket:
    b, t = m.book, m.trades
    end_ts = b.ts_ns[n - 1]
    k = int(np.searchsorted(t.ts_ns, end_ts, side="right"))
    rows = (b.ts_ns[:n], b.bid_px[:n], b.bid_qty[:n], b.ask_px[:n], b.ask_qty[:n])
    book = BookFrames(b.symbol, b.tick, b.lot, *rows)
    trades = Trades(t.symbol, t.tick, t.lot, t.ts_ns[:k], t.px[:k], t.qty[:k], t.side[:k])
    return RecordedMarket(book, trades, ())


def test_lobster_book_seen_over_fix_equals_the_recording() -> None:
    path = shared_path("data", "lobster", "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip")
    market = _head(read_lobster(path), FRAMES)
    b = market.book
    spec = SymbolSpec(b.symbol, b.tick, b.lot)
    engine = MatchingEngine([spec], VenueRules(book_depth=5), system_members=(REPLAY,))
    replay = ReplaySource(engine, market)
    clock = SimClock(int(b.ts_ns[0]), speed=None)
    seen: list[tuple[int, dict[str, dict[int, int]]]] = []

    async def main() -> None:
        venue = make_venue(symbols=(spec,), engine=engine, sources=(replay,), clock=clock)
        await venue.start(drive=False)
        mm1 = FixMember("MM1", "mm1", "pw1", venue.port)
        assert await mm1.logon()
        mm1.send("V", md_request("amzn", [b.symbol], depth=5))
        w = await mm1.next("W")
        assert group_entries(w, 269) == []  # nothing replayed yet
        venue.start_market()
        await asyncio.wait_for(venue.done.wait(), 60)
        await mm1.settle(0.2)
        book: dict[str, dict[int, int]] = {"0": {}, "1": {}}
        for x in mm1.unread("X"):
            for e in group_entries(x, 279):
                date, tm = e[272], e[273]
                if e[269] == "2":
                    continue
                ticks = int(Decimal(e[270]) / b.tick)
                side = book[e[269]]
                if e[279] == "2":
                    del side[ticks]
                else:
                    side[ticks] = int(Decimal(e[271]))
            us = _micros(date, tm)
            seen.append((us, {k: dict(v) for k, v in book.items()}))
        await mm1.close()
        await venue.stop()

    asyncio.run(main())
    assert len(seen) > 500
    # the recorded book at the end of every microsecond, against the member's book then
    us = b.ts_ns // 1000
    last_in_us = np.flatnonzero(np.r_[us[1:] != us[:-1], True])
    checked = 0
    j = -1
    for k in last_in_us:
        while j + 1 < len(seen) and seen[j + 1][0] <= us[k]:
            j += 1
        got = seen[j][1] if j >= 0 else {"0": {}, "1": {}}
        want_bids = {int(p): int(q) for p, q in zip(b.bid_px[k], b.bid_qty[k], strict=True) if q}
        want_asks = {int(p): int(q) for p, q in zip(b.ask_px[k], b.ask_qty[k], strict=True) if q}
        assert got["0"] == want_bids, f"bids differ at frame {k}"
        assert got["1"] == want_asks, f"asks differ at frame {k}"
        checked += 1
    assert checked == len(last_in_us) > 1000


def _micros(date: str, tm: str) -> int:
    from quoter.fix.codec.times import parse_utc

    return parse_utc(f"{date}-{tm}") // 1000
