"""Order entry over real TCP: ExecutionReports, rejects, replace priority, cancels, fees."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal

from quoter.venue.rules import ThrottleSpec, VenueRules
from quoter.venue.server import VenueServer
from tests.integration.venue_fix.harness import FixMember, make_venue

Scenario = Callable[[VenueServer, dict[str, FixMember]], Awaitable[None]]


def run(
    scenario: Scenario, who: tuple[str, ...] = ("MM1", "MM2", "MM3"), **venue_kw: object
) -> list[str]:
    log: list[str] = []

    async def main() -> None:
        venue = make_venue(log=log, **venue_kw)  # type: ignore[arg-type]
        await venue.start()
        members = {m: FixMember(m, m.lower(), "pw" + m[-1], venue.port) for m in who}
        try:
            for m in members.values():
                assert await m.logon(), "member could not log on"
            await scenario(venue, members)
        finally:
            for m in members.values():
                await m.close()
            await venue.stop()

    asyncio.run(main())
    return log


def nos(
    cl: str, side: str, px: str, qty: str, tif: str = "0", post_only: bool = False
) -> list[tuple[int, str]]:
    body = [
        (11, cl),
        (55, "ABC"),
        (54, side),
        (60, "20250615-15:06:40.000"),
        (38, qty),
        (40, "2"),
        (44, px),
        (59, tif),
    ]
    if post_only:
        body.append((18, "6"))
    return body


def test_ioc_partial_fills_arithmetic_and_fees() -> None:
    async def scenario(venue: VenueServer, m: dict[str, FixMember]) -> None:
        m["MM2"].send("D", nos("s1", "2", "100.05", "3"))
        m["MM2"].send("D", nos("s2", "2", "100.06", "2"))
        for _ in range(2):
            assert (await m["MM2"].next("8")).values[150] == "0"
        m["MM1"].send("D", nos("b1", "1", "100.06", "6", tif="3"))
        new = (await m["MM1"].next("8")).values
        assert (new[150], new[39], new[151], new[14]) == ("0", "0", "6", "0")
        f1 = (await m["MM1"].next("8")).values
        assert (f1[150], f1[39], f1[32], f1[31], f1[151], f1[14]) == (
            "F",
            "1",
            "3",
            "100.05",
            "3",
            "3",
        )
        assert Decimal(f1[6]) == Decimal("100.05")
        assert f1[851] == "2" and f1[13] == "3"
        # taker fee 1 bps of 3 * 100.05
        assert Decimal(f1[12]) == Decimal("300.15") / 10_000
        f2 = (await m["MM1"].next("8")).values
        assert (f2[32], f2[31], f2[151], f2[14]) == ("2", "100.06", "1", "5")
        assert Decimal(f2[6]) == (Decimal("100.05") * 3 + Decimal("100.06") * 2) / 5  # 100.054
        assert Decimal(f2[12]) == Decimal("200.12") / 10_000
        done = (await m["MM1"].next("8")).values
        assert (done[150], done[39], done[151], done[14]) == ("4", "4", "0", "5")
        assert "IOC" in done[58]
        # the makers: filled, rebate of 0.5 bps (negative commission), liquidity added
        mk1 = (await m["MM2"].next("8")).values
        assert (mk1[11], mk1[150], mk1[39], mk1[151], mk1[851]) == ("s1", "F", "2", "0", "1")
        assert Decimal(mk1[12]) == -Decimal("300.15") * Decimal("0.5") / 10_000
        mk2 = (await m["MM2"].next("8")).values
        assert (mk2[11], mk2[39], mk2[14]) == ("s2", "2", "2")
        assert mk2[60].startswith("20250615-15:06:")  # simulation time

    run(scenario)


def test_post_only_reject_and_tick_lot_validation() -> None:
    async def scenario(venue: VenueServer, m: dict[str, FixMember]) -> None:
        m["MM2"].send("D", nos("a1", "2", "100.00", "5"))
        await m["MM2"].next("8")
        m["MM1"].send("D", nos("p1", "1", "100.00", "1", post_only=True))
        r = (await m["MM1"].next("8")).values
        assert (r[150], r[39], r[11]) == ("8", "8", "p1")
        assert r[58] == "post-only order would cross the book"
        m["MM1"].send("D", nos("p2", "1", "99.99", "1", post_only=True))
        ok = (await m["MM1"].next("8")).values
        assert (ok[150], ok[18], ok[44]) == ("0", "6", "99.99")
        m["MM1"].send("D", nos("t1", "1", "99.995", "1"))
        r = (await m["MM1"].next("8")).values
        assert r[150] == "8" and r[58] == "price 99.995 is not a positive multiple of the tick 0.01"
        m["MM1"].send("D", nos("t2", "1", "99.99", "1.5"))
        r = (await m["MM1"].next("8")).values
        assert r[150] == "8" and "lot 1" in r[58]
        m["MM1"].send("D", nos("t3", "1", "99.99", "1", tif="4"))
        r = (await m["MM1"].next("8")).values
        assert r[150] == "8" and "TimeInForce" in r[58]
        m["MM1"].send("D", nos("p2", "1", "99.98", "1"))
        r = (await m["MM1"].next("8")).values
        assert r[150] == "8" and r[103] == "6"  # duplicate live ClOrdID
        # nothing of the rejected orders reached the book
        assert [o.px for o in venue.engine.orders_of("MM1")] == [9999]

    log = run(scenario)
    assert any("reject MM1 NewOrderSingle 11=t1: price 99.995" in line for line in log)


def test_post_only_slides_when_configured() -> None:
    from quoter.venue.rules import PostOnlyMode

    async def scenario(venue: VenueServer, m: dict[str, FixMember]) -> None:
        m["MM2"].send("D", nos("a1", "2", "100.00", "5"))
        await m["MM2"].next("8")
        m["MM1"].send("D", nos("p1", "1", "100.02", "1", post_only=True))
        r = (await m["MM1"].next("8")).values
        assert (r[150], r[44]) == ("0", "99.99")
        assert "slid" in r[58]

    run(scenario, rules=VenueRules(post_only=PostOnlyMode.SLIDE))


def test_replace_keeps_priority_on_decrease_and_loses_it_on_increase() -> None:
    async def scenario(venue: VenueServer, m: dict[str, FixMember]) -> None:
        mm1, mm2, mm3 = m["MM1"], m["MM2"], m["MM3"]
        mm2.send("D", nos("x", "2", "100.10", "5"))
        await mm2.next("8")
        mm1.send("D", nos("y", "2", "100.10", "5"))
        await mm1.next("8")
        mm2.send(
            "G",
            [
                (41, "x"),
                (11, "x2"),
                (55, "ABC"),
                (54, "2"),
                (60, "20250615-15:06:40.000"),
                (38, "4"),
                (40, "2"),
                (44, "100.10"),
            ],
        )
        rep = (await mm2.next("8")).values
        assert (rep[150], rep[39], rep[11], rep[41], rep[38], rep[151]) == (
            "5",
            "0",
            "x2",
            "x",
            "4",
            "4",
        )
        assert rep[58] == "priority kept"
        mm3.send("D", nos("t", "1", "100.10", "4", tif="3"))
        fill = (await mm2.next("8")).values  # MM2 still first in the queue
        assert (fill[11], fill[150], fill[39], fill[32]) == ("x2", "F", "2", "4")
        # increase: MM1 (now first) grows to 6 and goes behind a new MM2 order
        mm2.send("D", nos("z", "2", "100.10", "3"))
        await mm2.next("8")
        mm1.send(
            "G",
            [
                (41, "y"),
                (11, "y2"),
                (55, "ABC"),
                (54, "2"),
                (60, "20250615-15:06:40.000"),
                (38, "6"),
                (40, "2"),
                (44, "100.10"),
            ],
        )
        rep = (await mm1.next("8")).values
        assert (rep[150], rep[58], rep[151]) == ("5", "priority lost", "6")
        mm3.send("D", nos("t2", "1", "100.10", "3", tif="3"))
        fill = (await mm2.next("8")).values
        assert (fill[11], fill[39], fill[32]) == ("z", "2", "3")
        # cancel: ER with 41 = the current ClOrdID; unknown order -> OrderCancelReject
        mm1.send(
            "F", [(41, "y2"), (11, "c1"), (55, "ABC"), (54, "2"), (60, "20250615-15:06:40.000")]
        )
        c = (await mm1.next("8")).values
        assert (c[150], c[39], c[11], c[41], c[151]) == ("4", "4", "c1", "y2", "0")
        mm1.send(
            "F", [(41, "y2"), (11, "c2"), (55, "ABC"), (54, "2"), (60, "20250615-15:06:40.000")]
        )
        rj = (await mm1.next("9")).values
        assert (rj[434], rj[102], rj[11], rj[41]) == ("1", "1", "c2", "y2")
        assert venue.engine.orders_of("MM1") == []

    run(scenario)


def test_partial_fill_then_replace_counts_filled_quantity() -> None:
    async def scenario(venue: VenueServer, m: dict[str, FixMember]) -> None:
        m["MM1"].send("D", nos("r", "1", "99.00", "10"))
        await m["MM1"].next("8")
        m["MM2"].send("D", nos("h", "2", "99.00", "4", tif="3"))
        f = (await m["MM1"].next("8")).values
        assert (f[39], f[151], f[14]) == ("1", "6", "4")
        # OrderQty 8 = 4 filled + 4 leaves; a new price loses priority
        m["MM1"].send(
            "G",
            [
                (41, "r"),
                (11, "r2"),
                (55, "ABC"),
                (54, "1"),
                (60, "20250615-15:06:40.000"),
                (38, "8"),
                (40, "2"),
                (44, "98.99"),
            ],
        )
        rep = (await m["MM1"].next("8")).values
        assert (rep[150], rep[39], rep[38], rep[151], rep[14], rep[44]) == (
            "5",
            "1",
            "8",
            "4",
            "4",
            "98.99",
        )
        assert Decimal(rep[6]) == Decimal("99")
        m["MM1"].send(
            "G",
            [
                (41, "r2"),
                (11, "r3"),
                (55, "ABC"),
                (54, "1"),
                (60, "20250615-15:06:40.000"),
                (38, "4"),
                (40, "2"),
                (44, "98.99"),
            ],
        )
        rj = (await m["MM1"].next("9")).values
        assert rj[434] == "2" and "filled" in rj[58]

    run(scenario, who=("MM1", "MM2"))


def test_throttle_reject_has_clear_text() -> None:
    async def scenario(venue: VenueServer, m: dict[str, FixMember]) -> None:
        for i in range(3):
            m["MM1"].send("D", nos(f"o{i}", "1", "90.00", "1"))
        kinds = [(await m["MM1"].next("8")).values for _ in range(3)]
        assert [k[150] for k in kinds] == ["0", "0", "8"]
        assert kinds[2][58] == "throttled: more than 2 order messages in 60000 ms"

    run(scenario, who=("MM1",), rules=VenueRules(throttle=ThrottleSpec(2, 60_000)))
