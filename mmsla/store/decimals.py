"""Exact conversion of scaled int64 arrays into Arrow decimal128 columns for the store.

The file readers (`mmsla.io.columns`) give prices and sizes as int64 scaled by
10**scale; the store keeps them as DECIMAL(38,18). `to_decimal` builds the
decimal128 buffer word by word (low word = the int64, high word = its sign) and
rescales with Arrow's exact cast: no floats. The way back is SQL in the store
(`CAST(x * 10**scale AS BIGINT)` at the files' own scale).

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
