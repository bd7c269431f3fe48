"""A hostile or broken peer cannot crash, hang or bloat the engine (real TCP)."""

from __future__ import annotations

import socket
import time

import pytest

from quoter.fix.acceptance import acceptance_session
from quoter.fix.codec.framing import FrameDecoder, encode, parse
from quoter.fix.codec.times import format_utc
from quoter.fix.session import Session
from quoter.fix.transport import Acceptor
from tests.integration.fix.conftest import LoopThread


def _frame(msg_type: str, seq: int, body: list[tuple[int, str]]) -> bytes:
    hdr = [(34, str(seq)), (49, "TW44"), (52, format_utc(time.time_ns())), (56, "ISLD")]
    return encode("FIX.4.4", msg_type, hdr, body)


class Peer:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.dec = FrameDecoder()
        self.pending: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read(self) -> str | None:
        """Next message type, or None when the acceptor closed the connection."""
        while not self.pending:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.pending += self.dec.feed(data)
        return parse(self.pending.pop(0)).msg_type

    def read_msg(self) -> dict[int, str]:
        while not self.pending:
            data = self.sock.recv(65536)
            assert data, "connection closed"
            self.pending += self.dec.feed(data)
        return dict(parse(self.pending.pop(0)).values)

    def logon(self, hbi: str = "30") -> None:
        self.send(_frame("A", 1, [(98, "0"), (108, hbi)]))
        assert self.read() == "A"

    def closed_within(self, seconds: float) -> bool:
        self.sock.settimeout(seconds)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True


@pytest.fixture
def server(loop_thread: LoopThread) -> tuple[LoopThread, Acceptor, Session]:
    session = acceptance_session()
    acceptor = Acceptor([session])
    loop_thread.run(acceptor.start())
    yield loop_thread, acceptor, session  # type: ignore[misc]
    loop_thread.run(acceptor.stop())


def _still_serves(port: int) -> None:
    p = Peer(port)
    p.logon()
    p.send(_frame("1", 2, [(112, "ALIVE")]))
    assert p.read_msg()[112] == "ALIVE"
    p.sock.close()


def test_garbage_before_logon_closes_only_that_connection(server) -> None:  # type: ignore[no-untyped-def]
    _lt, acc, _ = server
    p = Peer(acc.port)
    p.send(b"\x00\xffGET / HTTP/1.1\r\n\r\n" * 100 + b"8=FIX.4.4\x019=5\x01garbage10=000\x01")
    assert p.closed_within(5)
    _still_serves(acc.port)


def test_garbage_after_logon_is_ignored(server) -> None:  # type: ignore[no-untyped-def]
    _lt, acc, _session = server
    p = Peer(acc.port)
    p.logon()
    p.send(b"\x01\x01random 8=junk\x01" * 1000)
    p.send(_frame("1", 2, [(112, "AFTER")]))
    assert p.read_msg()[112] == "AFTER"


def test_ten_megabyte_body_length_is_not_buffered(server) -> None:  # type: ignore[no-untyped-def]
    lt, acc, session = server
    p = Peer(acc.port)
    p.logon()
    p.send(b"8=FIX.4.4\x019=10000000\x0135=0\x01" + b"A" * 3_000_000)
    p.send(_frame("1", 2, [(112, "STILL")]))
    assert p.read_msg()[112] == "STILL"
    assert lt.call(session.decoder.buffered) < session.config.max_message_bytes
    assert lt.call(lambda: session.garbled_count) >= 1


@pytest.mark.parametrize("hbi", ["0", "301", "-5"])
def test_heartbeat_interval_out_of_bounds_is_refused(server, hbi: str) -> None:  # type: ignore[no-untyped-def]
    _lt, acc, _ = server
    p = Peer(acc.port)
    p.send(_frame("A", 1, [(98, "0"), (108, hbi)]))
    msg = p.read_msg()
    assert msg[35] == "5" and "HeartBtInt must be between 1 and 300" in msg[58]
    assert p.closed_within(5)
    _still_serves(acc.port)


def test_test_request_flood_is_answered_and_does_not_wedge(server) -> None:  # type: ignore[no-untyped-def]
    _lt, acc, _ = server
    p = Peer(acc.port)
    p.logon()
    n = 5000
    p.send(b"".join(_frame("1", 2 + i, [(112, f"F{i}")]) for i in range(n)))
    ids = [p.read_msg()[112] for _ in range(n)]
    assert ids == [f"F{i}" for i in range(n)]
    p.send(_frame("1", 2 + n, [(112, "LAST")]))
    assert p.read_msg()[112] == "LAST"
