"""Venue over FIX: full-speed replay of the LOBSTER AMZN level-5 day with one quoting member.

The venue (acceptor, gateway, market data) replays all 155,935 recorded
events as fast as possible on its simulation clock. One member, MM1, is
connected over a real TCP socket (our FIX engine on both ends, both validating
every message, in the same process and event loop): it subscribes to the top
5 levels and trades, rebuilds the book from W/X, and re-sends a two-level
MassQuote joining the best bid and offer (100 shares a level) whenever the
touch has moved and at least 100 ms of market time have passed since its last
quote, so it rests in the recorded queues and gets filled by recorded trades.
Target: < 60 s wall for the whole day. Reads ../shared (skips when absent).
"""

from __future__ import annotations

import asyncio
import os
import time
from decimal import Decimal
from pathlib import Path

from mmsla.io.lobster import read_lobster
from quoter.fix.codec.framing import RawMessage
from quoter.fix.codec.times import parse_utc
from quoter.fix.session import BaseApplication, Session, SessionConfig
from quoter.fix.transport import Initiator
from quoter.venue.clock import SimClock
from quoter.venue.gateway import Member
from quoter.venue.matching import MatchingEngine
from quoter.venue.md_publisher import venue_dictionary
from quoter.venue.replay import REPLAY, ReplaySource
from quoter.venue.rules import SymbolSpec, VenueRules
from quoter.venue.server import VenueServer

SHARED = Path(os.environ.get("MMSLA_SHARED", Path(__file__).resolve().parents[2] / "shared"))
LOBSTER5 = SHARED / "data" / "lobster" / "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip"
REQUOTE_NS = 100_000_000


class QuotingMember(BaseApplication):
    """Rebuilds the touch from market data and keeps a mass quote at it."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.bids: dict[str, str] = {}
        self.asks: dict[str, str] = {}
        self.x_msgs = 0
        self.quotes = 0
        self.acks = 0
        self.fills = 0
        self.filled_qty = Decimal(0)
        self.last_quote_ns = 0
        self.quoted: tuple[str, str] | None = None

    def on_message(self, session: Session, msg: RawMessage) -> None:
        mt = msg.msg_type
        if mt == "X":
            self.x_msgs += 1
            ts = self._apply(msg.fields)
            if ts is not None:
                self._maybe_quote(session, ts)
        elif mt == "8":
            if msg.values.get(150) == "F":
                self.fills += 1
                self.filled_qty += Decimal(msg.values[32])
        elif mt == "b":
            self.acks += 1

    def _apply(self, fields: tuple[tuple[int, str], ...]) -> int | None:
        action = typ = px = size = date = tm = ""
        changed = False

        def flush() -> None:
            nonlocal changed
            if typ in ("0", "1"):
                side = self.bids if typ == "0" else self.asks
                if action == "2":
                    side.pop(px, None)
                else:
                    side[px] = size
                changed = True

        started = False
        for tag, val in fields:
            if tag == 279:
                if started:
                    flush()
                started = True
                action, typ, size = val, "", ""
            elif tag == 269:
                typ = val
            elif tag == 270:
                px = val
            elif tag == 271:
                size = val
            elif tag == 272:
                date = val
            elif tag == 273:
                tm = val
        if started:
            flush()
        return parse_utc(f"{date}-{tm}") if changed and date else None

    def _maybe_quote(self, session: Session, ts_ns: int) -> None:
        if not self.bids or not self.asks or ts_ns - self.last_quote_ns < REQUOTE_NS:
            return
        bid = max(self.bids, key=Decimal)
        ask = min(self.asks, key=Decimal)
        if (bid, ask) == self.quoted:
            return
        self.quoted = (bid, ask)
        self.last_quote_ns = ts_ns
        self.quotes += 1
        session.send(
            "i",
            [
                (117, f"q{self.quotes}"),
                (296, "1"),
                (302, "1"),
                (304, "1"),
                (295, "1"),
                (299, "e1"),
                (55, self.symbol),
                (132, bid),
                (133, ask),
                (134, "100"),
                (135, "100"),
            ],
        )


async def run_day(path: Path) -> dict[str, float]:
    t_load = time.perf_counter()
    market = read_lobster(path)
    load_s = time.perf_counter() - t_load
    b = market.book
    spec = SymbolSpec(b.symbol, b.tick, b.lot, Decimal("-0.2"), Decimal("0.3"))
    engine = MatchingEngine([spec], VenueRules(book_depth=5), system_members=(REPLAY,))
    replay = ReplaySource(engine, market)
    clock = SimClock(int(b.ts_ns[0]), speed=None)
    venue = VenueServer(engine, [spec], [Member("MM1", "mm1", "pw1")], [replay], clock)
    await venue.start(drive=False)
    app = QuotingMember(b.symbol)
    session = Session(
        SessionConfig(
            "MM1",
            "VENUE",
            username="mm1",
            password="pw1",
            reset_seq_num_flag=True,
            max_latency_s=None,
        ),
        app=app,
        dictionary=venue_dictionary(),
    )
    member = Initiator(session, "127.0.0.1", venue.port, reconnect=False)
    member.start()
    assert await member.wait_logged_on(5), "member could not log on"
    request = [(262, "md"), (263, "1"), (264, "5"), (267, "3"), (269, "0"), (269, "1")]
    request += [(269, "2"), (146, "1"), (55, b.symbol)]
    session.send("V", request)
    member.pump()
    await asyncio.sleep(0.05)
    t0 = time.perf_counter()
    venue.start_market()
    await venue.done.wait()
    await asyncio.sleep(0.2)
    wall_s = time.perf_counter() - t0
    await member.stop()
    await venue.stop()
    return {
        "frames": len(replay),
        "load_s": load_s,
        "wall_s": wall_s,
        "x_msgs": app.x_msgs,
        "quotes": app.quotes,
        "acks": app.acks,
        "fills": app.fills,
        "filled_qty": float(app.filled_qty),
    }


def main() -> None:
    if not LOBSTER5.exists():
        print(f"   skipped: {LOBSTER5} not present")
        return
    r = asyncio.run(run_day(LOBSTER5))
    print(
        f"   LOBSTER AMZN level 5: {r['frames']:,.0f} events replayed over FIX in "
        f"{r['wall_s']:.1f} s ({r['frames'] / r['wall_s']:,.0f} events/s; target < 60 s); "
        f"read {r['load_s']:.1f} s"
    )
    print(
        f"   member MM1: {r['x_msgs']:,.0f} X messages, {r['quotes']:,.0f} mass quotes "
        f"({r['acks']:,.0f} acks), {r['fills']:,.0f} fills ({r['filled_qty']:,.0f} shares)"
    )


if __name__ == "__main__":
    main()
