"""Control channel over real REQ/REP sockets."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest

from mmsla.events.control import ControlError, ControlServer, parse_command, send_control


def test_commands_reach_the_handler_and_replies_come_back() -> None:
    seen: list[dict[str, Any]] = []

    def handle(cmd: dict[str, Any]) -> dict[str, Any]:
        seen.append(cmd)
        return {"state": "halted"} if cmd["type"] == "kill" else {}

    server = ControlServer("tcp://127.0.0.1:*", handle)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            server.poll(20)

    t = threading.Thread(target=loop)
    t.start()
    try:
        widen = {"type": "widen", "symbol": "ABC", "factor": "1.5"}
        assert send_control(server.endpoint, widen) == {"ok": True}
        assert send_control(server.endpoint, {"type": "kill", "reason": "test"}) == {
            "ok": True,
            "state": "halted",
        }
        bad = send_control(server.endpoint, {"type": "widen", "factor": "0.5"})
        assert bad is not None and bad["ok"] is False and "factor must be >= 1" in bad["error"]
    finally:
        stop.set()
        t.join()
        server.close()
    assert seen[0]["factor"] == Decimal("1.5") and seen[0]["symbol"] == "ABC"
    assert seen[1]["type"] == "kill"
    assert len(seen) == 2  # the malformed request never reached the handler


def test_no_quoter_listening_gives_none() -> None:
    assert send_control("tcp://127.0.0.1:1", {"type": "status"}, timeout_ms=200) is None


@pytest.mark.parametrize(
    "payload", [b"{", b'{"type": "explode"}', b'{"type": "pull", "symbol": ""}']
)
def test_malformed_commands(payload: bytes) -> None:
    with pytest.raises(ControlError):
        parse_command(payload)


def test_pull_defaults_to_all_symbols() -> None:
    assert parse_command(b'{"type": "pull"}')["symbol"] == "*"
