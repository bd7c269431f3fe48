"""The subscriber tells topic and payload frames apart by content; malformed messages skipped."""

from __future__ import annotations

import json
import time

import zmq

from mmsla.events.bus import Subscriber


def test_malformed_messages_are_skipped_and_every_event_keeps_its_topic() -> None:
    ctx = zmq.Context.instance()
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    sub = Subscriber(f"tcp://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 5
        while not sub.poll(20):  # slow joiner
            assert time.monotonic() < deadline
            pub.send_multipart([b"heartbeat", b'{"type":"heartbeat"}'])
        sub.poll(50)

        def event(i: int) -> list[bytes]:
            return [f"quote.S{i}".encode(), json.dumps({"seq": i}).encode()]

        sent = [
            event(1),
            [b"stray"],  # one frame, not JSON
            event(2),
            [b'{"seq": -1}'],  # one frame that looks like a payload
            event(3),
            [*event(4), b"extra"],  # three frames: the event, then a stray
            event(5),
            [b"quote.bad", b"not json"],  # a payload that is no JSON object
            event(6),
            [*event(7), b'{"extra": 1}'],
            event(8),
            [b"tail"],  # a stray frame last in the queue
        ]
        for frames in sent:
            pub.send_multipart(frames)
        got: list[tuple[bytes, bytes]] = []
        deadline = time.monotonic() + 5
        while len(got) < 8 and time.monotonic() < deadline:
            got.extend(sub.poll(50))
        time.sleep(0.1)
        got.extend(sub.poll(50))
    finally:
        sub.close()
        pub.close()
    assert [(t.decode(), json.loads(p)["seq"]) for t, p in got] == [
        (f"quote.S{i}", i) for i in range(1, 9)
    ]
