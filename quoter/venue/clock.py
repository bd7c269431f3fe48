"""The venue's simulation clock: maps wall time to market (simulation) time.

`sim_ns = start_ns + (wall_ns - wall0_ns) * speed`, with `speed` an exact
ratio (1 = real time, 60 = a minute of market per wall second). With
`speed=None` the clock is *event driven* ("as fast as possible"): it stands
still until the driver `advance_to`s the next recorded event.

The clock never runs backwards: `advance_to` an earlier time is ignored, and
the paced clock is monotonic because the wall source is (`time.time_ns` by
default; inject another callable in tests).

One clock stamps everything the venue does. A paced clock can be *held* at a
simulation time (`hold`): it does not read past it until released or re-held
later. The server holds it at the next scheduled market event, so an order
handled while that event is due but not yet applied (the loop wakes a little
after its wall time) is stamped no later than the event: the venue's output,
market file and states file are in time order, and a scheduled event is
stamped at its scheduled time.

Not here: sleeping or scheduling (the server's loop asks `wall_delay_s` and
sleeps itself), FIX SendingTime (which stays on the wall clock).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from fractions import Fraction

WallClock = Callable[[], int]


class SimClock:
    """Simulation time in UTC ns (see module docstring)."""

    __slots__ = ("_hold_ns", "_last_ns", "_wall", "_wall0_ns", "speed", "start_ns")

    def __init__(
        self,
        start_ns: int,
        speed: Fraction | int | None = 1,
        wall: WallClock = time.time_ns,
    ) -> None:
        if speed is not None and speed <= 0:
            raise ValueError(f"clock speed must be positive or None (as fast as possible): {speed}")
        self.start_ns = start_ns
        self.speed = None if speed is None else Fraction(speed)
        self._wall = wall
        self._wall0_ns = wall()
        self._last_ns = start_ns
        self._hold_ns: int | None = None

    @property
    def as_fast_as_possible(self) -> bool:
        return self.speed is None

    def now_ns(self) -> int:
        """Current simulation time (integer ns, never decreasing)."""
        speed = self.speed
        if speed is not None:
            now = self.start_ns + int((self._wall() - self._wall0_ns) * speed)
            hold = self._hold_ns
            if hold is not None and now > hold:
                now = hold
            if now > self._last_ns:
                self._last_ns = now
        return self._last_ns

    def advance_to(self, sim_ns: int) -> int:
        """Event-driven mode: jump forward to `sim_ns` (earlier times are ignored).
        On a paced clock this only makes sure `now_ns() >= sim_ns` from now on."""
        if sim_ns > self._last_ns:
            self._last_ns = sim_ns
        return self._last_ns

    def hold(self, sim_ns: int | None) -> None:
        """Paced clock: do not read past `sim_ns` from now on (None = run freely).
        A hold earlier than the time already read changes nothing until time catches up:
        the clock still never runs backwards."""
        self._hold_ns = sim_ns

    def wall_delay_s(self, sim_ns: int) -> float:
        """Wall seconds until the simulation reaches `sim_ns` (0 when due or event driven)."""
        speed = self.speed
        if speed is None:
            return 0.0
        ahead_ns = sim_ns - self.now_ns()
        if ahead_ns <= 0:
            return 0.0
        return float(Fraction(ahead_ns) / speed) / 1e9
