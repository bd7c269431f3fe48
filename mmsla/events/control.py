"""The control channel into a running quoter: widen, pull, resume, kill, status.

Transport: ZeroMQ REQ/REP. The quoter binds a REP socket and polls it once per
event-loop turn (`ControlServer.poll`), so a command takes effect within one
turn; the monitor and the `mmsla quoter kill|resume|status` CLI send with
`send_control` and wait for the reply.

Request: one JSON object, `{"type": "widen", "symbol": "ABC", "factor": "1.5",
"reason": "...", "source": "monitor"}` (symbol `"*"` = all symbols; `status`
takes no fields). Reply: `{"ok": true, ...}` or `{"ok": false, "error": "..."}`.
The quoter decides what a command means (e.g. widen stops at the agreement's
limit); this module only carries and checks the messages.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import zmq

COMMANDS = ("widen", "pull", "resume", "kill", "status")
ALL_SYMBOLS = "*"


class ControlError(ValueError):
    """A malformed control request."""


def parse_command(payload: bytes) -> dict[str, Any]:
    """Check a control request; `factor` comes back as a Decimal >= 1."""
    try:
        cmd = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ControlError("control request is not JSON") from None
    if not isinstance(cmd, dict) or cmd.get("type") not in COMMANDS:
        raise ControlError(f"unknown control command; expected one of {', '.join(COMMANDS)}")
    kind = cmd["type"]
    if kind in ("widen", "pull", "resume"):
        symbol = cmd.setdefault("symbol", ALL_SYMBOLS)
        if not isinstance(symbol, str) or not symbol:
            raise ControlError(f"{kind}: symbol must be a non-empty string")
    if kind == "widen":
        try:
            factor = Decimal(str(cmd.get("factor")))
        except InvalidOperation:
            raise ControlError("widen: factor must be a number") from None
        if not factor.is_finite() or factor < 1:
            raise ControlError("widen: factor must be >= 1")
        cmd["factor"] = factor
    cmd.setdefault("reason", "")
    return cmd


class ControlServer:
    """REP socket served from the owner's loop: `poll()` handles what is waiting."""

    def __init__(
        self,
        endpoint: str,
        handler: Callable[[dict[str, Any]], Mapping[str, Any]],
        *,
        context: zmq.Context[Any] | None = None,
    ) -> None:
        ctx = context or zmq.Context.instance()
        self._handler = handler
        self._sock = ctx.socket(zmq.REP)
        self._sock.setsockopt(zmq.LINGER, 0)
        self._sock.bind(endpoint)
        self.endpoint = self._sock.getsockopt_string(zmq.LAST_ENDPOINT)

    @property
    def socket(self) -> Any:
        """For registering with a poller or an event loop's reader."""
        return self._sock

    def poll(self, timeout_ms: int = 0) -> int:
        """Answer every request waiting now; returns how many were handled."""
        handled = 0
        while self._sock.poll(timeout_ms if handled == 0 else 0, zmq.POLLIN):
            payload = self._sock.recv()
            try:
                reply = dict(self._handler(parse_command(payload)))
                reply.setdefault("ok", True)
            except ControlError as e:
                reply = {"ok": False, "error": str(e)}
            self._sock.send(json.dumps(reply, default=str).encode())
            handled += 1
        return handled

    def close(self) -> None:
        self._sock.close()


def send_control(
    endpoint: str,
    command: Mapping[str, Any],
    *,
    timeout_ms: int = 2000,
    context: zmq.Context[Any] | None = None,
) -> dict[str, Any] | None:
    """Send one command and wait for the reply; None when nobody answers in time."""
    ctx = context or zmq.Context.instance()
    sock = ctx.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    try:
        sock.connect(endpoint)
        sock.send(json.dumps(dict(command), default=str).encode())
        if not sock.poll(timeout_ms, zmq.POLLIN):
            return None
        reply = json.loads(sock.recv())
        return reply if isinstance(reply, dict) else None
    finally:
        sock.close()
