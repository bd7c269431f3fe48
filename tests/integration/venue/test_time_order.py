"""One clock stamps the venue: its market (BBO) file and states file are in time order.

A paced synthetic market (x100) with a scheduled stressed spell and an end
time, while a FIX member keeps joining the best bid (each order changes the
top of the book, so member-stamped and source-stamped rows interleave in the
market file). The venue holds its clock at the next scheduled market event,
so an order handled while that event is due is never stamped after it: the
market file's times never decrease, the stressed spell is stamped at its
scheduled times and the close exactly at the end time.
"""

from __future__ import annotations

import asyncio
import csv
from decimal import Decimal
from pathlib import Path

from mmsla.io.tables import read_states
from quoter.venue.clock import SimClock
from quoter.venue.matching import MatchingEngine
from quoter.venue.server import StressSchedule
from quoter.venue.synthetic import MAKER, TAKER, SyntheticMarket, SyntheticParams
from tests.integration.venue_fix.harness import ABC, START_NS, FixMember, group_entries, make_venue
from tests.integration.venue_fix.test_market_data_and_sessions import md_request
from tests.integration.venue_fix.test_order_entry import nos

S = 1_000_000_000
SPEED = 100
END_NS = START_NS + 150 * S  # 1.5 wall seconds
STRESS = (START_NS + 40 * S, START_NS + 70 * S)


def test_market_and_states_files_are_in_time_order(tmp_path: Path) -> None:
    engine = MatchingEngine([ABC], system_members=(MAKER, TAKER))
    params = SyntheticParams(mid_px=Decimal("100.00"), intensity_a_per_s=2.0, dt_ms=1000, seed=4)
    clock = SimClock(START_NS, SPEED)
    market = SyntheticMarket(engine, "ABC", params, START_NS)
    stress = StressSchedule(engine, [(*STRESS, "ABC", "scheduled release")], ["ABC"], START_NS)
    market_csv, states_csv = tmp_path / "market.csv", tmp_path / "states.csv"

    async def main() -> int:
        venue = make_venue(
            engine=engine,
            sources=(market, stress),
            clock=clock,
            end_ns=END_NS,
            market_path=market_csv,
            states_path=states_csv,
        )
        await venue.start()
        mm1 = FixMember("MM1", "mm1", "pw1", venue.port)
        assert await mm1.logon()
        mm1.send("V", md_request("md", ["ABC"]))
        w = await mm1.next("W")
        # the book may still be empty at the snapshot (the makers quote at the first step)
        bid = max((Decimal(e[270]) for e in group_entries(w, 269) if e[269] == "0"), default=None)
        sent = 0
        while not venue.done.is_set():
            for x in mm1.unread("X"):  # follow the best bid so every order moves the top
                bids = [Decimal(e[270]) for e in group_entries(x, 279) if e[269] == "0"]
                bid = max(bids, default=bid)
            if bid is not None:
                mm1.send("D", nos(f"o{sent}", "1", str(bid), "1"))
                sent += 1
            await asyncio.sleep(0.002)
        await mm1.close()
        await venue.stop()
        return sent

    sent = asyncio.run(main())
    assert sent > 50
    with market_csv.open() as fh:
        ts = [int(row["ts"]) for row in csv.DictReader(fh)]
    assert len(ts) > 100
    assert ts == sorted(ts), "market file goes back in time"
    states = read_states(states_csv)
    stressed = [(s.start_ns, s.end_ns) for s in states if s.state == "stressed"]
    assert stressed == [STRESS]
    closed = [s.start_ns for s in states if s.state == "halt"]
    assert closed == [END_NS]
