"""Exchange-side protections as small stateful checkers (pure; time is an argument).

- `Throttle`: at most N order-entry messages per member in any sliding window.
- `MmpCounter`: counts a member's passive fills per symbol; says when to pull.
- `within_band`: price band around a reference, exact integer arithmetic.

They decide; the matching engine acts (rejects, cancels) and emits events.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from quoter.venue.rules import MmpSpec, ThrottleSpec

NS_PER_MS = 1_000_000


class Throttle:
    """Sliding-window message counter per member. A refused message is not counted."""

    __slots__ = ("_max", "_seen", "_window_ns")

    def __init__(self, spec: ThrottleSpec) -> None:
        self._max = spec.max_msgs
        self._window_ns = spec.window_ms * NS_PER_MS
        self._seen: dict[str, deque[int]] = {}

    def allow(self, member: str, ts_ns: int) -> bool:
        """Count one message at `ts_ns`; False when it would exceed the limit."""
        seen = self._seen.get(member)
        if seen is None:
            seen = self._seen[member] = deque()
        horizon = ts_ns - self._window_ns
        while seen and seen[0] <= horizon:
            seen.popleft()
        if len(seen) >= self._max:
            return False
        seen.append(ts_ns)
        return True


class MmpCounter:
    """Passive fills of (member, symbol) within `window_ms`; trips at `max_fills`."""

    __slots__ = ("_max", "_seen", "_window_ns")

    def __init__(self, spec: MmpSpec) -> None:
        self._max = spec.max_fills
        self._window_ns = spec.window_ms * NS_PER_MS
        self._seen: dict[str, deque[int]] = {}

    def record(self, member: str, ts_ns: int) -> bool:
        """Record one passive fill; True when the protection trips (the count then resets)."""
        seen = self._seen.get(member)
        if seen is None:
            seen = self._seen[member] = deque()
        horizon = ts_ns - self._window_ns
        while seen and seen[0] < horizon:
            seen.popleft()
        seen.append(ts_ns)
        if len(seen) >= self._max:
            seen.clear()
            return True
        return False


def band_ratio(band_bps: Decimal) -> tuple[int, int]:
    """A band in bps as an exact integer ratio (numerator, denominator) of 10_000."""
    num, den = band_bps.as_integer_ratio()
    return num, den * 10_000


def within_band(px: int, ref: int, ratio: tuple[int, int]) -> bool:
    """|px - ref| <= band * ref, inclusive, exact: |px - ref| * den <= num * ref."""
    num, den = ratio
    return abs(px - ref) * den <= num * ref
