"""Test harness: a venue on a real TCP port and FIX members built on `quoter.fix`.

`member(...)` is an ordinary initiator (our own FIX engine, reset on logon)
that keeps every application message it receives; `next(types)` waits for
the next one of the given types. Everything runs in one asyncio loop per test
(`asyncio.run`), venue and members talking over 127.0.0.1 sockets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal

from quoter.fix.codec.framing import RawMessage
from quoter.fix.session import BaseApplication, Session, SessionConfig
from quoter.fix.transport import Initiator
from quoter.venue.clock import SimClock
from quoter.venue.gateway import Member
from quoter.venue.matching import MatchingEngine
from quoter.venue.md_publisher import venue_dictionary
from quoter.venue.rules import SymbolSpec, VenueRules
from quoter.venue.server import MarketSource, VenueServer

START_NS = 1_750_000_000_000_000_000  # 2025-06-15T15:06:40Z, the simulation start
ABC = SymbolSpec("ABC", Decimal("0.01"), Decimal(1), Decimal("-0.5"), Decimal("1"))
MEMBERS = (Member("MM1", "mm1", "pw1"), Member("MM2", "mm2", "pw2"), Member("MM3", "mm3", "pw3"))


class _Inbox(BaseApplication):
    def __init__(self) -> None:
        self.messages: list[RawMessage] = []
        self.cursor = 0
        self.arrived = asyncio.Event()
        self.logged_out = False

    def on_message(self, session: Session, msg: RawMessage) -> None:
        self.messages.append(msg)
        self.arrived.set()

    def on_logout(self, session: Session) -> None:
        self.logged_out = True


class FixMember:
    """A FIX member initiator (see module docstring)."""

    def __init__(self, comp_id: str, username: str, password: str, port: int) -> None:
        self.inbox = _Inbox()
        self.session = Session(
            SessionConfig(
                sender_comp_id=comp_id,
                target_comp_id="VENUE",
                role="initiator",
                username=username,
                password=password,
                reset_seq_num_flag=True,
                sending_time_precision="us",
            ),
            app=self.inbox,
            dictionary=venue_dictionary(),
        )
        self.initiator = Initiator(self.session, "127.0.0.1", port, reconnect=False)

    async def logon(self, timeout_s: float = 5) -> bool:
        self.initiator.start()
        return await self.initiator.wait_logged_on(timeout_s)

    def send(self, msg_type: str, body: Sequence[tuple[int, str]]) -> None:
        self.session.send(msg_type, body)
        self.initiator.pump()

    def send_message(self, msg: object) -> None:
        self.session.send_message(msg)
        self.initiator.pump()

    async def next(self, types: str, timeout_s: float = 5) -> RawMessage:
        """The next unread application message whose type is in `types` (others skipped)."""
        inbox = self.inbox
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            while inbox.cursor < len(inbox.messages):
                msg = inbox.messages[inbox.cursor]
                inbox.cursor += 1
                if msg.msg_type in types:
                    return msg
            inbox.arrived.clear()
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError(f"no message of type {types!r} within {timeout_s} s")
            await asyncio.wait_for(inbox.arrived.wait(), left)

    def unread(self, types: str) -> list[RawMessage]:
        """Unread messages of `types` received so far (marks everything read)."""
        inbox = self.inbox
        out = [m for m in inbox.messages[inbox.cursor :] if m.msg_type in types]
        inbox.cursor = len(inbox.messages)
        return out

    async def settle(self, seconds: float = 0.05) -> None:
        await asyncio.sleep(seconds)

    async def close(self) -> None:
        await self.initiator.stop()


def make_venue(
    symbols: Sequence[SymbolSpec] = (ABC,),
    rules: VenueRules | None = None,
    members: Sequence[Member] = MEMBERS,
    sources: Sequence[MarketSource] = (),
    engine: MatchingEngine | None = None,
    clock: SimClock | None = None,
    log: list[str] | None = None,
    **kwargs: object,
) -> VenueServer:
    engine = engine or MatchingEngine(symbols, rules)
    lines = log if log is not None else []
    return VenueServer(
        engine,
        symbols,
        members,
        sources,
        clock or SimClock(START_NS, speed=1),
        log=lines.append,
        **kwargs,  # type: ignore[arg-type]
    )


def fields(msg: RawMessage) -> dict[int, str]:
    return msg.values


def group_entries(msg: RawMessage, delimiter: int) -> list[dict[int, str]]:
    """Split a message's repeating-group entries at each `delimiter` tag (flat groups)."""
    out: list[dict[int, str]] = []
    for tag, val in msg.fields:
        if tag == delimiter:
            out.append({})
        if out and tag not in (10,):
            out[-1][tag] = val
    return out
