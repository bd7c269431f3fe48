"""A seeded synthetic market stepped on a paced simulation clock, traded over FIX."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from quoter.fix.codec.times import parse_utc
from quoter.venue.clock import SimClock
from quoter.venue.matching import MatchingEngine
from quoter.venue.synthetic import MAKER, TAKER, SyntheticMarket, SyntheticParams
from tests.integration.venue_fix.harness import ABC, START_NS, FixMember, group_entries, make_venue
from tests.integration.venue_fix.test_market_data_and_sessions import md_request
from tests.integration.venue_fix.test_order_entry import nos

SPEED = 200


def test_synthetic_market_runs_on_the_simulation_clock_and_fills_a_member() -> None:
    engine = MatchingEngine([ABC], system_members=(MAKER, TAKER))
    params = SyntheticParams(mid_px=Decimal("100.00"), intensity_a_per_s=2.0, seed=3)
    clock = SimClock(START_NS, SPEED)
    market = SyntheticMarket(engine, "ABC", params, START_NS)

    async def main() -> tuple[list[int], list[dict[int, str]], float]:
        venue = make_venue(engine=engine, sources=(market,), clock=clock)
        await venue.start()
        wall0 = time.perf_counter()
        mm1 = FixMember("MM1", "mm1", "pw1", venue.port)
        assert await mm1.logon()
        mm1.send("V", md_request("md", ["ABC"]))
        w = await mm1.next("W")
        best_bid = max(Decimal(e[270]) for e in group_entries(w, 269) if e[269] == "0")
        mm1.send("D", nos("join", "1", str(best_bid), "1"))  # join the background bid
        reports = [(await mm1.next("8")).values]
        while not any(r[150] == "F" for r in reports):
            reports.append((await mm1.next("8", timeout_s=10)).values)
        await mm1.settle(0.2)
        times = [
            parse_utc(f"{e[272]}-{e[273]}") for x in mm1.unread("X") for e in group_entries(x, 279)
        ]
        wall_s = time.perf_counter() - wall0
        await mm1.close()
        await venue.stop()
        return times, reports, wall_s

    times, reports, wall_s = asyncio.run(main())
    assert len(times) > 20
    assert times == sorted(times)
    # simulation time runs SPEED times faster than the wall clock
    assert START_NS < times[-1] <= START_NS + int(wall_s * SPEED * 1e9) + 10**9
    fill = next(r for r in reports if r[150] == "F")
    assert (fill[851], fill[31]) == ("1", reports[0][44])
    fill_ns = parse_utc(fill[60])
    assert START_NS <= fill_ns <= START_NS + int(wall_s * SPEED * 1e9) + 10**9
