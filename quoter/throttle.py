"""The venue's message-rate budget, as both order managers keep it.

A sliding one-second window of send times: `allows(now)` says whether one more
message fits under `max_per_s` (None = no limit, always allowed), `count(now)`
records a message sent. `sent` counts every message, limited or not. Does not:
decide what to defer (the managers do) or pace anything by itself.
"""

from __future__ import annotations

from collections import deque

_WINDOW_NS = 1_000_000_000


class MessageThrottle:
    """Messages sent in the last second against `max_per_s`, plus a running total."""

    __slots__ = ("_times", "max_per_s", "sent")

    def __init__(self, max_per_s: int | None) -> None:
        self.max_per_s = max_per_s
        self._times: deque[int] = deque()
        self.sent = 0

    @property
    def limited(self) -> bool:
        return self.max_per_s is not None

    def allows(self, now_ns: int) -> bool:
        """Whether one more message at `now_ns` stays within the budget."""
        limit = self.max_per_s
        if limit is None:
            return True
        times = self._times
        horizon = now_ns - _WINDOW_NS
        while times and times[0] <= horizon:
            times.popleft()
        return len(times) < limit

    def count(self, now_ns: int) -> None:
        """Record one message sent at `now_ns`."""
        self.sent += 1
        if self.max_per_s is not None:
            self._times.append(now_ns)

    def reset(self) -> None:
        """Forget the window (a new session starts with a fresh budget); keeps `sent`."""
        self._times.clear()
