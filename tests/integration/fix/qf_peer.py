"""A QuickFIX engine run as a separate process for the interop tests.

`python qf_peer.py CONFIG` starts a SocketInitiator or SocketAcceptor (per the
config's ConnectionType). As acceptor it answers every NewOrderSingle with an
ExecutionReport. Commands on stdin: `send N` (send order cN), `quit`. Events on
stdout, one per line: `logon`, `logout`, `D <ClOrdID> <PossDup>`,
`8 <ClOrdID> <PossDup>`. Running QuickFIX out of process keeps a crash of its
Python binding (seen on stop) away from the test runner.
"""

from __future__ import annotations

import sys
import threading

import quickfix as fix


def out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class App(fix.Application):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.sid = None
        self.orders = 0

    def onCreate(self, sid):
        self.sid = sid

    def onLogon(self, sid):
        out("logon")

    def onLogout(self, sid):
        out("logout")

    def toAdmin(self, msg, sid):
        pass

    def fromAdmin(self, msg, sid):
        pass

    def toApp(self, msg, sid):
        pass

    def fromApp(self, msg, sid):
        hdr = msg.getHeader()
        mt = hdr.getField(35)
        dup = hdr.getField(43) if hdr.isSetField(43) else "N"
        cl = msg.getField(11)
        out(f"{mt} {cl} {dup}")
        if mt == "D":
            self.orders += 1
            er = fix.Message()
            er.getHeader().setField(fix.MsgType("8"))
            for tag, val in [
                (37, f"O{self.orders}"),
                (11, cl),
                (17, f"E{self.orders}"),
                (150, "0"),
                (39, "0"),
                (55, msg.getField(55)),
                (54, msg.getField(54)),
                (38, msg.getField(38)),
                (151, "0"),
                (14, "0"),
                (6, "0"),
            ]:
                er.setField(tag, val)
            fix.Session.sendToTarget(er, sid)


def main() -> None:
    settings = fix.SessionSettings(sys.argv[1])
    app = App()
    factory = fix.FileStoreFactory(settings)
    role = settings.get().getString("ConnectionType")
    engine = (fix.SocketAcceptor if role == "acceptor" else fix.SocketInitiator)(
        app, factory, settings
    )
    engine.start()
    out("started")
    lock = threading.Lock()
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "send":
            m = fix.Message()
            m.getHeader().setField(fix.MsgType("D"))
            for tag, val in [
                (11, f"c{cmd[1]}"),
                (21, "1"),
                (55, "ABC"),
                (54, "1"),
                (60, "20250101-00:00:00.000"),
                (38, "10"),
                (40, "2"),
                (44, "101.25"),
                (59, "0"),
            ]:
                m.setField(tag, val)
            with lock:
                fix.Session.sendToTarget(m, app.sid)
        elif cmd[0] == "quit":
            break
    engine.stop(True)
    out("stopped")


if __name__ == "__main__":
    main()
