"""The asyncio Initiator reconnects with backoff: before the acceptor listens,
and after the acceptor drops the connection; sequence numbers carry over."""

from __future__ import annotations

import socket
import time

from quoter.fix.session import Session, SessionConfig
from quoter.fix.store import MemoryStore
from quoter.fix.transport import Acceptor, Initiator
from tests.integration.fix.conftest import LoopThread


def _wait(cond, timeout_s: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_initiator_reconnects_with_backoff(loop_thread: LoopThread) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = Session(SessionConfig("Q", "V", "initiator"), store=MemoryStore())
    ini = Initiator(client, "127.0.0.1", port, backoff_initial_s=0.05, backoff_max_s=0.2)
    loop_thread.call(ini.start)
    time.sleep(0.3)  # a few refused attempts
    assert ini.connect_error is not None and not client.is_logged_on
    venue = Session(SessionConfig("V", "Q", "acceptor"), store=MemoryStore())
    acceptor = Acceptor([venue], port=port)
    loop_thread.run(acceptor.start())
    try:
        _wait(lambda: client.is_logged_on and venue.is_logged_on)
        seq_after_first = client.store.next_sender_seq
        # the venue drops the connection; the initiator comes back on its own
        loop_thread.call(lambda: [c.close() for c in list(acceptor._all)])
        _wait(lambda: not venue.connected)
        _wait(lambda: client.is_logged_on and venue.is_logged_on)
        assert client.store.next_sender_seq == seq_after_first + 1  # new Logon, same day
        assert venue.store.next_target_seq == client.store.next_sender_seq
    finally:
        loop_thread.run(ini.stop())
        loop_thread.run(acceptor.stop())
    assert not client.is_logged_on
