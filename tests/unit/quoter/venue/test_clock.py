"""Simulation clock: exact speed arithmetic, event-driven mode, monotonicity, wall delays."""

from __future__ import annotations

from fractions import Fraction

import pytest

from quoter.venue.clock import SimClock

START = 1_340_285_400_000_000_000  # 2012-06-21 13:30 UTC


class Wall:
    def __init__(self, ns: int = 5_000_000_000) -> None:
        self.ns = ns

    def __call__(self) -> int:
        return self.ns


def test_real_time_and_multiples_are_exact() -> None:
    wall = Wall()
    real = SimClock(START, 1, wall)
    x60 = SimClock(START, 60, wall)
    x1_5 = SimClock(START, Fraction(3, 2), wall)
    wall.ns += 1_234_567_891
    assert real.now_ns() == START + 1_234_567_891
    assert x60.now_ns() == START + 60 * 1_234_567_891
    assert x1_5.now_ns() == START + 1_234_567_891 * 3 // 2
    assert x60.wall_delay_s(START + 60 * 1_234_567_891 + 60_000_000_000) == pytest.approx(1.0)
    assert x60.wall_delay_s(START) == 0.0


def test_event_driven_clock_only_moves_forward() -> None:
    wall = Wall()
    afap = SimClock(START, None, wall)
    assert afap.as_fast_as_possible and afap.now_ns() == START
    wall.ns += 10**12
    assert afap.now_ns() == START  # wall time is irrelevant
    assert afap.advance_to(START + 500) == START + 500
    assert afap.advance_to(START + 100) == START + 500  # never backwards
    assert afap.now_ns() == START + 500
    assert afap.wall_delay_s(START + 10**9) == 0.0


def test_paced_clock_is_monotonic_even_if_advanced_ahead() -> None:
    wall = Wall()
    clock = SimClock(START, 1, wall)
    clock.advance_to(START + 1_000)
    wall.ns += 10
    assert clock.now_ns() == START + 1_000
    wall.ns += 5_000
    assert clock.now_ns() == START + 5_010


@pytest.mark.parametrize("speed", [0, -1, Fraction(-1, 2)])
def test_speed_must_be_positive(speed: Fraction | int) -> None:
    with pytest.raises(ValueError, match="positive"):
        SimClock(START, speed)


def test_a_held_paced_clock_stops_at_the_hold_until_released() -> None:
    wall = Wall()
    clock = SimClock(START, 60, wall)
    clock.hold(START + 600)
    wall.ns += 5  # 300 simulated ns: before the hold
    assert clock.now_ns() == START + 300
    wall.ns += 100  # paced time START + 6_300, held at START + 600
    assert clock.now_ns() == START + 600
    assert clock.wall_delay_s(START + 600) == 0.0
    clock.hold(START + 1_000)  # the next scheduled event
    assert clock.now_ns() == START + 1_000
    clock.hold(None)
    assert clock.now_ns() == START + 6_300
    clock.hold(START + 2_000)  # a hold behind the time already read never goes back
    assert clock.now_ns() == START + 6_300
