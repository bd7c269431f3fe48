"""The runner hands the engine a long run in chunks and sends alerts after each chunk."""

from __future__ import annotations

from typing import Any

from mmsla.agreement import load_agreement
from mmsla.monitor.alerts import Alert, AlertGate
from mmsla.monitor.config import MonitorConfig
from mmsla.monitor.engine import MonitorEngine
from mmsla.monitor.runner import MonitorRunner
from tests.conftest import REPO
from tests.unit.monitor.test_engine import quote


class _Sink:
    def __init__(self, engine: MonitorEngine) -> None:
        self.engine = engine
        self.seen: list[tuple[str, Any, int]] = []

    def send(self, alert: Alert) -> None:
        # how many events the engine had taken when this alert went out
        self.seen.append((alert.kind, alert.fields.get("seq"), self.engine.events))

    def close(self) -> None:
        pass


def test_a_breach_alert_leaves_before_the_rest_of_a_long_run_is_checked() -> None:
    engine = MonitorEngine(
        load_agreement(REPO / "fixtures/monitor/agreement.yaml"), MonitorConfig()
    )
    sink = _Sink(engine)
    runner = MonitorRunner(
        engine,
        "tcp://127.0.0.1:9",  # never polled here
        sinks=[sink],
        gate=AlertGate(max_per_window=10**9),
        engine_chunk=100,
        gc_gen0=None,
    )
    try:
        # 1000 quotes at 1 ms steps; quote 150 is one-sided (a breach), 151 mends it
        events = [
            quote(i, i / 1000, "100.00", None if i == 150 else "100.20", symbol="ABC")
            for i in range(1, 1001)
        ]
        runner._feed(events)
    finally:
        runner.close()
    opened = [s for s in sink.seen if s[0] == "breach_opened"]
    assert [s[1] for s in opened] == [150]
    assert opened[0][2] == 200  # sent after its chunk (events 101..200), not after all 1000
    assert runner.last_seq == 1000 and engine.events == 1000
