"""Scaled int64 -> decimal128(38,18): exact against Python's Decimal."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from mmsla.store.decimals import STORE_TYPE, to_decimal


@pytest.mark.parametrize("scale", [0, 2, 8, 18])
def test_values_match_decimal(scale: int) -> None:
    rng = np.random.default_rng(scale)
    values = rng.integers(-(2**62), 2**62, size=500, dtype=np.int64)
    values[:4] = [0, 1, -1, np.iinfo(np.int64).max]
    present = rng.random(500) > 0.1
    present[:4] = True
    arr = to_decimal(values, scale, present)
    assert arr.type == STORE_TYPE
    for v, ok, d in zip(values.tolist(), present.tolist(), arr.to_pylist(), strict=True):
        assert d == (Decimal(v).scaleb(-scale) if ok else None)


def test_all_present_and_empty() -> None:
    assert to_decimal(np.array([5, -7], dtype=np.int64), 1).to_pylist() == [
        Decimal("0.5"),
        Decimal("-0.7"),
    ]
    assert len(to_decimal(np.zeros(0, dtype=np.int64), 3)) == 0
