"""Alert sinks over real files, a real local HTTP server and a real ZMQ socket."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import zmq

from mmsla.errors import ConfigError
from mmsla.monitor.alerts import Alert, Severity
from mmsla.monitor.sinks import JsonlSink, StderrSink, WebhookSink, ZmqSink, open_sink

ALERT = Alert(
    id="breach_opened:ABC:2026-11-25:1",
    kind="breach_opened",
    severity=Severity.WARNING,
    ts_ns=1,
    symbol="ABC",
    message="ONE_SIDED since 10:10:00",
    fields={"reasons": ["ONE_SIDED"]},
)


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, object]]] = []
    fail_first = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Hook.fail_first > 0:
            _Hook.fail_first -= 1
            self.send_response(500)
        else:
            _Hook.received.append(json.loads(body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    _Hook.received = []
    _Hook.fail_first = 0
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_webhook_delivers_with_retry(http_server: str) -> None:
    _Hook.fail_first = 2  # two 500s, then success
    sink = WebhookSink(http_server, retries=3, backoff_s=0.01)
    sink.send(ALERT)
    sink.close()
    assert sink.delivered == 1
    assert _Hook.received[0]["id"] == ALERT.id
    assert _Hook.received[0]["reasons"] == ["ONE_SIDED"]


def test_webhook_down_never_blocks_the_caller() -> None:
    sink = WebhookSink("http://127.0.0.1:9/none", retries=1, backoff_s=0.5, queue_size=5)
    t0 = time.perf_counter()
    for _ in range(50):
        sink.send(ALERT)
    assert time.perf_counter() - t0 < 0.5  # enqueue only
    assert sink.dropped >= 44  # the bounded queue overflowed and counted it
    sink.close(timeout_s=0.1)


def test_jsonl_and_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sink = JsonlSink(tmp_path / "alerts.jsonl")
    sink.send(ALERT)
    sink.close()
    row = json.loads((tmp_path / "alerts.jsonl").read_text())
    assert row["kind"] == "breach_opened" and row["severity"] == "warning"
    StderrSink().send(ALERT)
    assert "[WARNING] breach_opened ABC: ONE_SIDED since 10:10:00" in capsys.readouterr().err


def test_zmq_sink_publishes_topic() -> None:
    sink = ZmqSink("tcp://127.0.0.1:*")
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"alert.")
    sub.connect(sink.endpoint)
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            sink.send(ALERT)
            if sub.poll(50):
                topic, payload = sub.recv_multipart()
                assert topic == b"alert.breach_opened"
                assert json.loads(payload)["symbol"] == "ABC"
                return
        raise AssertionError("no alert received")
    finally:
        sub.close()
        sink.close()


def test_bad_sink_spec_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="expected stderr"):
        open_sink("email:someone")
