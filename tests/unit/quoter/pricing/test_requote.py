from __future__ import annotations

from quoter.pricing.requote import NS_PER_S, Requote, RequotePolicy


def test_tolerance_and_age() -> None:
    p = RequotePolicy(tolerance_ticks=2, max_age_s=5.0)
    assert p.decide(100, 102, 0, 1) is None  # inside tolerance (inclusive)
    assert p.decide(100, 103, 0, 1) is Requote.MOVED
    assert p.decide(100, 97, 0, 1) is Requote.MOVED
    assert p.decide(100, 100, 0, 5 * NS_PER_S) is None  # exactly at the limit
    assert p.decide(100, 100, 0, 5 * NS_PER_S + 1) is Requote.AGED
    assert p.decide(None, 100, None, 0) is Requote.PLACE
    assert p.decide(100, None, 0, 0) is Requote.CANCEL
    assert p.decide(None, None, None, 0) is None


def test_age_off() -> None:
    assert RequotePolicy(tolerance_ticks=0).decide(100, 100, 0, 10**15) is None
    assert RequotePolicy(tolerance_ticks=0).decide(100, 101, 0, 1) is Requote.MOVED
