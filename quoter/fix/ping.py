"""`mmsla fix ping`: log on to a FIX 4.4 acceptor, TestRequest, Heartbeat, log out.

Measures the time from connect to Logon reply and the TestRequest ->
Heartbeat round trip. Logs on with ResetSeqNumFlag=Y so it needs no stored
sequence numbers. Failure reasons are one line: refused, TLS error, timeout,
logon rejected with the peer's Logout text, or disconnected.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass

from quoter.fix.session import Session, SessionConfig
from quoter.fix.store import MemoryStore
from quoter.fix.transport import Initiator


@dataclass(frozen=True, slots=True)
class PingResult:
    """Outcome of one ping; times in milliseconds, `reason` set when not ok."""

    ok: bool
    logon_ms: float | None = None
    round_trip_ms: float | None = None
    reason: str | None = None


async def _wait(initiator: Initiator, cond: object, deadline: float) -> bool:
    while not cond():  # type: ignore[operator]
        remaining = deadline - time.monotonic()
        if remaining <= 0 or initiator.disconnected.is_set():
            return bool(cond())  # type: ignore[operator]
        initiator.activity.clear()
        try:
            await asyncio.wait_for(initiator.activity.wait(), remaining)
        except TimeoutError:
            return bool(cond())  # type: ignore[operator]
    return True


async def ping(
    host: str,
    port: int,
    sender: str,
    target: str,
    username: str | None = None,
    password: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
    timeout_s: float = 10.0,
) -> PingResult:
    """Ping a FIX acceptor (see module docstring)."""
    config = SessionConfig(
        sender_comp_id=sender,
        target_comp_id=target,
        role="initiator",
        reset_seq_num_flag=True,
        username=username,
        password=password,
        logon_timeout_s=timeout_s,
    )
    session = Session(config, store=MemoryStore())
    initiator = Initiator(session, host, port, ssl_context=ssl_context, reconnect=False)
    start = time.monotonic()
    deadline = start + timeout_s
    try:
        await asyncio.wait_for(initiator.connect(), timeout_s)
    except TimeoutError:
        return PingResult(False, reason=f"timeout connecting to {host}:{port}")
    except ssl.SSLError as e:
        return PingResult(False, reason=f"TLS handshake with {host}:{port} failed: {e}")
    except OSError as e:
        return PingResult(False, reason=f"connection to {host}:{port} refused: {e.strerror or e}")
    try:
        if not await _wait(initiator, lambda: session.is_logged_on, deadline):
            if session.logout_text:
                return PingResult(False, reason=f"logon rejected: {session.logout_text}")
            if initiator.disconnected.is_set():
                why = session.last_error or "no reason given"
                return PingResult(False, reason=f"disconnected before logon ({why})")
            return PingResult(False, reason=f"timeout: no Logon reply within {timeout_s:g} s")
        logon_ms = (time.monotonic() - start) * 1000
        test_id = f"PING-{time.time_ns()}"
        sent = time.monotonic()
        session.send_test_request(test_id)
        initiator.pump()
        if not await _wait(
            initiator, lambda: session.last_heartbeat_test_req_id == test_id, deadline
        ):
            reason = (
                "disconnected while waiting for the Heartbeat"
                if initiator.disconnected.is_set()
                else f"timeout: no Heartbeat for TestRequest within {timeout_s:g} s"
            )
            return PingResult(False, logon_ms=logon_ms, reason=reason)
        rtt_ms = (time.monotonic() - sent) * 1000
        return PingResult(True, logon_ms=logon_ms, round_trip_ms=rtt_ms)
    finally:
        await initiator.stop(logout_timeout_s=min(2.0, timeout_s))
