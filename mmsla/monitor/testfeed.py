"""A stand-in quoter feed for tests and benchmarks: PUB + journal + replay, with deliberate loss.

`FeedPublisher` numbers, journals and publishes events exactly like
`mmsla.events.bus.Publisher`, except that `publish(..., drop=True)` journals an
event without sending it (a simulated network loss the monitor must replay).
Not for production use: the quoter publishes with `bus.Publisher`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import zmq

from mmsla.events.bus import DEFAULT_HWM, ReplayServer
from mmsla.events.codec import encode
from mmsla.events.journal import Journal


class FeedPublisher:
    """PUB socket + journal + replay server on loopback ports chosen by the OS."""

    def __init__(
        self,
        journal_path: str | Path,
        source: str = "quoter-test",
        *,
        endpoint: str = "tcp://127.0.0.1:*",
        replay_endpoint: str = "tcp://127.0.0.1:*",
    ) -> None:
        ctx: zmq.Context[Any] = zmq.Context.instance()
        self.source = source
        self.journal = Journal(journal_path)
        self.seq = self.journal.last_seq
        self._sock = ctx.socket(zmq.PUB)
        self._sock.setsockopt(zmq.SNDHWM, DEFAULT_HWM)
        self._sock.setsockopt(zmq.LINGER, 1000)
        self._sock.bind(endpoint)
        self.endpoint = self._sock.getsockopt_string(zmq.LAST_ENDPOINT)
        self.replay = ReplayServer(replay_endpoint, self.journal)

    def publish(
        self, kind: str, ts_event: int, fields: Mapping[str, Any], *, drop: bool = False
    ) -> dict[str, Any]:
        self.seq += 1
        event = {
            "type": kind,
            "seq": self.seq,
            "ts_event": ts_event,
            "ts_init": time.time_ns(),
            "source": self.source,
            **fields,
        }
        topic, payload = encode(event)
        self.journal.append(payload)
        if not drop:
            self._sock.send_multipart((topic, payload), copy=False)
        return event

    def stage(self, kind: str, ts_event: int, fields: Mapping[str, Any]) -> tuple[bytes, bytes]:
        """Number, stamp and journal an event now, to be sent later by `send_staged`.

        For benchmarks of the subscriber: the publisher's own encoding and journaling
        then happen before the measured interval. Staged events must be sent in order,
        and before anything else is published.
        """
        self.seq += 1
        event = {
            "type": kind,
            "seq": self.seq,
            "ts_event": ts_event,
            "ts_init": time.time_ns(),
            "source": self.source,
            **fields,
        }
        topic, payload = encode(event)
        self.journal.append(payload)
        return topic, payload

    def send_staged(self, frames: list[tuple[bytes, bytes]]) -> None:
        """Send staged events as they are (two frames each)."""
        send, more = self._sock.send, zmq.SNDMORE
        for topic, payload in frames:
            send(topic, more)
            send(payload)

    def quote(
        self,
        ts_event: int,
        symbol: str,
        bid: str | None,
        ask: str | None,
        qty: str = "200",
        *,
        cause: str = "quote",
        drop: bool = False,
    ) -> dict[str, Any]:
        fields = {
            "symbol": symbol,
            "bids": [[bid, qty]] if bid else [],
            "asks": [[ask, qty]] if ask else [],
            "cause": cause,
        }
        return self.publish("quote", ts_event, fields, drop=drop)

    def close(self) -> None:
        self.replay.close()
        self._sock.close()
        self.journal.close()
