"""The fast top-of-book loader returns exactly what `EventStore.load_quotes` returns."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from mmsla.history.fast_quotes import decimal_units, load_top_quotes
from mmsla.io.tables import QuoteArrays
from mmsla.store import EventStore

NS = 10**9
# mixed decimals across files (scale 4 from the second file), one-sided and empty rows,
# a fill, negative prices (spreads, calendar products), ties at the same instant
FILE_A = """ts,symbol,bid_px,bid_qty,ask_px,ask_qty,event
2026-11-02T09:00:00Z,ABC,99.5,500,100.5,500,quote
2026-11-02T09:00:01Z,ABC,99.55,400,,,replace
2026-11-02T09:00:02Z,ABC,,,,,cancel
2026-11-02T09:00:03Z,ABC,-1.25,3,0.75,2,FILL
2026-11-02T09:00:03Z,ABC,99.5,1.5,100.5,2,quote
2026-11-02T09:00:00Z,XYZ,10,1,11,1,quote
"""
FILE_B = """ts,symbol,bid_px,bid_qty,ask_px,ask_qty
2026-11-02T10:00:00Z,ABC,99.1234,7,100.0001,8
2026-11-03T10:00:00Z,ABC,123456789.1234,1000000,123456790,2000000
"""


def same(x: QuoteArrays, y: QuoteArrays) -> bool:
    fields = ("ts_ns", "bid_px", "bid_qty", "ask_px", "ask_qty", "is_fill")
    return all(
        getattr(x, f).shape == getattr(y, f).shape and np.array_equal(getattr(x, f), getattr(y, f))
        for f in fields
    ) and (x.symbol, x.px_scale, x.qty_scale) == (y.symbol, y.px_scale, y.qty_scale)


@pytest.fixture(params=["ab", "ba"])
def store(tmp_path: Path, request: pytest.FixtureRequest) -> EventStore:
    """Both ingest orders: "ba" stores later rows first, so the loader must sort."""
    (tmp_path / "a.csv").write_text(FILE_A)
    (tmp_path / "b.csv").write_text(FILE_B)
    s = EventStore.open(tmp_path / "s.duckdb")
    for name in request.param:
        s.ingest("quotes", tmp_path / f"{name}.csv")
    return s


T0 = 1_793_610_000 * NS  # 2026-11-02T09:00:00Z


@pytest.mark.parametrize(
    "start_ns, end_ns",
    [
        (0, 2**62),
        (T0 + 2 * NS, T0 + 3601 * NS),  # starts with the row in force, ties included
        (T0 + 3 * NS + 1, T0 + 3 * NS + 2),  # only the carried-in rows (two at one instant)
        (T0 + 3600 * NS, 2**62),  # only scale-4 rows
    ],
)
def test_equal_to_store_loader(store: EventStore, start_ns: int, end_ns: int) -> None:
    for symbol in ("ABC", "XYZ"):
        want = store.load_quotes(symbol=symbol, start_ns=start_ns, end_ns=end_ns)
        got = load_top_quotes(store.con, symbol, start_ns, end_ns)
        assert got is not None
        assert list(got) == list(want)
        if want:
            assert len(want[symbol]) > 0 and same(got[symbol], want[symbol])


def test_unknown_symbol_is_empty(store: EventStore) -> None:
    assert load_top_quotes(store.con, "NOPE", 0, 2**62) == {}


def test_deeper_levels_fall_back(tmp_path: Path) -> None:
    (tmp_path / "deep.csv").write_text(
        "ts,symbol,bid_px,bid_qty,ask_px,ask_qty,bid_px_2,bid_qty_2,ask_px_2,ask_qty_2\n"
        "2026-11-02T09:00:00Z,ABC,99,1,101,1,98,5,102,5\n"
        "2026-11-02T09:00:00Z,XYZ,9,1,11,1,,,,\n"
    )
    with EventStore.open(tmp_path / "f.duckdb") as s:
        s.ingest("quotes", tmp_path / "deep.csv")
        assert load_top_quotes(s.con, "ABC", 0, 2**62) is None
        got = load_top_quotes(s.con, "XYZ", 0, 2**62)
        assert got is not None and same(got["XYZ"], s.load_quotes(symbol="XYZ")["XYZ"])


def test_decimal_units_exact_with_nulls() -> None:
    values = [Decimal("123456789.1234"), None, Decimal("-0.0001"), Decimal("0"), Decimal("-99999")]
    arr = pa.array(values, type=pa.decimal128(38, 18))
    units, present = decimal_units(arr, 4)
    assert units.tolist() == [1234567891234, 0, -1, 0, -999990000]
    assert present.tolist() == [True, False, True, True, True]
    units, _ = decimal_units(arr.slice(2, 2), 18)  # an offset slice, scale 18 (no division)
    assert units.tolist() == [-(10**14), 0]
