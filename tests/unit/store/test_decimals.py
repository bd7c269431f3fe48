"""Scaled int64 <-> decimal128(38,18): exact against Python's Decimal, both ways."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmsla.store.decimals import STORE_TYPE, from_decimal, to_decimal


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


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 18),
    st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), max_size=40),
    st.integers(0, 40),
)
def test_from_decimal_inverts_to_decimal(scale: int, raw: list[int | None], cut: int) -> None:
    values = np.array([0 if v is None else v for v in raw], dtype=np.int64)
    present = np.array([v is not None for v in raw], dtype=np.bool_)
    arr = to_decimal(values, scale, present)
    cut = min(cut, len(arr))
    q, ok = from_decimal(pa.chunked_array([arr.slice(0, cut), arr.slice(cut)], STORE_TYPE), scale)
    assert ok.tolist() == present.tolist()
    assert q.tolist() == [0 if v is None else v for v in raw]


@pytest.mark.parametrize(
    ("text", "scale"),
    [
        ("1.005", 2),  # more decimals than the scale
        ("-1.005", 2),
        ("0.000000000000000001", 17),
        ("-0.000000000000000001", 17),
        ("92233720368547758.08", 2),  # one unit beyond int64
        ("-92233720368547758.09", 2),
        ("1E+19", 0),
        ("99999999999999999999.999999999999999999", 18),
    ],
)
def test_from_decimal_refuses_what_int64_units_cannot_hold(text: str, scale: int) -> None:
    with pytest.raises(ValueError, match="whole number"):
        from_decimal(pa.array([Decimal(text)], STORE_TYPE), scale)


def test_from_decimal_edges_against_decimal() -> None:
    texts = ["92233720368547758.07", "-92233720368547758.08", "0", "-0.01", "123.45"]
    q, ok = from_decimal(pa.array([Decimal(t) for t in texts] + [None], STORE_TYPE), 2)
    assert q.tolist() == [int(Decimal(t).scaleb(2)) for t in texts] + [0]
    assert ok.tolist() == [True] * len(texts) + [False]
