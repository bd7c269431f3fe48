"""Alerts raised by the monitor, and the gate that keeps them pager-friendly.

An `Alert` has a stable `id` derived from what it is about (kind, symbol,
trading day and a discriminator such as the breach start), so the same
condition seen twice (after a monitor restart, or by a flapping quote) maps
to the same id and is sent once. `AlertGate` drops repeats of an id and
rate-limits each (kind, symbol) to `max_per_window` alerts per `window_s`,
carrying the number it suppressed into the next alert that passes.

Not here: deciding *when* to alert (the monitor's engine does) or delivery
(the sinks do).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert. `fields` carries the kind's details (reasons, duration_s, ...)."""

    id: str
    kind: str
    severity: Severity
    ts_ns: int
    symbol: str | None
    message: str
    fields: dict[str, Any] = field(default_factory=dict)
    suppressed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "severity": self.severity.value,
            "ts_ns": self.ts_ns,
            "symbol": self.symbol,
            "message": self.message,
            "suppressed": self.suppressed,
            **self.fields,
        }


def alert_id(kind: str, symbol: str | None, day: str, discriminator: str = "") -> str:
    """The stable id of an alert: same condition, same id."""
    parts = [kind, symbol or "*", day]
    if discriminator:
        parts.append(discriminator)
    return ":".join(parts)


class AlertGate:
    """Dedupe by id, then rate-limit per (kind, symbol) in a sliding window."""

    def __init__(self, *, window_s: float = 60.0, max_per_window: int = 5, memory: int = 100_000):
        self._window_ns = int(window_s * 1e9)
        self._max = max_per_window
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._memory = memory
        self._recent: dict[tuple[str, str | None], deque[int]] = {}
        self._suppressed: dict[tuple[str, str | None], int] = {}

    def admit(self, alert: Alert) -> Alert | None:
        """The alert to send (with its suppressed count), or None to drop it."""
        if alert.id in self._seen:
            return None
        self._seen[alert.id] = None
        if len(self._seen) > self._memory:
            self._seen.popitem(last=False)
        key = (alert.kind, alert.symbol)
        recent = self._recent.setdefault(key, deque())
        while recent and alert.ts_ns - recent[0] >= self._window_ns:
            recent.popleft()
        if len(recent) >= self._max and alert.severity is not Severity.CRITICAL:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return None
        recent.append(alert.ts_ns)
        dropped = self._suppressed.pop(key, 0)
        return replace(alert, suppressed=dropped) if dropped else alert
