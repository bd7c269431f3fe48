"""Exact integer helpers: Decimal limits as integer ratios, overflow-safe array dtypes.

Every obligation comparison is `lhs * a <= rhs * b` on integers. Arrays stay int64
when a bound shows no product can overflow, and switch to Python-int object
arrays (slower, still exact) when it could. No floats anywhere here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[Any]  # int64, or object holding Python ints when int64 could overflow
SAFE_BOUND = 1 << 62


def ratio(value: Decimal) -> tuple[int, int]:
    """`value` as (numerator, denominator) with a power-of-ten denominator."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int), "finite decimals only"
    num = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    if exponent >= 0:
        return num * 10**exponent, 1
    return num, 10**-exponent


def ns_from_seconds(value: Decimal) -> int:
    """Seconds (exact decimal) to integer nanoseconds, truncating below 1 ns."""
    num, den = ratio(value)
    return num * 1_000_000_000 // den


def widen(bound: int, *arrays: IntArray) -> list[IntArray]:
    """The arrays unchanged if `bound` < 2**62, else as object arrays of Python ints."""
    if bound < SAFE_BOUND:
        return list(arrays)
    return [a.astype(object) for a in arrays]


def maxabs(*arrays: IntArray) -> int:
    """Largest absolute value over the arrays (1 when all are empty)."""
    out = 1
    for a in arrays:
        if a.size:
            out = max(out, int(np.max(a)), -int(np.min(a)))
    return out
