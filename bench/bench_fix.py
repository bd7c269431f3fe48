"""FIX engine throughput: codec vs plain simplefix, and a loopback session.

1. parse+validate: framing (BodyLength and CheckSum verified) + field split +
   FIX 4.4 dictionary validation of NewOrderSingle messages, against
   simplefix's FixParser on the same bytes (which verifies neither). Ours is
   `parse_and_validate`, what the session runs: from the second message of a
   shape on, one compiled regex splits and checks the whole message. The
   plain path (`validate(parse(frame))`, taken by shapes not compiled) is
   shown too.
2. encode: typed NewOrderSingle -> bytes with header and checksum, against
   simplefix FixMessage.append_pair + encode of the same fields.
3. loopback: an Initiator and an Acceptor in one process (one core) over TCP,
   FileStore with fsync "batch" on both sides; the initiator sends orders and
   the acceptor answers each with an ExecutionReport. Rate = messages/s each way.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import simplefix

from quoter.fix.codec.framing import FrameDecoder, RawMessage, encode, parse
from quoter.fix.codec.messages import ExecutionReport, NewOrderSingle
from quoter.fix.codec.times import format_utc
from quoter.fix.dictionary import Dictionary
from quoter.fix.session import BaseApplication, Session, SessionConfig
from quoter.fix.store import FileStore
from quoter.fix.transport import Acceptor, Initiator
from quoter.fix.validation import parse_and_validate, validate

N_CODEC = 50_000
N_SESSION = 30_000
T0 = 1_750_000_000_000_000_000


def _orders(n: int) -> list[NewOrderSingle]:
    return [
        NewOrderSingle(
            f"ORD{i:08d}",
            "AMZN",
            "1" if i % 2 else "2",
            Decimal(100 + i % 7),
            "2",
            T0 + i * 1000,
            price=Decimal("223.45") + Decimal(i % 100) / 100,
            time_in_force="0",
            account="MM1",
        )
        for i in range(n)
    ]


def _header(i: int) -> list[tuple[int, str]]:
    return [(34, str(i + 1)), (49, "QUOTER"), (52, format_utc(T0 + i * 1000)), (56, "VENUE")]


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} msgs/s"


def bench_codec() -> None:
    orders = _orders(N_CODEC)
    dd = Dictionary.fix44()
    # encode: ours
    t = time.perf_counter()
    frames = [encode("FIX.4.4", "D", _header(i), o.body()) for i, o in enumerate(orders)]
    ours_enc = time.perf_counter() - t
    # encode: simplefix, same fields in the same order
    bodies = [o.body() for o in orders]
    t = time.perf_counter()
    sf_frames = []
    for i, body in enumerate(bodies):
        m = simplefix.FixMessage()
        m.append_pair(8, "FIX.4.4")
        m.append_pair(35, "D")
        for tag, val in _header(i):
            m.append_pair(tag, val)
        for tag, val in body:
            m.append_pair(tag, val)
        sf_frames.append(m.encode())
    sf_enc = time.perf_counter() - t
    assert sf_frames[7] == frames[7], "same bytes from both encoders"
    stream = b"".join(frames)
    # parse+validate: ours
    t = time.perf_counter()
    dec = FrameDecoder()
    ok = 0
    for i in range(0, len(stream), 65536):
        for frame in dec.feed(stream[i : i + 65536]):
            if parse_and_validate(frame, dd)[1] is None:
                ok += 1
    ours_parse = time.perf_counter() - t
    assert ok == N_CODEC
    # parse+validate: the plain path, without compiled shapes
    t = time.perf_counter()
    dec = FrameDecoder()
    ok = 0
    for i in range(0, len(stream), 65536):
        for frame in dec.feed(stream[i : i + 65536]):
            if validate(parse(frame), dd) is None:
                ok += 1
    plain_parse = time.perf_counter() - t
    assert ok == N_CODEC
    # parse: simplefix (no BodyLength/CheckSum check, no validation)
    t = time.perf_counter()
    parser = simplefix.FixParser()
    got = 0
    for i in range(0, len(stream), 65536):
        parser.append_buffer(stream[i : i + 65536])
        while parser.get_message() is not None:
            got += 1
    sf_parse = time.perf_counter() - t
    assert got == N_CODEC
    print(f"   NewOrderSingle x {N_CODEC:,} ({len(frames[0])} bytes each)")
    print(
        f"   parse+validate  ours {_rate(N_CODEC, ours_parse):>16}   "
        f"simplefix parse only {_rate(N_CODEC, sf_parse):>16}"
    )
    print(f"   (plain path     ours {_rate(N_CODEC, plain_parse):>16}: shapes not compiled)")
    print(
        f"   encode          ours {_rate(N_CODEC, ours_enc):>16}   "
        f"simplefix            {_rate(N_CODEC, sf_enc):>16}"
    )


class _Venue(BaseApplication):
    def __init__(self) -> None:
        self.count = 0

    def on_message(self, session: Session, msg: RawMessage) -> None:
        self.count += 1
        v = msg.values
        session.send_message(
            ExecutionReport(
                f"O{self.count}",
                f"E{self.count}",
                "0",
                "0",
                v[55],
                v[54],
                Decimal(v[38]),
                Decimal(0),
                Decimal(0),
                cl_ord_id=v[11],
            )
        )


class _Quoter(BaseApplication):
    def __init__(self) -> None:
        self.reports = 0
        self.done = asyncio.Event()

    def on_message(self, session: Session, msg: RawMessage) -> None:
        self.reports += 1
        if self.reports == N_SESSION:
            self.done.set()


async def _loopback(folder: Path) -> tuple[float, int]:
    venue = _Venue()
    acc_session = Session(
        SessionConfig("VENUE", "QUOTER", "acceptor"), venue, FileStore(folder / "v", "batch")
    )
    acceptor = Acceptor([acc_session])
    await acceptor.start()
    quoter = _Quoter()
    session = Session(
        SessionConfig("QUOTER", "VENUE", "initiator", reset_seq_num_flag=True),
        quoter,
        FileStore(folder / "q", "batch"),
    )
    initiator = Initiator(session, "127.0.0.1", acceptor.port, reconnect=False)
    await initiator.connect()
    assert await initiator.wait_logged_on(10)
    orders = _orders(N_SESSION)
    t = time.perf_counter()
    for i, order in enumerate(orders):
        session.send_message(order)
        if i % 200 == 199:
            initiator.pump()
            await asyncio.sleep(0)
    initiator.pump()
    await asyncio.wait_for(quoter.done.wait(), 120)
    elapsed = time.perf_counter() - t
    await initiator.stop()
    await acceptor.stop()
    return elapsed, venue.count


def bench_session() -> None:
    with tempfile.TemporaryDirectory() as d:
        elapsed, count = asyncio.run(_loopback(Path(d)))
    assert count == N_SESSION
    print(
        f"   loopback session, FileStore fsync=batch, {N_SESSION:,} orders -> "
        f"{N_SESSION:,} execution reports: {_rate(N_SESSION, elapsed)} each way "
        f"({elapsed:.2f} s, both ends on one core)"
    )


def main() -> None:
    bench_codec()
    bench_session()


if __name__ == "__main__":
    main()
