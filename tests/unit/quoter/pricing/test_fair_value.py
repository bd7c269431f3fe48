from __future__ import annotations

import numpy as np
import pytest

from quoter.pricing.fair_value import microprice, mid, weighted_mid


def test_mid_and_microprice_hand_values() -> None:
    assert mid(100.0, 102.0) == 101.0
    # (100*1 + 102*3) / 4: the heavy bid pulls fair value toward the ask.
    assert microprice(100.0, 3.0, 102.0, 1.0) == pytest.approx(101.5)
    assert microprice(100.0, 1.0, 102.0, 3.0) == pytest.approx(100.5)
    assert microprice(100.0, 0.0, 102.0, 0.0) == 101.0


def test_microprice_vectorised_matches_scalar() -> None:
    bid = np.array([100.0, 100.0, 50.0])
    ask = np.array([102.0, 101.0, 51.0])
    bq = np.array([3.0, 0.0, 0.0])
    aq = np.array([1.0, 5.0, 0.0])
    got = microprice(bid, bq, ask, aq)
    want = [
        microprice(float(b), float(x), float(a), float(y))
        for b, x, a, y in zip(bid, bq, ask, aq, strict=True)
    ]
    assert got.tolist() == pytest.approx(want)
    assert got.tolist() == pytest.approx([101.5, 100.0, 50.5])


def test_weighted_mid() -> None:
    assert weighted_mid([100.0, 102.0], [1.0, 3.0]) == pytest.approx(101.5)
    with pytest.raises(ValueError):
        weighted_mid([100.0], [1.0, 2.0])
    with pytest.raises(ValueError):
        weighted_mid([100.0, 101.0], [0.0, 0.0])
