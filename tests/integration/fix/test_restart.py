"""A killed (SIGKILL) and restarted initiator resumes its session from its
FileStore without losing or duplicating an order (real process, real TCP)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from quoter.fix.codec.framing import RawMessage
from quoter.fix.session import BaseApplication, Session, SessionConfig
from quoter.fix.store import MemoryStore
from quoter.fix.transport import Acceptor
from tests.conftest import REPO
from tests.integration.fix.conftest import LoopThread

N_ORDERS = 3000

CLIENT = textwrap.dedent(
    """
    import asyncio, sys
    from decimal import Decimal
    from quoter.fix.codec.framing import parse
    from quoter.fix.codec.messages import NewOrderSingle
    from quoter.fix.session import Session, SessionConfig
    from quoter.fix.store import FileStore
    from quoter.fix.transport import Initiator

    port, path, total = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])

    async def main():
        store = FileStore(path, fsync="batch")
        sent = store.get_sent(1, store.next_sender_seq)
        start = int(parse(sent[-1][1]).values[11][1:]) + 1 if sent else 0
        session = Session(SessionConfig("QUOTER", "VENUE", "initiator", heart_bt_int_s=30),
                          store=store)
        ini = Initiator(session, "127.0.0.1", port, reconnect=False)
        await ini.connect()
        assert await ini.wait_logged_on(10)
        print("start", start, flush=True)
        for i in range(start, total):
            session.send_message(NewOrderSingle(f"c{i}", "ABC", "1", Decimal(1), "1", 0))
            if i % 20 == 0:
                ini.pump()
                await asyncio.sleep(0.002)
        ini.pump()
        await asyncio.sleep(0.5)
        await ini.stop()
        print("done", flush=True)

    asyncio.run(main())
    """
)


class Venue(BaseApplication):
    def __init__(self) -> None:
        self.orders: list[str] = []
        self.poss_dup = 0

    def on_message(self, session: Session, msg: RawMessage) -> None:
        self.orders.append(msg.values[11])
        self.poss_dup += msg.values.get(43) == "Y"


def _client(port: int, path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", CLIENT, str(port), str(path), str(N_ORDERS)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )


def test_sigkill_and_restart_resumes_without_loss_or_duplicates(
    loop_thread: LoopThread, tmp_path: Path
) -> None:
    venue = Venue()
    session = Session(SessionConfig("VENUE", "QUOTER", "acceptor"), venue, MemoryStore())
    acceptor = Acceptor([session])
    loop_thread.run(acceptor.start())
    store_path = tmp_path / "quoter.store"
    try:
        first = _client(acceptor.port, store_path)
        deadline = time.monotonic() + 30
        while len(venue.orders) < N_ORDERS // 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        received_before = len(venue.orders)
        assert 0 < received_before < N_ORDERS, "kill must land mid-stream"
        while loop_thread.call(lambda: session.connected):
            time.sleep(0.01)
        second = _client(acceptor.port, store_path)
        out, _ = second.communicate(timeout=60)
        assert second.returncode == 0, out
        assert "done" in out
    finally:
        loop_thread.run(acceptor.stop())
    assert venue.orders == [f"c{i}" for i in range(N_ORDERS)]
    restart_from = int(out.split()[1])
    assert restart_from >= received_before  # resent ones came from the store
    assert session.store.next_target_seq == N_ORDERS + 4  # 2 logons, 1 logout, orders
