"""Exact conversion of scaled int64 arrays into Arrow decimal128 columns for the store.

The file readers (`mmsla.io.columns`) give prices and sizes as int64 scaled by
10**scale; the store keeps them as DECIMAL(38,18). `to_decimal` builds the
decimal128 buffer word by word (low word = the int64, high word = its sign) and
rescales with Arrow's exact cast: no floats. `from_decimal` is the way back:
the decimal128 words to int64 units of 10**-scale by exact modular division
(a few vector operations instead of 128-bit arithmetic per row in SQL).

Does not: parse text or choose scales.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
STORE_SCALE = 18
STORE_TYPE = pa.decimal128(38, STORE_SCALE)


def to_decimal(values: I64, scale: int, present: Bools | None = None) -> pa.Array:
    """`values / 10**scale` as decimal128(38, 18); rows where `present` is False are null."""
    n = int(values.shape[0])
    words = np.empty(2 * n, dtype=np.int64)
    words[0::2] = values
    words[1::2] = values >> 63
    validity = None
    if present is not None and not bool(present.all()):
        validity = pa.array(present, type=pa.bool_()).buffers()[1]
    arr = pa.Array.from_buffers(pa.decimal128(38, scale), n, [validity, pa.py_buffer(words)])
    return arr.cast(STORE_TYPE)


def from_decimal(col: pa.Array | pa.ChunkedArray, scale: int) -> tuple[I64, Bools]:
    """A decimal128(38, 18) column as (int64 units of 10**-scale, present mask); nulls are 0.

    Exact: the stored value v (an int128 of 10**-18 units) is divided by
    d = 10**k = 2**k * 5**k (k = 18 - scale) as a shift by k and a multiplication by
    the inverse of 5**k modulo 2**64, which is the quotient whenever v is a
    multiple of d and the quotient fits in int64. Both are checked (a value with
    more decimals than `scale`, or too large, raises `ValueError`): otherwise the
    modular quotient sits at least 2**64 / 5**k (> 4.8e6) away from v / d, which a
    float estimate of v / d (error < 2**13) tells apart.
    """
    k = STORE_SCALE - scale
    if not 0 <= k <= STORE_SCALE:
        raise ValueError(f"scale {scale} outside 0..{STORE_SCALE}")
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    values: list[I64] = []
    present: list[Bools] = []
    for ch in chunks:
        if ch.type != STORE_TYPE:
            raise ValueError(f"expected {STORE_TYPE}, got {ch.type}")
        n = len(ch)
        words = np.frombuffer(ch.buffers()[1], dtype=np.uint64)[2 * ch.offset : 2 * (ch.offset + n)]
        lo, hi = words[0::2], words[1::2]
        ok = np.ones(n, dtype=np.bool_) if ch.null_count == 0 else ch.is_valid().to_numpy(False)
        if k == 0:
            q = lo.view(np.int64).copy()
            exact = hi.view(np.int64) == (q >> 63)
        else:
            shifted = (lo >> np.uint64(k)) | (hi << np.uint64(64 - k))  # (v >> k) mod 2**64
            m = 5**k
            q = (shifted * np.uint64(pow(m, -1, 1 << 64))).view(np.int64)
            estimate = _as_float(lo, hi) / 10.0**k
            # q is right iff it is close to v / d: a wrong one (v not a multiple of d, or a
            # quotient beyond int64) is off by a multiple of 2**64 / 5**k
            exact = (lo & np.uint64((1 << k) - 1)) == 0
            exact &= np.abs(q.astype(np.float64) - estimate) <= 1.0 + np.abs(estimate) * 2.0**-50
        bad = ok & ~exact
        if bad.any():
            raise ValueError(
                f"value at row {int(np.flatnonzero(bad)[0])} is not a whole number of "
                f"10**-{scale} units within int64"
            )
        values.append(np.where(ok, q, 0))
        present.append(ok)
    if not values:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.bool_)
    return np.concatenate(values), np.concatenate(present)


def _as_float(lo: npt.NDArray[np.uint64], hi: npt.NDArray[np.uint64]) -> npt.NDArray[np.float64]:
    """The int128 `hi * 2**64 + lo` (two's complement) as float64, to relative 2**-52.

    A negative value is summed from two terms of its own sign (hi + 1 and the
    negated low word), never as a large positive low word minus 2**64, which would
    cancel away the precision.
    """
    hs = hi.view(np.int64)
    neg = (hs < 0) & (lo != 0)
    pos_part = hs.astype(np.float64) * 2.0**64 + lo.astype(np.float64)
    neg_part = (hs + 1).astype(np.float64) * 2.0**64 - (np.uint64(0) - lo).astype(np.float64)
    return np.where(neg, neg_part, pos_part)
