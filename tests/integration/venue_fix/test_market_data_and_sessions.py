"""Market data, market state, mass quotes and session rules of the venue over real TCP."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from mmsla.io.tables import read_states
from quoter.venue.events import TradingPhase
from quoter.venue.server import VenueServer
from tests.integration.venue_fix.harness import START_NS, FixMember, group_entries, make_venue
from tests.integration.venue_fix.test_order_entry import nos, run

TS = "20250615-15:06:40.000"


def md_request(
    req_id: str, symbols: list[str], depth: int = 5, kind: str = "1"
) -> list[tuple[int, str]]:
    body = [
        (262, req_id),
        (263, kind),
        (264, str(depth)),
        (267, "3"),
        (269, "0"),
        (269, "1"),
        (269, "2"),
    ]
    body.append((146, str(len(symbols))))
    body += [(55, s) for s in symbols]
    return body


def test_snapshot_then_incrementals_trades_and_unsubscribe() -> None:
    async def scenario(venue: VenueServer, m: dict[str, FixMember]) -> None:
        mm1, mm2 = m["MM1"], m["MM2"]
        mm2.send("D", nos("b", "1", "99.50", "7"))
        mm2.send("D", nos("a", "2", "100.50", "3"))
        await mm2.next("8")
        await mm2.next("8")
        mm1.send("V", md_request("md1", ["ABC"]))
        w = await mm1.next("W")
        entries = group_entries(w, 269)
        assert [(e[269], e[270], e[271], e[1023]) for e in entries] == [
            ("0", "99.50", "7", "1"),
            ("1", "100.50", "3", "1"),
        ]
        assert all(e[272] == "20250615" and e[273].startswith("15:06:") for e in entries)
        status = (await mm1.next("f")).values
        assert (status[55], status[326], status[20001]) == ("ABC", "17", "N")
        # a better bid: one X 'new' at level 1
        mm2.send("D", nos("b2", "1", "99.60", "2"))
        x = await mm1.next("X")
        assert [(e[279], e[269], e[270], e[271], e[1023]) for e in group_entries(x, 279)] == [
            ("0", "0", "99.60", "2", "1")
        ]
        # a trade against it: trade entry (aggressor sell) then the level deleted
        mm1.send("D", nos("s", "2", "99.60", "2", tif="3"))
        trade = group_entries(await mm1.next("X"), 279)
        assert [(e[269], e[270], e[271], e[2446]) for e in trade] == [("2", "99.60", "2", "2")]
        gone = group_entries(await mm1.next("X"), 279)
        assert [(e[279], e[269], e[270]) for e in gone] == [("2", "0", "99.60")]
        # size change on the remaining bid
        mm2.send(
            "G",
            [
                (41, "b"),
                (11, "b3"),
                (55, "ABC"),
                (54, "1"),
                (60, TS),
                (38, "5"),
                (40, "2"),
                (44, "99.50"),
            ],
        )
        ch = group_entries(await mm1.next("X"), 279)
        assert [(e[279], e[270], e[271], e[1023]) for e in ch] == [("1", "99.50", "5", "1")]
        # unsubscribe: no more X
        mm1.send(
            "V",
            [(262, "md1"), (263, "2"), (264, "0"), (267, "1"), (269, "0"), (146, "1"), (55, "ABC")],
        )
        await mm1.settle()
        mm2.send("D", nos("b4", "1", "99.70", "1"))
        await mm2.next("8")
        await mm1.settle()
        assert mm1.unread("X") == []

    run(scenario, who=("MM1", "MM2"))


def test_unknown_symbol_gets_market_data_reject() -> None:
    async def scenario(venue: VenueServer, m: dict[str, FixMember]) -> None:
        m["MM1"].send("V", md_request("bad", ["NOPE"]))
        y = (await m["MM1"].next("Y")).values
        assert (y[262], y[281], y[58]) == ("bad", "0", "unknown symbol NOPE")

    run(scenario, who=("MM1",))


def test_security_status_on_halt_and_stress_and_states_file(tmp_path: Path) -> None:
    states = tmp_path / "states.csv"

    async def scenario(venue: VenueServer, m: dict[str, FixMember]) -> None:
        mm1 = m["MM1"]
        mm1.send("V", md_request("md", ["ABC"]))
        await mm1.next("W")
        assert (await mm1.next("f")).values[326] == "17"
        eng = venue.engine
        venue.publish_events(
            eng.set_phase("ABC", TradingPhase.HALT, START_NS + 10**9, reason="news")
        )
        halt = (await mm1.next("f")).values
        assert (halt[326], halt[20001], halt[58]) == ("2", "N", "news")
        assert halt[60] == "20250615-15:06:41.000000"  # simulation time
        mm1.send("D", nos("h", "1", "99.00", "1"))
        r = (await mm1.next("8")).values
        assert r[150] == "8" and r[58] == "order entry refused: market is halt"
        venue.publish_events(
            eng.set_phase("ABC", TradingPhase.OPEN, START_NS + 3 * 10**9, stressed=True)
        )
        st = (await mm1.next("f")).values
        assert (st[326], st[20001]) == ("17", "Y")
        venue.publish_events(
            eng.set_phase("ABC", TradingPhase.OPEN, START_NS + 5 * 10**9, stressed=False)
        )
        assert (await mm1.next("f")).values[20001] == "N"

    run(scenario, who=("MM1",), states_path=states)
    got = sorted((s.start_ns, s.end_ns, s.symbol, s.state) for s in read_states(states))
    assert got == [
        (START_NS + 10**9, START_NS + 3 * 10**9, "ABC", "halt"),
        (START_NS + 3 * 10**9, START_NS + 5 * 10**9, "ABC", "stressed"),
    ]


def test_mass_quote_ack_per_entry_fill_and_quote_cancel() -> None:
    async def scenario(venue: VenueServer, m: dict[str, FixMember]) -> None:
        mm1, mm2 = m["MM1"], m["MM2"]
        mq = [(117, "q1"), (296, "1"), (302, "s1"), (304, "3"), (295, "3")]
        mq += [(299, "e1"), (55, "ABC"), (132, "99.90"), (133, "100.10"), (134, "10"), (135, "10")]
        mq += [(299, "e2"), (55, "ABC"), (132, "99.80"), (133, "100.20"), (134, "5"), (135, "5")]
        mq += [(299, "e3"), (55, "ABC"), (132, "99.705"), (134, "5")]
        mm1.send("i", mq)
        ack = await mm1.next("b")
        assert ack.values[297] == "0" and ack.values[117] == "q1"
        entries = group_entries(ack, 299)
        assert [(e[299], e.get(368)) for e in entries] == [("e1", None), ("e2", None), ("e3", "8")]
        assert "99.705" in ack.values[58]
        book = venue.engine.book("ABC")
        assert book.bids.top(5) == ((9990, 10), (9980, 5))
        assert book.asks.top(5) == ((10010, 10), (10020, 5))
        # a fill on a quote level: ExecutionReport with 11 = QuoteEntryID, maker
        mm2.send("D", nos("hit", "2", "99.90", "4", tif="3"))
        f = (await mm1.next("8")).values
        assert (f[11], f[150], f[39], f[32], f[31], f[151], f[851]) == (
            "e1",
            "F",
            "1",
            "4",
            "99.90",
            "6",
            "1",
        )
        mm1.send("Z", [(117, "qc"), (298, "1"), (295, "1"), (55, "ABC")])
        qc = (await mm1.next("b")).values
        assert (qc[117], qc[297]) == ("qc", "1")
        assert venue.engine.orders_of("MM1") == []
        assert mm1.unread("8") == []  # quote cancels are acknowledged, not reported per order

    run(scenario, who=("MM1", "MM2"))


def test_cancel_on_disconnect_and_duplicate_and_bad_credentials() -> None:
    log: list[str] = []

    async def main() -> None:
        venue = make_venue(log=log)
        await venue.start()
        mm1 = FixMember("MM1", "mm1", "pw1", venue.port)
        mm2 = FixMember("MM2", "mm2", "pw2", venue.port)
        assert await mm1.logon() and await mm2.logon()
        mm2.send("V", md_request("md", ["ABC"]))
        await mm2.next("W")
        mm1.send("D", nos("o1", "1", "99.00", "2"))
        mm1.send("D", nos("o2", "2", "101.00", "2"))
        await mm1.next("8")
        await mm1.next("8")
        # a second MM1 connection is refused; the first keeps trading
        dup = FixMember("MM1", "mm1", "pw1", venue.port)
        assert not await dup.logon(timeout_s=0.5)
        await dup.close()
        mm1.send("D", nos("o3", "1", "98.00", "1"))
        assert (await mm1.next("8")).values[150] == "0"
        # wrong password: logged out with the reason, never logged on
        bad = FixMember("MM3", "mm3", "wrong", venue.port)
        assert not await bad.logon(timeout_s=0.5)
        await bad.close()
        # MM1 drops: its orders leave the book, MM2 sees the levels deleted
        await mm1.close()
        await mm2.settle(0.1)
        assert venue.engine.orders_of("MM1") == []
        deleted = {
            (e[269], e[270])
            for x in mm2.unread("X")
            for e in group_entries(x, 279)
            if e[279] == "2"
        }
        assert deleted == {("0", "99.00"), ("1", "101.00"), ("0", "98.00")}
        # MM1 may log on again afterwards
        again = FixMember("MM1", "mm1", "pw1", venue.port)
        assert await again.logon()
        await again.close()
        await mm2.close()
        await venue.stop()

    asyncio.run(main())
    text = "\n".join(log)
    assert "refused duplicate logon MM1: already connected" in text
    assert "disconnect MM3: Invalid username or password" in text
    assert "cancel-on-disconnect MM1: 3 orders cancelled" in text
    assert log.count("logon MM1") == 2


def test_shutdown_logs_members_out() -> None:
    async def main() -> None:
        venue = make_venue()
        await venue.start()
        mm1 = FixMember("MM1", "mm1", "pw1", venue.port)
        assert await mm1.logon()
        await venue.stop()
        await mm1.settle(0.05)
        assert mm1.inbox.logged_out
        assert mm1.session.logout_text == "venue shutting down"
        await mm1.close()

    asyncio.run(main())


def test_decimal_sizes_on_a_fractional_lot() -> None:
    from quoter.venue.rules import SymbolSpec

    btc = SymbolSpec("BTC", Decimal("0.01"), Decimal("0.00001"))

    async def main() -> None:
        venue = make_venue(symbols=(btc,))
        await venue.start()
        mm1 = FixMember("MM1", "mm1", "pw1", venue.port)
        assert await mm1.logon()
        body = [
            (11, "q"),
            (55, "BTC"),
            (54, "1"),
            (60, TS),
            (38, "0.00003"),
            (40, "2"),
            (44, "61700.01"),
        ]
        mm1.send("D", body)
        er = (await mm1.next("8")).values
        assert (er[38], er[151], er[44]) == ("0.00003", "0.00003", "61700.01")
        assert venue.engine.orders_of("MM1")[0].qty == 3
        await mm1.close()
        await venue.stop()

    asyncio.run(main())
