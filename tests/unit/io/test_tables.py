"""Readers for quote log, market reference, states and fills: formats, exactness, errors."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mmsla.errors import InputError
from mmsla.io.tables import read_fills, read_market, read_quote_log, read_states

CSV = """ts,symbol,bid_px,bid_qty,ask_px,ask_qty,bid_px_2,bid_qty_2,event
2026-11-24T10:00:00+01:00,ABC,99.5,100,100.50,100,99.25,300,quote
1795510800000000001,ABC,0.1,0.5,,,,,fill
2026-11-24T09:00:00.000000002Z,ABC,100.123456789,7,100.2,7,,,
"""
T0 = 1795510800 * 10**9  # 2026-11-24T09:00:00Z


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_exact_scaled_ints_levels_and_events(tmp_path: Path) -> None:
    q = read_quote_log(write(tmp_path, "q.csv", CSV))["ABC"]
    assert q.px_scale == 9 and q.qty_scale == 1
    assert q.ts_ns.tolist() == [T0, T0 + 1, T0 + 2]
    assert q.bid_px[:, 0].tolist() == [99_500_000_000, 100_000_000, 100_123_456_789]
    assert q.bid_px[:, 1].tolist() == [99_250_000_000, 0, 0]
    assert q.bid_qty.tolist() == [[1000, 3000], [5, 0], [70, 0]]
    assert q.ask_px[:, 0].tolist() == [100_500_000_000, 0, 100_200_000_000]
    assert q.ask_qty[:, 0].tolist() == [1000, 0, 70]
    assert q.is_fill.tolist() == [False, True, False]
    assert Decimal(int(q.bid_px[2, 0])).scaleb(-q.px_scale) == Decimal("100.123456789")


def test_jsonl_and_parquet_read_the_same(tmp_path: Path) -> None:
    base = read_quote_log(write(tmp_path, "q.csv", CSV))["ABC"]
    lines = []
    for raw in CSV.strip().splitlines()[1:]:
        cells = raw.split(",")
        keys = CSV.splitlines()[0].split(",")
        obj = {k: v for k, v in zip(keys, cells, strict=True) if v != ""}
        lines.append(json.dumps(obj).replace('"0.1"', "0.1"))  # a JSON number stays exact too
    jq = read_quote_log(write(tmp_path, "q.jsonl", "\n".join(lines) + "\n\n"))["ABC"]
    table = pa.table(
        {
            "ts": pa.array([T0 + 3600 * 10**9, T0 + 1, T0 + 2], pa.int64()),
            "symbol": ["ABC"] * 3,
            "bid_px": pa.array(
                [Decimal("99.5"), Decimal("0.1"), Decimal("100.123456789")], pa.decimal128(18, 9)
            ),
            "bid_qty": ["100", "0.5", "7"],
            "ask_px": pa.array([Decimal("100.50"), None, Decimal("100.2")], pa.decimal128(12, 2)),
            "ask_qty": pa.array([100, None, 7], pa.int64()),
            "bid_px_2": pa.array([99.25, None, None], pa.float64()),
            "bid_qty_2": pa.array([300, None, None], pa.int32()),
            "event": ["quote", "fill", None],
        }
    )
    pq.write_table(table, tmp_path / "q.parquet")
    pq_q = read_quote_log(tmp_path / "q.parquet")["ABC"]
    # the parquet file's first row is an hour later, so it sorts last
    for other, order in ((jq, [0, 1, 2]), (pq_q, [1, 2, 0])):
        assert other.px_scale == base.px_scale and other.qty_scale == base.qty_scale
        for field in ("bid_px", "bid_qty", "ask_px", "ask_qty", "is_fill"):
            assert np.array_equal(getattr(other, field), getattr(base, field)[order]), field
    assert jq.ts_ns.tolist() == base.ts_ns.tolist()
    # parquet rows were out of order: sorted by time
    assert pq_q.ts_ns.tolist() == [T0 + 1, T0 + 2, T0 + 3600 * 10**9]


@pytest.mark.parametrize(
    ("row", "line", "column", "message"),
    [
        ("2026-11-24T10:00:01+01:00,ABC,99.5x,1,100,1", 3, "bid_px", "not a decimal number"),
        ("2026-11-24T10:00:01+01:00,ABC,99.5,1,1e2,1", 3, "ask_px", "not a decimal number"),
        ("2026-11-24T10:00:01,ABC,99.5,1,100,1", 3, "ts", "not an ISO-8601 time with offset"),
        ("yesterday,ABC,99.5,1,100,1", 3, "ts", "not an ISO-8601 time with offset"),
        ("2026-13-24T10:00:01Z,ABC,99.5,1,100,1", 3, "ts", "not a valid time"),
        ("2026-11-24T10:00:01Z,ABC,99.5,-1,100,1", 3, "bid_qty", "must not be negative"),
        (",ABC,99.5,1,100,1", 3, "ts", "missing timestamp"),
    ],
)
def test_malformed_row_names_file_line_and_column(
    tmp_path: Path, row: str, line: int, column: str, message: str
) -> None:
    text = "ts,symbol,bid_px,bid_qty,ask_px,ask_qty\n1,ABC,1,1,2,1\n" + row + "\n"
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(InputError) as info:
        read_quote_log(path)
    err = info.value
    assert (err.path, err.line, err.column) == (str(path), line, column)
    assert message in err.message
    assert str(err).startswith(f"{path}:{line}: column {column}: ")


def test_jsonl_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    text = '{"ts": 1, "symbol": "A", "bid_px": 1, "bid_qty": 1, "ask_px": 2, "ask_qty": 1}\n\n'
    text += '{"ts": 2, "symbol": "A", "bid_px": "x", "bid_qty": 1, "ask_px": 2, "ask_qty": 1}\n'
    with pytest.raises(InputError) as info:
        read_quote_log(write(tmp_path, "q.jsonl", text))
    assert (info.value.line, info.value.column) == (3, "bid_px")
    with pytest.raises(InputError, match="invalid JSON") as info:
        read_quote_log(write(tmp_path, "r.jsonl", text + "{oops\n"))
    assert info.value.line == 4


def test_missing_columns_and_unknown_type(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing column\\(s\\): ask_px, ask_qty"):
        read_quote_log(write(tmp_path, "q.csv", "ts,symbol,bid_px,bid_qty\n1,A,1,1\n"))
    with pytest.raises(InputError, match="unknown file type"):
        read_quote_log(write(tmp_path, "q.xlsx", "x"))
    with pytest.raises(InputError, match="file not found"):
        read_quote_log(tmp_path / "nope.csv")


def test_market_reference(tmp_path: Path) -> None:
    text = "ts,symbol,bid_px,ask_px,bid_qty\n2,A,10.5,10.75,3\n1,A,,11,\n"
    m = read_market(write(tmp_path, "m.csv", text))["A"]
    assert m.ts_ns.tolist() == [1, 2] and m.px_scale == 2
    assert m.bid_px.tolist() == [0, 1050] and m.ask_px.tolist() == [1100, 1075]
    assert m.bid_ok.tolist() == [False, True] and m.ask_ok.tolist() == [True, True]
    assert m.bid_qty.tolist() == [0, 3]


def test_states(tmp_path: Path) -> None:
    text = (
        "start,end,symbol,state,reason\n"
        "2026-11-24T10:00:00+01:00,2026-11-24T10:05:00+01:00,*,halt,news\n"
        "2026-11-24T10:00:00+01:00,2026-11-24T10:05:00+01:00,,Stressed,\n"
        "2026-11-24T10:00:00+01:00,2026-11-24T10:05:00+01:00,ABC,auction,\n"
    )
    s = read_states(write(tmp_path, "s.csv", text))
    assert [(x.symbol, x.state, x.reason) for x in s] == [
        (None, "halt", "news"),
        (None, "stressed", None),
        ("ABC", "auction", None),
    ]
    assert s[0].end_ns - s[0].start_ns == 300 * 10**9
    bad = text.replace("auction", "lunch")
    with pytest.raises(InputError, match="unknown state 'lunch'") as info:
        read_states(write(tmp_path, "b.csv", bad))
    assert (info.value.line, info.value.column) == (4, "state")
    backwards = "start,end,symbol,state\n5,4,A,halt\n"
    with pytest.raises(InputError, match="end must be after start"):
        read_states(write(tmp_path, "c.csv", backwards))


def test_fills(tmp_path: Path) -> None:
    text = "ts,symbol,side,px,qty,fee,liquidity\n5,A,buy,10.5,2,0.01,maker\n"
    text += "4,A,SELL,10.6,1,-0.002,taker\n"
    f = read_fills(write(tmp_path, "f.csv", text))["A"]
    assert f.ts_ns.tolist() == [4, 5] and f.side.tolist() == [-1, 1]
    assert f.px.tolist() == [106, 105] and f.px_scale == 1 and f.qty.tolist() == [1, 2]
    with pytest.raises(InputError, match="side must be buy or sell") as info:
        read_fills(write(tmp_path, "g.csv", text.replace("buy", "long")))
    assert info.value.line == 2
    with pytest.raises(InputError) as info:
        read_fills(write(tmp_path, "h.csv", text.replace("0.01", "1 cent")))
    assert (info.value.line, info.value.column) == (2, "fee")


def test_blank_lines_are_skipped_and_line_numbers_kept(tmp_path: Path) -> None:
    text = "ts,symbol,bid_px,bid_qty,ask_px,ask_qty\n1,A,1,1,2,1\n\n2,A,1,1,?,1\n\n"
    with pytest.raises(InputError) as info:
        read_quote_log(write(tmp_path, "q.csv", text))
    assert (info.value.line, info.value.column) == (4, "ask_px")
    ok = read_quote_log(write(tmp_path, "r.csv", text.replace("?", "2")))["A"]
    assert ok.ts_ns.tolist() == [1, 2]


def test_wrong_field_count_names_the_line(tmp_path: Path) -> None:
    text = "ts,symbol,bid_px,bid_qty,ask_px,ask_qty\n1,A,1,1,2,1\n2,A,1,1,2\n"
    with pytest.raises(InputError, match="expected 6 fields, found 5") as info:
        read_quote_log(write(tmp_path, "q.csv", text))
    assert info.value.line == 3
