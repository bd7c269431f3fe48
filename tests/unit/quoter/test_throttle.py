"""`MessageThrottle`: a sliding one-second budget, exact at the window's edge."""

from __future__ import annotations

from quoter.throttle import MessageThrottle

S = 1_000_000_000


def test_budget_slides_with_the_window() -> None:
    t = MessageThrottle(2)
    assert t.limited and t.allows(0)
    t.count(0)
    t.count(S // 2)
    assert not t.allows(S // 2) and not t.allows(S - 1)
    assert t.allows(S)  # the message at 0 is exactly one second old: out of the window
    t.count(S)
    assert not t.allows(S + S // 2 - 1)  # S/2 and S both within the last second
    assert t.allows(S + S // 2)  # S/2 is exactly one second old: out
    assert t.sent == 3
    t.reset()
    assert t.allows(2 * S - 1) and t.sent == 3


def test_no_limit_counts_only() -> None:
    t = MessageThrottle(None)
    for i in range(1000):
        assert t.allows(i)
        t.count(i)
    assert not t.limited and t.sent == 1000
