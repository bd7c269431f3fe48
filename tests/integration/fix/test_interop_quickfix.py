"""Interop with QuickFIX (the `quickfix` package, optional extra `interop`).

QuickFIX runs in its own process (`qf_peer.py`) and validates against its own
FIX44.xml. Both directions over real TCP: logon, 1000 orders answered by 1000
execution reports, a forced sequence gap healed by ResendRequest (our side
resends from its store), a restart of our side mid-session that continues the
sequence numbers (no reset), logout. Skips when quickfix is not importable,
fails instead on CI.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from quoter.fix.codec.framing import RawMessage
from quoter.fix.codec.messages import ExecutionReport, NewOrderSingle
from quoter.fix.session import BaseApplication, Session, SessionConfig
from quoter.fix.store import FileStore
from quoter.fix.transport import Acceptor, Initiator
from tests.conftest import REPO
from tests.integration.fix.conftest import LoopThread

pytestmark = pytest.mark.interop

try:
    import quickfix  # noqa: F401
except ImportError:  # pragma: no cover - depends on the optional extra
    if os.environ.get("CI") == "true":
        raise
    HAVE_QUICKFIX = False
else:
    HAVE_QUICKFIX = True

N = 1000
XML = Path(sys.prefix) / "share" / "quickfix" / "FIX44.xml"
PEER = Path(__file__).with_name("qf_peer.py")


@pytest.fixture(autouse=True)
def _need_quickfix() -> None:
    if not HAVE_QUICKFIX:
        pytest.skip("quickfix not installed (pip install -e '.[interop]')")


def _wait(cond: Callable[[], bool], timeout_s: float = 30, why: Callable[[], object] = str) -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline, f"timed out: {why()}"
        time.sleep(0.01)


class QfPeer:
    """The QuickFIX process and the events it reports."""

    def __init__(self, tmp: Path, role: str, port: int, sender: str, target: str) -> None:
        lines = [
            "[DEFAULT]",
            f"ConnectionType={role}",
            "StartTime=00:00:00",
            "EndTime=00:00:00",
            f"FileStorePath={tmp / 'qf-store'}",
            "UseDataDictionary=Y",
            f"DataDictionary={XML}",
            "HeartBtInt=30",
            "ReconnectInterval=1",
            "ResetOnLogon=N",
            "[SESSION]",
            "BeginString=FIX.4.4",
            f"SenderCompID={sender}",
            f"TargetCompID={target}",
            f"SocketAcceptPort={port}" if role == "acceptor" else f"SocketConnectPort={port}",
            "SocketConnectHost=127.0.0.1",
        ]
        cfg = tmp / f"{role}.cfg"
        cfg.write_text("\n".join(lines) + "\n")
        self.proc = subprocess.Popen(
            [sys.executable, str(PEER), str(cfg)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        self.events: list[str] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        _wait(lambda: "started" in self.events)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.events.append(line.strip())

    def send(self, i: int) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"send {i}\n")
        self.proc.stdin.flush()

    def received(self, msg_type: str) -> list[str]:
        return [e.split()[1] for e in list(self.events) if e.startswith(f"{msg_type} ")]

    def poss_dups(self, msg_type: str) -> int:
        return sum(
            1 for e in list(self.events) if e.startswith(f"{msg_type} ") and e.endswith(" Y")
        )

    def count(self, event: str) -> int:
        return list(self.events).count(event)

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _order(i: int) -> NewOrderSingle:
    return NewOrderSingle(
        f"c{i}",
        "ABC",
        "1",
        Decimal(10),
        "2",
        time.time_ns(),
        price=Decimal("101.25"),
        time_in_force="0",
    )


class OurVenue(BaseApplication):
    def __init__(self) -> None:
        self.orders: list[str] = []
        self.drop_replies = 0  # replies to swallow (forces a gap on the peer)

    def on_message(self, session: Session, msg: RawMessage) -> None:
        v = msg.values
        self.orders.append(v[11])
        n = len(self.orders)
        session.send_message(
            ExecutionReport(
                f"O{n}",
                f"E{n}",
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
        if self.drop_replies:
            self.drop_replies -= 1
            session.data_to_send()  # stored, never written: the peer sees a gap


class OurClient(BaseApplication):
    def __init__(self) -> None:
        self.reports: list[str] = []

    def on_message(self, session: Session, msg: RawMessage) -> None:
        self.reports.append(msg.values[11])


@pytest.fixture
def peers() -> Iterator[list[QfPeer]]:
    started: list[QfPeer] = []
    yield started
    for p in started:
        p.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_quickfix_initiator_against_our_acceptor(
    loop_thread: LoopThread, tmp_path: Path, peers: list[QfPeer]
) -> None:
    venue = OurVenue()
    store_path = tmp_path / "ours.store"

    def make_acceptor(port: int) -> tuple[Acceptor, Session]:
        s = Session(SessionConfig("OURV", "QFC", "acceptor"), venue, FileStore(store_path))
        return Acceptor([s], port=port), s

    port = _free_port()
    acceptor, session = make_acceptor(port)
    loop_thread.run(acceptor.start())
    qf = QfPeer(tmp_path, "initiator", port, "QFC", "OURV")
    peers.append(qf)
    _wait(lambda: qf.count("logon") == 1)
    for i in range(N // 2):
        qf.send(i)
    _wait(lambda: len(qf.received("8")) == N // 2)
    # forced gap: our next 3 ERs are stored but not written; QuickFIX asks for a resend
    venue.drop_replies = 3
    for i in range(N // 2, N // 2 + 10):
        qf.send(i)
    _wait(lambda: len(qf.received("8")) == N // 2 + 10)
    assert qf.poss_dups("8") == 3  # exactly the swallowed ERs arrived as resends
    # restart our side mid-session: same store file, same port, no sequence reset
    loop_thread.run(acceptor.stop())
    session.store.close()
    sent_before = session.store.next_sender_seq
    acceptor, session = make_acceptor(port)
    assert session.store.next_sender_seq == sent_before  # continued from the file
    loop_thread.run(acceptor.start())
    _wait(
        lambda: qf.count("logon") == 2 and session.is_logged_on,
        why=lambda: (qf.events[-6:], session.last_error, session.connected),
    )
    for i in range(N // 2 + 10, N):
        qf.send(i)
    _wait(lambda: len(qf.received("8")) == N)
    assert venue.orders == [f"c{i}" for i in range(N)]
    assert qf.received("8") == [f"c{i}" for i in range(N)]  # each once, in order
    # logout handshake initiated by our side
    loop_thread.call(session.logout)
    loop_thread.call(lambda: [c._pump() for c in acceptor._all])
    _wait(lambda: qf.count("logout") >= 2, why=lambda: (qf.events[-6:], session.last_error))
    loop_thread.run(acceptor.stop())


def test_our_initiator_against_quickfix_acceptor(
    loop_thread: LoopThread, tmp_path: Path, peers: list[QfPeer]
) -> None:
    port = _free_port()
    qf = QfPeer(tmp_path, "acceptor", port, "QFV", "OURC")
    peers.append(qf)
    client = OurClient()
    store_path = tmp_path / "ours.store"

    def connect() -> tuple[Session, Initiator]:
        s = Session(SessionConfig("OURC", "QFV", "initiator"), client, FileStore(store_path))
        ini = Initiator(s, "127.0.0.1", port, reconnect=False)
        loop_thread.run(ini.connect())
        assert loop_thread.run(ini.wait_logged_on(15))
        return s, ini

    session, ini = connect()

    def send(i: int, write: bool = True) -> None:
        def go() -> None:
            session.send_message(_order(i))
            if write:
                ini.pump()
            else:
                session.data_to_send()  # stored, never written

        loop_thread.call(go)

    for i in range(N // 2):
        send(i)
    _wait(lambda: len(client.reports) == N // 2)
    for i in range(N // 2, N // 2 + 3):  # forced gap: QuickFIX must ask for these
        send(i, write=False)
    for i in range(N // 2 + 3, N // 2 + 10):
        send(i)
    _wait(lambda: len(client.reports) == N // 2 + 10)
    assert qf.poss_dups("D") == 3
    seq_before = session.store.next_sender_seq
    # restart our side: drop the connection without logout, new Session on the same file
    loop_thread.call(lambda: ini.connection.transport.abort())  # type: ignore[union-attr]
    _wait(lambda: not session.connected)
    session.store.close()
    session, ini = connect()
    assert session.store.next_sender_seq == seq_before + 1  # continued (+ the new Logon)
    for i in range(N // 2 + 10, N):
        send(i)
    _wait(lambda: len(client.reports) == N)
    loop_thread.run(ini.stop())
    assert not session.is_logged_on and session.logout_text is None
    assert qf.received("D") == [f"c{i}" for i in range(N)]  # each once, in order
    assert client.reports == [f"c{i}" for i in range(N)]
    _wait(lambda: qf.count("logout") == 2)
