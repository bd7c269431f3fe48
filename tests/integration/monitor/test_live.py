"""The monitor over real ZeroMQ on loopback: loss and replay, silence, widen, webhook, restart."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import zmq

from mmsla.agreement import load_agreement
from mmsla.events.control import ControlServer
from mmsla.monitor.config import MonitorConfig
from mmsla.monitor.engine import MonitorEngine
from mmsla.monitor.persist import Persister, read_resume
from mmsla.monitor.runner import MonitorRunner
from mmsla.monitor.sinks import open_sink
from mmsla.monitor.testfeed import FeedPublisher
from mmsla.obligations import check
from mmsla.store import EventStore
from tests.conftest import REPO

S = 1_000_000_000
T0 = int(datetime(2026, 11, 24, 9, 0, tzinfo=UTC).timestamp()) * S
AGREEMENT = REPO / "fixtures" / "monitor" / "agreement.yaml"


def _until(runner: MonitorRunner, cond: Any, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline, "condition not reached"
        runner.step(20)


def _connect(pub: FeedPublisher, runner: MonitorRunner) -> None:
    """Slow joiner: heartbeats until the monitor sees one (the lost ones get replayed)."""
    deadline = time.monotonic() + 5
    while runner.last_seq == 0:
        assert time.monotonic() < deadline
        pub.publish("heartbeat", T0 - 3600 * S, {})
        runner.step(20)


def _runner(pub: FeedPublisher, tmp: Path, cfg: MonitorConfig | None = None, **kw: Any):
    agr = load_agreement(AGREEMENT)
    engine = MonitorEngine(agr, cfg or MonitorConfig())
    persister = Persister(
        agr, spool_dir=tmp / "spool", state_path=tmp / "state.json", db=kw.pop("db", None)
    )
    return MonitorRunner(
        engine,
        pub.endpoint,
        replay=pub.replay.endpoint,
        persister=persister,
        resume=read_resume(tmp / "state.json"),
        **kw,
    )


def _stream(pub: FeedPublisher, n: int, first: int, *, drop: range = range(0)) -> None:
    for i in range(first, first + n):
        bad = i % 97 == 0
        ask = "101.50" if bad else "100.20"  # every 97th quote too wide
        sym = "ABC" if i % 2 else "XYZ"
        pub.quote(T0 + i * 100_000_000, sym, "100.00", ask, drop=i in drop)


def test_flood_with_a_dropped_range_is_replayed_and_day_equals_check(tmp_path: Path) -> None:
    pub = FeedPublisher(tmp_path / "journal.jsonl")
    db = tmp_path / "m.duckdb"
    runner = _runner(pub, tmp_path, db=db)
    try:
        _connect(pub, runner)
        n = 30_000
        _stream(pub, n, 0, drop=range(12_000, 13_500))
        _until(runner, lambda: runner.last_seq == pub.seq)
        assert runner.lost == 0
        assert runner.recovered >= 1_500
        gaps = [a for a in runner.delivered if a.kind == "gap_detected"]
        assert gaps and all(a.fields["recovered"] for a in gaps)
        assert runner.engine.events == pub.seq  # every event processed once
        runner.engine.finish()
        live = list(runner.engine.out.days)
        runner._collect()
    finally:
        runner.close()
        pub.close()
    agr = load_agreement(AGREEMENT)
    with EventStore.open(db, read_only=True) as store:
        stored = store.load_quotes()
        assert sum(len(q) for q in stored.values()) == n
        batch = check(agr, stored).days
        n_breaches = store.con.execute("SELECT count(*) FROM breaches").fetchall()[0][0]
    assert [(d.day, d.symbol) for d in live] == [(d.day, d.symbol) for d in batch]
    for got, want in zip(live, batch, strict=True):
        assert got.presence == want.presence
        assert got.valid_ns == want.valid_ns
        assert list(got.breaches) == list(want.breaches)
        assert got.passed == want.passed
    assert n_breaches == sum(len(d.breaches) for d in batch) > 0
    assert read_resume(tmp_path / "state.json").last_seq == pub.seq


def test_restart_resumes_from_the_persisted_seq_and_rebuilds_the_day(tmp_path: Path) -> None:
    pub = FeedPublisher(tmp_path / "journal.jsonl")
    first = _runner(pub, tmp_path)
    try:
        _connect(pub, first)
        _stream(pub, 2_000, 0)
        _until(first, lambda: first.last_seq == pub.seq)
    finally:
        first.close()
    _stream(pub, 2_000, 2_000)  # published while the monitor is down
    second = _runner(pub, tmp_path)
    try:
        _until(second, lambda: second.last_seq == pub.seq, 30)
        second.engine.finish()
        live = list(second.engine.out.days)
    finally:
        second.close()
        pub.close()
    assert second.lost == 0
    reference = MonitorEngine(load_agreement(AGREEMENT))
    reference.on_events(
        [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
    )
    reference.finish()
    want = reference.drain().days
    assert [(d.symbol, d.valid_ns, d.eligible_ns) for d in live] == [
        (d.symbol, d.valid_ns, d.eligible_ns) for d in want
    ]


def test_silent_publisher_raises_feed_stale_and_presence_stops(tmp_path: Path) -> None:
    pub = FeedPublisher(tmp_path / "journal.jsonl")
    cfg = MonitorConfig(heartbeat_s=Decimal("0.1"), stale_heartbeats=3)
    runner = _runner(pub, tmp_path, cfg)
    try:
        _connect(pub, runner)
        pub.quote(T0, "ABC", "100.00", "100.20")
        pub.quote(T0, "XYZ", "100.00", "100.20")
        pub.publish("heartbeat", T0 + 60 * S, {})
        _until(runner, lambda: runner.last_seq == pub.seq)
        _until(runner, lambda: any(a.kind == "feed_stale" for a in runner.delivered), 5)
        pub.publish("heartbeat", T0 + 660 * S, {})  # back after 10 minutes of event time
        _until(runner, lambda: runner.last_seq == pub.seq)
        runner.engine.finish()
        days = {d.symbol: d for d in runner.engine.out.days}
    finally:
        runner.close()
        pub.close()
    assert days["ABC"].eligible_ns - days["ABC"].valid_ns == 600 * S
    assert [b.reasons[0].value for b in days["ABC"].breaches] == ["NO_QUOTE"]


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_stress_sends_widen_and_a_breach_reaches_the_webhook(tmp_path: Path) -> None:
    commands: list[dict[str, Any]] = []
    control = ControlServer("tcp://127.0.0.1:*", lambda c: commands.append(c) or {"ok": True})
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            control.poll(50)

    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threads = [
        threading.Thread(target=serve, daemon=True),
        threading.Thread(target=server.serve_forever, daemon=True),
    ]
    for t in threads:
        t.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/alerts"
    pub = FeedPublisher(tmp_path / "journal.jsonl")
    runner = _runner(pub, tmp_path, control=control.endpoint, sinks=[open_sink(f"webhook:{url}")])
    try:
        _connect(pub, runner)
        pub.quote(T0, "ABC", "100.00", "100.20")
        pub.publish("state", T0 + S, {"symbol": "ABC", "state": "stressed", "active": True})
        pub.quote(T0 + 2 * S, "ABC", "100.00", None)  # one-sided: a breach
        _until(runner, lambda: len(commands) >= 1 and len(_Hook.received) >= 1, 10)
    finally:
        runner.close()
        pub.close()
        stop.set()
        server.shutdown()
        control.close()
    assert commands[0]["type"] == "widen" and commands[0]["symbol"] == "ABC"
    assert commands[0]["factor"] == Decimal("1.5") and commands[0]["reason"] == "market stressed"
    kinds = [a["kind"] for a in _Hook.received]
    assert "breach_opened" in kinds and "action" in kinds
    breach = next(a for a in _Hook.received if a["kind"] == "breach_opened")
    assert breach["symbol"] == "ABC" and breach["reasons"] == ["ONE_SIDED"]


def test_unrecoverable_gap_is_reported_and_counted_invalid(tmp_path: Path) -> None:
    pub = FeedPublisher(tmp_path / "journal.jsonl")
    agr = load_agreement(AGREEMENT)
    runner = MonitorRunner(MonitorEngine(agr), pub.endpoint, replay=None)  # nobody to ask
    try:
        _connect(pub, runner)
        pub.quote(T0, "ABC", "100.00", "100.20")
        pub.quote(T0, "XYZ", "100.00", "100.20")
        pub.publish("heartbeat", T0 + 10 * S, {})
        pub.quote(T0 + 20 * S, "ABC", "100.00", "100.30", drop=True)  # lost for good
        pub.publish("heartbeat", T0 + 30 * S, {})
        pub.quote(T0 + 100 * S, "ABC", "100.00", "100.20")
        _until(runner, lambda: runner.last_seq == pub.seq)
        runner.engine.finish()
        days = {d.symbol: d for d in runner.engine.out.days}
    finally:
        runner.close()
        pub.close()
    gap = [
        a for a in runner.delivered if a.kind == "gap_detected" and a.fields["first_missing"] > 1
    ]
    assert len(gap) == 1 and gap[0].fields["recovered"] is False
    assert runner.lost >= 1
    # ABC: unknown from the last event before the gap (t=10 s) to its next quote (t=100 s)
    assert days["ABC"].eligible_ns - days["ABC"].valid_ns == 90 * S
    # XYZ never quoted again: invalid from t=10 s to the end of the window
    assert days["XYZ"].valid_ns == 10 * S


def test_publisher_restart_under_a_new_run_id_is_followed_without_loss(tmp_path: Path) -> None:
    pub = FeedPublisher(tmp_path / "run1.jsonl")
    runner = _runner(pub, tmp_path)
    try:
        _connect(pub, runner)
        _stream(pub, 50, 0)
        _until(runner, lambda: runner.last_seq == pub.seq)
        endpoints = (pub.endpoint, pub.replay.endpoint)
        pub.close()
        # ZeroMQ releases a closed socket's port asynchronously (its I/O thread), so the
        # restarted publisher retries the bind, as a supervisor restarting a quoter would.
        deadline = time.monotonic() + 10
        while True:
            try:
                pub = FeedPublisher(
                    tmp_path / "run2.jsonl",
                    "quoter-test-2",
                    endpoint=endpoints[0],
                    replay_endpoint=endpoints[1],
                )
                break
            except zmq.ZMQError as e:
                if e.errno != zmq.EADDRINUSE or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        before = runner.engine.events
        _stream(pub, 50, 50)  # seq 1..50 again under a new run id, lost: not yet reconnected
        deadline = time.monotonic() + 10
        while runner.source != "quoter-test-2":  # the SUB reconnects; later events arrive
            assert time.monotonic() < deadline
            pub.publish("heartbeat", T0 + 10 * S, {})
            runner.step(20)
        _until(runner, lambda: runner.source == "quoter-test-2" and runner.last_seq == pub.seq)
    finally:
        runner.close()
        pub.close()
    assert runner.source == "quoter-test-2"
    assert runner.engine.events == before + pub.seq and runner.lost == 0  # 1..50 replayed
