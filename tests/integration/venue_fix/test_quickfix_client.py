"""An ordinary FIX client (QuickFIX) logs on to the venue, subscribes and trades.

QuickFIX validates every message against its FIX44.xml, extended the way a
member would extend it from the venue's published dictionary: MDPriceLevel
(1023) and AggressorSide (2446) in the NoMDEntries groups, StressedMarket
(20001). Skips when the quickfix package is not installed (fails on CI).
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from mmsla.domain import Side
from tests.integration.venue_fix.harness import START_NS, make_venue

try:
    import quickfix as fix
except ImportError:  # pragma: no cover - depends on the environment
    fix = None


def _dictionary(tmp: Path) -> Path:
    base = Path(fix.__file__).parent.parent.parent.parent / "share" / "quickfix" / "FIX44.xml"
    if not base.exists():
        pytest.fail(f"quickfix is installed but its FIX44.xml is not at {base}")
    tree = ET.parse(base)
    root = tree.getroot()
    fields = root.find("fields")
    assert fields is not None
    ET.SubElement(fields, "field", number="1023", name="MDPriceLevel", type="INT")
    side = ET.SubElement(fields, "field", number="2446", name="AggressorSide", type="CHAR")
    ET.SubElement(side, "value", enum="1", description="BUY")
    ET.SubElement(side, "value", enum="2", description="SELL")
    ET.SubElement(fields, "field", number="20001", name="StressedMarket", type="BOOLEAN")
    for comp in root.iter("component"):
        if comp.get("name") in ("MDFullGrp", "MDIncGrp") and len(comp):
            group = next(g for g in comp.iter("group") if g.get("name") == "NoMDEntries")
            ET.SubElement(group, "field", name="MDPriceLevel", required="N")
            ET.SubElement(group, "field", name="AggressorSide", required="N")
    for m in root.iter("message"):
        if m.get("msgtype") == "f":
            ET.SubElement(m, "field", name="StressedMarket", required="N")
    out = tmp / "FIX44-venue.xml"
    tree.write(out)
    return out


class _LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout_s: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout_s)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def _fields(text: str) -> list[tuple[int, str]]:
    return [(int(t), v) for t, _, v in (p.partition("=") for p in text.split("\x01") if p)]


def test_quickfix_initiator_logs_on_subscribes_and_trades(tmp_path: Path) -> None:
    if fix is None:
        if os.environ.get("CI") == "true":
            pytest.fail("quickfix must be installed on CI")
        pytest.skip("quickfix is not installed")

    class App(fix.Application):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.inbox: queue.Queue[list[tuple[int, str]]] = queue.Queue()
            self.sent_admin: list[str] = []
            self.logged_on = threading.Event()
            self.session_id: Any = None

        def onCreate(self, sid: Any) -> None:
            self.session_id = sid

        def onLogon(self, sid: Any) -> None:
            self.logged_on.set()

        def onLogout(self, sid: Any) -> None:
            pass

        def toAdmin(self, msg: Any, sid: Any) -> None:
            if msg.getHeader().getField(35) == "A":
                msg.setField(fix.StringField(553, "mm1"))
                msg.setField(fix.StringField(554, "pw1"))
            self.sent_admin.append(msg.getHeader().getField(35))

        def fromAdmin(self, msg: Any, sid: Any) -> None:
            pass

        def toApp(self, msg: Any, sid: Any) -> None:
            pass

        def fromApp(self, msg: Any, sid: Any) -> None:
            self.inbox.put(_fields(msg.toString()))

    def expect(app: App, msg_type: str) -> dict[int, str]:
        while True:
            f = app.inbox.get(timeout=5)
            if dict(f)[35] == msg_type:
                return dict(f)

    lt = _LoopThread()
    venue = make_venue()
    lt.run(venue.start())
    lt.run(_rest_ask(venue))
    cfg = tmp_path / "client.cfg"
    cfg.write_text(
        "[DEFAULT]\nConnectionType=initiator\nReconnectInterval=60\nHeartBtInt=30\n"
        "StartTime=00:00:00\nEndTime=00:00:00\nResetOnLogon=Y\nUseDataDictionary=Y\n"
        f"DataDictionary={_dictionary(tmp_path)}\nValidateUserDefinedFields=N\n"
        f"FileLogPath={tmp_path / 'log'}\n"
        "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=MM1\nTargetCompID=VENUE\n"
        f"SocketConnectHost=127.0.0.1\nSocketConnectPort={venue.port}\n"
    )
    app = App()
    settings = fix.SessionSettings(str(cfg))
    initiator = fix.SocketInitiator(
        app, fix.MemoryStoreFactory(), settings, fix.FileLogFactory(settings)
    )
    initiator.start()
    try:
        assert app.logged_on.wait(5), "QuickFIX could not log on"
        req = fix.Message()
        req.getHeader().setField(fix.StringField(35, "V"))
        for tag, val in ((262, "q1"), (263, "1"), (264, "5")):
            req.setField(fix.StringField(tag, val))
        for typ in "012":
            g = fix.Group(267, 269)
            g.setField(fix.StringField(269, typ))
            req.addGroup(g)
        g = fix.Group(146, 55)
        g.setField(fix.StringField(55, "ABC"))
        req.addGroup(g)
        fix.Session.sendToTarget(req, app.session_id)
        w = expect(app, "W")
        assert (w[55], w[269], w[270], w[271], w[1023]) == ("ABC", "1", "100.10", "5", "1")
        status = expect(app, "f")
        assert (status[326], status[20001]) == ("17", "N")
        order = fix.Message()
        order.getHeader().setField(fix.StringField(35, "D"))
        for tag, val in (
            (11, "qf1"),
            (55, "ABC"),
            (54, "1"),
            (60, "20250615-15:06:40.000"),
            (38, "2"),
            (40, "2"),
            (44, "100.10"),
            (59, "3"),
        ):
            order.setField(fix.StringField(tag, val))
        fix.Session.sendToTarget(order, app.session_id)
        new = expect(app, "8")
        assert (new[11], new[150], new[39]) == ("qf1", "0", "0")
        fill = expect(app, "8")
        assert (fill[150], fill[39], fill[32], fill[31], fill[151], fill[14]) == (
            "F",
            "2",
            "2",
            "100.10",
            "0",
            "2",
        )
        trade = expect(app, "X")
        assert (trade[269], trade[270], trade[271], trade[2446]) == ("2", "100.10", "2", "1")
        size = expect(app, "X")
        assert (size[279], size[270], size[271]) == ("1", "100.10", "3")
        assert "3" not in app.sent_admin  # QuickFIX rejected nothing the venue sent
    finally:
        initiator.stop()
        lt.run(venue.stop())
        lt.close()


async def _rest_ask(venue: Any) -> None:
    events = venue.engine.submit("MM2", "ABC", Side.SELL, 10010, 5, START_NS)
    venue.publish_events(events)
