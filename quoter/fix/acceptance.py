"""The acceptor profile that QuickFIX's FIX 4.4 acceptance definitions expect.

Session ISLD <- TW44, FIX.4.4, always open, reset on every Logon, millisecond
SendingTime, full validation. Application (as QuickFIX's `at` test server):
echo NewOrderSingle (35=D) back, dropping a PossResend=Y order whose ClOrdID
was already seen in this session; echo SecurityDefinition (35=d); answer any
other application message with BusinessMessageReject 380=3. The set of seen
ClOrdIDs starts empty at each Logon (every acceptance file is a new FIX day).
"""

from __future__ import annotations

import asyncio
import ssl

from quoter.fix.codec import tags as T
from quoter.fix.codec.framing import RawMessage
from quoter.fix.session import (
    BaseApplication,
    Session,
    SessionConfig,
    UnsupportedMessageType,
)
from quoter.fix.store import MemoryStore
from quoter.fix.transport import Acceptor
from quoter.fix.validation import read_group

_NOT_ECHOED = frozenset(
    (
        T.BEGIN_STRING,
        T.BODY_LENGTH,
        T.MSG_TYPE,
        T.MSG_SEQ_NUM,
        T.SENDER_COMP_ID,
        T.SENDING_TIME,
        T.TARGET_COMP_ID,
        T.POSS_DUP_FLAG,
        T.ORIG_SENDING_TIME,
        T.CHECK_SUM,
    )
)


def acceptance_config() -> SessionConfig:
    return SessionConfig(
        sender_comp_id="ISLD",
        target_comp_id="TW44",
        role="acceptor",
        reset_on_logon=True,
        sending_time_precision="ms",
        validate=True,
    )


class AcceptanceApplication(BaseApplication):
    """Echo 35=D (PossResend duplicates dropped) and 35=d; reject the rest."""

    def __init__(self) -> None:
        self.seen_cl_ord_ids: set[str] = set()

    def on_logon(self, session: Session) -> None:
        self.seen_cl_ord_ids.clear()

    def on_message(self, session: Session, msg: RawMessage) -> None:
        if msg.msg_type == "D":
            cl_ord_id = msg.values.get(T.CL_ORD_ID, "")
            if msg.values.get(T.POSS_RESEND) == "Y" and cl_ord_id in self.seen_cl_ord_ids:
                return
            self.seen_cl_ord_ids.add(cl_ord_id)
            self._echo(session, msg)
        elif msg.msg_type == "d":
            self._echo(session, msg)
        else:
            raise UnsupportedMessageType(msg.msg_type)

    @staticmethod
    def _echo(session: Session, msg: RawMessage) -> None:
        """Send `msg` back: header re-filled, body in ascending tag order with
        each repeating group kept after its count field (as QuickFIX writes it)."""
        dd = session.dictionary
        header = [f for f in msg.fields if f[0] in dd.header and f[0] not in _NOT_ECHOED]
        body = [f for f in msg.fields if f[0] not in dd.header and f[0] not in dd.trailer]
        mdef = dd.messages.get(msg.msg_type)
        groups = mdef.groups if mdef else {}
        chunks: list[list[tuple[int, str]]] = []
        i = 0
        while i < len(body):
            g = groups.get(body[i][0])
            if g is None:
                chunks.append([body[i]])
                i += 1
            else:
                _, end = read_group(body, i + 1, g)
                chunks.append(body[i:end])
                i = end
        chunks.sort(key=lambda c: c[0][0])
        out = [f for c in chunks for f in c]
        session.send(msg.msg_type, out, header)


def acceptance_session() -> Session:
    return Session(acceptance_config(), AcceptanceApplication(), MemoryStore())


async def serve_acceptance(
    host: str, port: int, ssl_context: ssl.SSLContext | None = None
) -> Acceptor:
    """Start the acceptance acceptor; returns it (already listening)."""
    acceptor = Acceptor([acceptance_session()], host=host, port=port, ssl_context=ssl_context)
    await acceptor.start()
    return acceptor


def run_acceptance_server(host: str, port: int) -> None:
    """Serve in the foreground until cancelled (SIGINT)."""

    async def main() -> None:
        acceptor = await serve_acceptance(host, port)
        try:
            await asyncio.Event().wait()
        finally:
            await acceptor.stop()

    asyncio.run(main())
