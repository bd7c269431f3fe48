"""Alert ids, dedupe and rate limiting."""

from __future__ import annotations

from mmsla.monitor.alerts import Alert, AlertGate, Severity, alert_id

S = 1_000_000_000


def _alert(n: int, ts_s: float, severity: Severity = Severity.WARNING, kind: str = "breach_opened"):
    return Alert(
        id=alert_id(kind, "ABC", "2026-11-25", str(n)),
        kind=kind,
        severity=severity,
        ts_ns=int(ts_s * S),
        symbol="ABC",
        message=f"breach {n}",
    )


def test_same_condition_same_id_is_sent_once() -> None:
    gate = AlertGate()
    assert gate.admit(_alert(1, 0)) is not None
    assert gate.admit(_alert(1, 5)) is None
    assert alert_id("feed_stale", None, "2026-11-25") == "feed_stale:*:2026-11-25"


def test_flapping_quote_is_rate_limited_and_suppressed_count_carried() -> None:
    gate = AlertGate(window_s=60, max_per_window=3)
    sent = [gate.admit(_alert(i, i)) for i in range(10)]  # 10 breaches in 10 s
    assert sum(a is not None for a in sent) == 3
    later = gate.admit(_alert(99, 70))  # the window has moved past the first ones
    assert later is not None
    assert later.suppressed == 7


def test_critical_alerts_are_never_rate_limited() -> None:
    gate = AlertGate(window_s=60, max_per_window=1)
    sent = [gate.admit(_alert(i, i, Severity.CRITICAL, "daily_fail_certain")) for i in range(4)]
    assert all(a is not None for a in sent)


def test_rate_limit_is_per_symbol_and_kind() -> None:
    gate = AlertGate(window_s=60, max_per_window=1)
    assert gate.admit(_alert(1, 0)) is not None
    assert gate.admit(_alert(2, 1, kind="budget_warning")) is not None
    assert gate.admit(_alert(3, 2)) is None
