"""Live breach alerts do not depend on how events are batched, and match `mmsla check`.

One event at a time takes the engine's quiet path (masks from the per-symbol memo),
everything at once its vectorised path; both walk only the instants where the
mask changes. Their breach alerts must be identical, and the closed breaches of
positive duration must be exactly the breach episodes `mmsla check` finds in the
quote log the monitor wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmsla.monitor.config import MonitorConfig
from mmsla.monitor.engine import MEMO_BATCH, MonitorEngine
from tests.unit.monitor.test_engine import T0, S, _batch_days, agreement, event, quote

AGR = agreement(
    defaults={
        "max_spread": {"value": 1.0, "unit": "pct", "reference": "own_mid"},
        "min_size": {"qty": 100},
        "presence": {"min_pct": 90},
        "refresh_after_fill": {"grace_s": 30},
    }
)


def _events(steps: list[Any], *, distinct: bool = False) -> list[dict[str, Any]]:
    """Events from drawn steps; `distinct`: no two events at the same instant, and a
    first quote before them (the live view starts at the first instant it checks)."""
    t = -600.0
    out: list[dict[str, Any]] = [quote(1, t - 1, "100.00", "100.50")] if distinct else []
    for seq, (dt, bid, ask, qty, what) in enumerate(steps, len(out) + 1):
        t += dt * 3 + (1 if distinct else 0)
        if what.endswith(("+", "-")):
            out.append(
                {
                    "type": "state",
                    "seq": seq,
                    "ts_event": T0 + int(t * S),
                    "ts_init": 0,
                    "source": "q",
                    "symbol": "ABC",
                    "state": what[:-1],
                    "active": what[-1] == "+",
                }
            )
        else:
            out.append(quote(seq, t, bid, ask, qty, cause=what))
    return out


def _breach_alerts(eng: MonitorEngine) -> list[tuple[Any, ...]]:
    return [
        (a.kind, a.id, a.ts_ns, tuple(a.fields["reasons"]), a.fields.get("start_ns"))
        for a in eng.out.alerts
        if a.kind in ("breach_opened", "breach_closed")
    ]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(event, min_size=MEMO_BATCH + 4, max_size=60))
def test_breach_alerts_equal_one_by_one_and_all_at_once_and_match_check(
    tmp_path: Path, steps: list[Any]
) -> None:
    events = _events(steps)
    one, whole = MonitorEngine(AGR, MonitorConfig()), MonitorEngine(AGR, MonitorConfig())
    for e in events:
        one.on_events([e])
    whole.on_events(events)
    assert _breach_alerts(one) == _breach_alerts(whole)

    # against check: updates at one instant each open and close a breach live, while
    # check sees only the last row at an instant, so here every event has its own instant
    events = _events(steps, distinct=True)
    whole = MonitorEngine(AGR, MonitorConfig())
    whole.on_events(events)

    # an update exactly at a window edge can still open and close a breach there
    closed = [
        (a.fields["start_ns"], a.ts_ns, tuple(a.fields["reasons"]))
        for a in whole.out.alerts
        if a.kind == "breach_closed" and a.ts_ns > a.fields["start_ns"]
    ]
    whole.finish()
    out = whole.drain()
    if not out.quotes:
        assert closed == []
        return
    now = whole.now_ns
    assert now is not None
    batch = [
        (b.start_ns, b.end_ns, tuple(r.value for r in b.reasons))
        for d in _batch_days(tmp_path, whole, AGR, out.quotes, out.states)
        for b in d.breaches
        if b.end_ns <= now
    ]
    assert closed == batch
