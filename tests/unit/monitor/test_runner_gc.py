"""The runner collects garbage right after each flush instead of on allocation counts."""

from __future__ import annotations

import gc
import time
import weakref

from mmsla.agreement import load_agreement
from mmsla.monitor.config import MonitorConfig
from mmsla.monitor.engine import MonitorEngine
from mmsla.monitor.runner import MonitorRunner
from tests.conftest import REPO


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def _runner(**kw: object) -> MonitorRunner:
    engine = MonitorEngine(
        load_agreement(REPO / "fixtures/monitor/agreement.yaml"), MonitorConfig()
    )
    return MonitorRunner(engine, "tcp://127.0.0.1:9", flush_s=3600, **kw)  # type: ignore[arg-type]


def test_cycles_are_collected_at_the_step_after_a_flush_and_gc_is_restored() -> None:
    assert gc.isenabled()
    runner = _runner()
    try:
        assert not gc.isenabled()  # no collections on allocation counts while running
        ref = weakref.ref(_Node())
        runner.step(0)
        assert ref() is not None  # no flush yet: nothing collected
        runner._last_flush = time.monotonic() - 7200  # the flush is due
        runner.step(0)
        assert ref() is None  # collected right after the flush
    finally:
        runner.close()
    assert gc.isenabled()


def test_gc_left_alone_when_asked() -> None:
    for kw in ({"gc_gen0": None}, {"gc_at_flush": False}):
        runner = _runner(**kw)
        try:
            assert gc.isenabled()
        finally:
            runner.close()
        assert gc.isenabled()
