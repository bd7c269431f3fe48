"""Alert sinks: where alerts go. None of them may block the monitor's check loop.

Specs on the command line (`--alerts SPEC`, repeatable):
    stderr                 one log line per alert on stderr
    jsonl:PATH             one JSON object per line, appended and flushed
    webhook:URL            HTTP POST of the alert JSON; a background thread with
                           a bounded queue, timeout and retries with backoff
    zmq:ENDPOINT           PUB socket bound at ENDPOINT, topic `alert.<kind>`

A webhook that is down costs the monitor nothing but a counted drop once its
queue is full.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any, Protocol

import zmq

from mmsla.errors import ConfigError
from mmsla.monitor.alerts import Alert


class AlertSink(Protocol):
    def send(self, alert: Alert) -> None: ...

    def close(self) -> None: ...


def _line(alert: Alert) -> str:
    sym = f" {alert.symbol}" if alert.symbol else ""
    extra = f" (+{alert.suppressed} suppressed)" if alert.suppressed else ""
    return f"[{alert.severity.value.upper()}] {alert.kind}{sym}: {alert.message}{extra}"


class StderrSink:
    def __init__(self, stream: IO[str] | None = None) -> None:
        self._stream = stream or sys.stderr

    def send(self, alert: Alert) -> None:
        print(_line(alert), file=self._stream, flush=True)

    def close(self) -> None:
        pass


class JsonlSink:
    def __init__(self, path: str | Path) -> None:
        self._file = Path(path).open("a", encoding="utf-8")  # noqa: SIM115 (held open)

    def send(self, alert: Alert) -> None:
        self._file.write(json.dumps(alert.to_json(), default=str) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class WebhookSink:
    """POSTs alerts from a background thread; `send` only enqueues."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 2.0,
        retries: int = 3,
        backoff_s: float = 0.2,
        queue_size: int = 10_000,
    ) -> None:
        self.url = url
        self._timeout_s = timeout_s
        self._retries = retries
        self._backoff_s = backoff_s
        self._queue: queue.Queue[Alert | None] = queue.Queue(maxsize=queue_size)
        self.delivered = 0
        self.failed = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="webhook-sink", daemon=True)
        self._thread.start()

    def send(self, alert: Alert) -> None:
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            self.dropped += 1

    def _post(self, body: bytes) -> bool:
        req = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=self._timeout_s) as resp:
                return 200 <= int(resp.status) < 300
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def _run(self) -> None:
        while True:
            alert = self._queue.get()
            if alert is None:
                return
            body = json.dumps(alert.to_json(), default=str).encode()
            for attempt in range(self._retries + 1):
                if self._post(body):
                    self.delivered += 1
                    break
                if attempt < self._retries:
                    time.sleep(self._backoff_s * (2**attempt))
            else:
                self.failed += 1
                print(f"mmsla monitor: webhook {self.url} failed for {alert.id}", file=sys.stderr)

    def close(self, timeout_s: float = 5.0) -> None:
        """Deliver what is queued (bounded by `timeout_s`), then stop."""
        try:
            self._queue.put(None, timeout=timeout_s)
        except queue.Full:
            return
        self._thread.join(timeout_s)


class ZmqSink:
    def __init__(self, endpoint: str, context: zmq.Context[Any] | None = None) -> None:
        ctx = context or zmq.Context.instance()
        self._sock = ctx.socket(zmq.PUB)
        self._sock.setsockopt(zmq.LINGER, 500)
        self._sock.bind(endpoint)
        self.endpoint = self._sock.getsockopt_string(zmq.LAST_ENDPOINT)

    def send(self, alert: Alert) -> None:
        payload = json.dumps(alert.to_json(), default=str).encode()
        self._sock.send_multipart((f"alert.{alert.kind}".encode(), payload))

    def close(self) -> None:
        self._sock.close()


def open_sink(spec: str) -> AlertSink:
    """Build a sink from its command-line spec (see module docstring)."""
    kind, _, target = spec.partition(":")
    if kind == "stderr" and not target:
        return StderrSink()
    if kind == "jsonl" and target:
        return JsonlSink(target)
    if kind == "webhook" and target.startswith(("http://", "https://")):
        return WebhookSink(target)
    if kind == "zmq" and target:
        return ZmqSink(target)
    raise ConfigError(
        f"--alerts {spec}: expected stderr, jsonl:PATH, webhook:http(s)://URL or zmq:ENDPOINT"
    )
