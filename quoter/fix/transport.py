"""asyncio transports around `Session`: an acceptor for many sessions and an
initiator with reconnect/backoff; both optionally over TLS (`ssl.SSLContext`).

A connection pumps bytes into the session, writes what the session queues,
flushes the session's store once per batch (the "batch" fsync point), keeps
one timer armed at the session's next deadline and closes the socket when the
session asks. The acceptor routes a new connection by the identity in its
first message (BeginString, SenderCompID, TargetCompID) and silently drops
unknown identities, garbage before a first message, and a second connection
for a session that is already connected (duplicate identity).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterable

from quoter.fix.codec import tags as T
from quoter.fix.codec.framing import GARBLED, FrameDecoder, GarbledFrame, parse
from quoter.fix.session import Session

_NS = 1_000_000_000


class _Connection(asyncio.Protocol):
    """One TCP connection bound (now or after routing) to one Session."""

    def __init__(self, owner: _Owner, session: Session | None) -> None:
        self.owner = owner
        self.session = session
        self.transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: int | None = None
        self._router = FrameDecoder() if session is None else None
        self.closed = asyncio.get_running_loop().create_future()

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        with contextlib.suppress(OSError, AttributeError):
            sock = transport.get_extra_info("socket")
            if sock is not None:
                import socket

                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.session is not None:
            self.session.connection_made()
            self.owner.attached(self.session, self)
            self._pump()

    def data_received(self, data: bytes) -> None:
        session = self.session
        if session is None:
            self._route(data)
            return
        session.data_received(data)
        self._pump()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.session is not None:
            self.session.connection_lost()
            self.owner.detached(self.session, self)
        if not self.closed.done():
            self.closed.set_result(None)

    # routing (acceptor)
    def _route(self, data: bytes) -> None:
        assert self._router is not None and self.transport is not None
        frames = self._router.feed(data)
        if self._router.discarded_bytes:  # not FIX: refuse before any session is involved
            self.transport.close()
            return
        if not frames:
            if self._router.buffered() > self._router.max_message_bytes:
                self.transport.close()
            return
        first = frames[0]
        if first is GARBLED or first == GARBLED:
            self.transport.close()
            return
        try:
            msg = parse(first)
        except GarbledFrame:
            self.transport.close()
            return
        v = msg.values
        key = (v.get(T.BEGIN_STRING), v.get(T.TARGET_COMP_ID), v.get(T.SENDER_COMP_ID))
        session = self.owner.lookup(key)  # type: ignore[arg-type]
        if session is None or session.connected:
            self.transport.close()
            return
        self.session = session
        rest = self._router.take_buffer()
        self._router = None
        session.connection_made()
        self.owner.attached(session, self)
        session.frame_received(first)
        for frame in frames[1:]:
            if session.disconnect_requested:
                break
            session.frame_received(frame)
        if rest and not session.disconnect_requested:
            session.data_received(rest)
        self._pump()

    # pumping
    def _pump(self) -> None:
        session = self.session
        transport = self.transport
        if session is None or transport is None:
            return
        out = session.data_to_send()
        session.store.flush()  # durable before it can reach the peer
        if out:
            transport.write(out)
        if session.disconnect_requested:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            transport.close()
            return
        self.owner.state_changed(session)
        deadline = session.next_deadline_ns()
        if deadline is None:
            return
        if self._timer is not None and self._timer_at is not None and self._timer_at <= deadline:
            return  # an earlier timer is armed; it re-arms itself when it fires
        if self._timer is not None:
            self._timer.cancel()
        delay = max(0.0, (deadline - session.clock()) / _NS)
        self._timer_at = deadline
        self._timer = asyncio.get_running_loop().call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        if self.session is not None:
            self.session.on_timer()
            self._pump()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class _Owner:
    """What a connection reports to (acceptor or initiator)."""

    def lookup(self, key: tuple[str, str, str]) -> Session | None:
        return None

    def attached(self, session: Session, conn: _Connection) -> None:
        """A connection now carries `session`."""

    def detached(self, session: Session, conn: _Connection) -> None:
        """The connection carrying `session` ended."""

    def state_changed(self, session: Session) -> None:
        """The session processed input (logon state may have changed)."""


class Acceptor(_Owner):
    """Listen for FIX connections and route them to configured sessions."""

    def __init__(
        self,
        sessions: Iterable[Session],
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.sessions = {
            (s.config.begin_string, s.config.sender_comp_id, s.config.target_comp_id): s
            for s in sessions
        }
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._all: set[_Connection] = set()

    async def start(self) -> None:
        """Bind and listen; `self.port` is the bound port afterwards."""
        loop = asyncio.get_running_loop()

        def factory() -> _Connection:
            conn = _Connection(self, None)
            self._all.add(conn)
            conn.closed.add_done_callback(lambda _: self._all.discard(conn))
            return conn

        self._server = await loop.create_server(factory, self.host, self.port, ssl=self.ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]

    def lookup(self, key: tuple[str, str, str]) -> Session | None:
        return self.sessions.get(key)

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._server is not None:
            self._server.close()
        for conn in list(self._all):
            conn.close()
        for conn in list(self._all):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(conn.closed), 2)
        if self._server is not None:
            await self._server.wait_closed()

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()


class Initiator(_Owner):
    """Connect a session to a FIX acceptor, reconnecting with exponential backoff."""

    def __init__(
        self,
        session: Session,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
        reconnect: bool = True,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
    ) -> None:
        self.session = session
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.server_hostname = server_hostname
        self.reconnect = reconnect
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.connection: _Connection | None = None
        self.logged_on = asyncio.Event()
        self.disconnected = asyncio.Event()
        self.activity = asyncio.Event()  # set after every batch of input
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.connect_error: str | None = None

    def state_changed(self, session: Session) -> None:
        if session.is_logged_on:
            self.logged_on.set()
        self.activity.set()

    def detached(self, session: Session, conn: _Connection) -> None:
        self.logged_on.clear()
        self.disconnected.set()
        self.activity.set()

    async def connect(self) -> _Connection:
        """One connection attempt (raises OSError when refused)."""
        loop = asyncio.get_running_loop()
        self.disconnected.clear()
        hostname = (self.server_hostname or self.host) if self.ssl_context is not None else None
        _, conn = await loop.create_connection(
            lambda: _Connection(self, self.session),
            self.host,
            self.port,
            ssl=self.ssl_context,
            server_hostname=hostname,
        )
        self.connection = conn
        return conn

    async def _run(self) -> None:
        backoff = self.backoff_initial_s
        while not self._stopping:
            try:
                conn = await self.connect()
            except OSError as e:
                self.connect_error = str(e)
                if not self.reconnect:
                    return
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.backoff_max_s)
                continue
            await conn.closed
            if self.session.is_logged_on or self.logged_on.is_set():
                backoff = self.backoff_initial_s
            if not self.reconnect or self._stopping:
                return
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.backoff_max_s)

    def start(self) -> asyncio.Task[None]:
        """Run the connect/reconnect loop in the background."""
        self._stopping = False
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self._task

    async def wait_logged_on(self, timeout_s: float) -> bool:
        try:
            await asyncio.wait_for(self.logged_on.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    def pump(self) -> None:
        """Write what the session queued outside a callback (e.g. after `send`)."""
        if self.connection is not None:
            self.connection._pump()

    async def stop(self, logout_timeout_s: float = 2.0) -> None:
        """Log out (waiting up to the timeout for the reply), then close."""
        self._stopping = True
        conn = self.connection
        if conn is not None and not conn.closed.done():
            if self.session.is_logged_on:
                self.session.logout()
                conn._pump()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(conn.closed), logout_timeout_s)
            conn.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(conn.closed), 2)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
