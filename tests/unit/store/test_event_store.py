"""EventStore ingest and load on real DuckDB files in tmp_path, against the file readers."""

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
from mmsla.store import EventStore

QUOTES = """ts,symbol,bid_px,bid_qty,ask_px,ask_qty,bid_px_2,bid_qty_2,ask_px_2,ask_qty_2,event
2026-11-24T09:00:00+01:00,ABC,99.50,500,100.50,500,99.40,1000,,,quote
2026-11-24T09:00:01.5+01:00,ABC,99.55,400,100.45,0.0001,,,100.60,300,replace
2026-11-24T09:00:02+01:00,ABC,,,100.45,0.0001,,,,,fill
1795680000000000000,XYZ,0.12345678,7,0.2,1,,,,,
2026-11-24T09:00:03+01:00,ABC,99.55,400,100.45,0,,,,,cancel
"""
FILLS = """ts,symbol,side,px,qty,fee,liquidity,order_id,trade_id
2026-11-24T09:00:02+01:00,ABC,buy,100.45,0.0001,-0.000001,maker,o1,t1
2026-11-24T09:00:05+01:00,ABC,SELL,99.55,400,0.5,Taker,o2,t2
"""
STATES = """start,end,symbol,state,reason
2026-11-24T09:00:00+01:00,2026-11-24T09:05:00+01:00,ABC,halt,news
2026-11-24T10:00:00+01:00,2026-11-24T10:30:00+01:00,*,stressed,
"""
MARKET = """ts,symbol,bid_px,ask_px,bid_qty,ask_qty
2026-11-24T09:00:00+01:00,ABC,99.60,100.40,1500,2500
2026-11-24T09:00:01+01:00,ABC,,100.40,,2500
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def _to_jsonl(csv_path: Path) -> Path:
    lines = csv_path.read_text().splitlines()
    header = lines[0].split(",")
    out = csv_path.with_suffix(".jsonl")
    with out.open("w") as fh:
        for line in lines[1:]:
            row = {k: v for k, v in zip(header, line.split(","), strict=True) if v != ""}
            fh.write(json.dumps(row) + "\n")
    return out


def _to_parquet(csv_path: Path) -> Path:
    lines = csv_path.read_text().splitlines()
    header = lines[0].split(",")
    cols: dict[str, list[str | None]] = {h: [] for h in header}
    for line in lines[1:]:
        for k, v in zip(header, line.split(","), strict=True):
            cols[k].append(v or None)
    out = csv_path.with_suffix(".parquet")
    pq.write_table(pa.table({k: pa.array(v, type=pa.string()) for k, v in cols.items()}), out)
    return out


@pytest.fixture
def store(tmp_path: Path) -> EventStore:
    s = EventStore.open(tmp_path / "store.duckdb")
    yield s  # type: ignore[misc]
    s.close()


def _trim(a: np.ndarray) -> np.ndarray:
    """Drop trailing all-zero level columns (files may declare empty levels)."""
    keep = a.shape[1]
    while keep > 1 and not a[:, keep - 1].any():
        keep -= 1
    return a[:, :keep]


def _assert_quotes_equal(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for sym, w in want.items():
        g = got[sym]
        assert np.array_equal(g.ts_ns, w.ts_ns)
        assert np.array_equal(g.is_fill, w.is_fill)
        for name in ("bid_px", "ask_px"):
            a, b = _trim(getattr(g, name)), _trim(getattr(w, name))
            assert np.array_equal(a * 10**w.px_scale, b * 10**g.px_scale), name
        for name in ("bid_qty", "ask_qty"):
            a, b = _trim(getattr(g, name)), _trim(getattr(w, name))
            assert np.array_equal(a * 10**w.qty_scale, b * 10**g.qty_scale), name


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_quotes_load_equals_file_reader(tmp_path: Path, store: EventStore, fmt: str) -> None:
    path = _write(tmp_path, "quotes.csv", QUOTES)
    path = {"csv": path, "jsonl": _to_jsonl(path), "parquet": _to_parquet(path)}[fmt]
    result = store.ingest("quotes", path, source="unit")
    assert not result.skipped and result.rows == 5
    _assert_quotes_equal(store.load_quotes(), read_quote_log(path))


def test_exact_decimals_round_trip(tmp_path: Path, store: EventStore) -> None:
    store.ingest("quotes", _write(tmp_path, "quotes.csv", QUOTES))
    rows = store.con.execute(
        "SELECT bid_px, bid_qty, ask_qty, bid_levels, ask_levels, event, line "
        "FROM quotes ORDER BY symbol, ts"
    ).fetchall()
    by_line = {r[6]: r for r in rows}
    assert by_line[5][0] == Decimal("0.12345678")  # 8 decimals kept exactly
    assert by_line[3][2] == Decimal("0.0001")
    assert by_line[2][3] == [{"px": Decimal("99.4"), "qty": Decimal("1000")}]
    assert by_line[3][4] == [{"px": Decimal("100.6"), "qty": Decimal("300")}]
    assert by_line[4][0] is None and by_line[4][1] is None  # absent bid side
    assert by_line[6][2] is None  # ask qty 0 = absent, as the file reader says
    assert by_line[4][5] == "fill"
    # the store sorts by symbol, ts: ABC rows (lines 2,3,4,6) before XYZ (line 5)
    assert [r[6] for r in rows] == [2, 3, 4, 6, 5]


def test_reingest_same_bytes_is_noop(tmp_path: Path, store: EventStore) -> None:
    first = store.ingest("quotes", _write(tmp_path, "quotes.csv", QUOTES))
    again = store.ingest("quotes", tmp_path / "quotes.csv")
    copy = store.ingest("quotes", _write(tmp_path, "copy.csv", QUOTES))  # same bytes, new name
    assert again.skipped and copy.skipped and again.file_id == first.file_id
    assert store.con.execute("SELECT count(*) FROM quotes").fetchall() == [(5,)]
    assert len(store.ingested_files()) == 1
    # the same bytes as another kind is a different ingest
    other = _write(tmp_path, "m.csv", MARKET)
    assert not store.ingest("market", other).skipped


def test_bad_row_in_the_middle_stores_nothing(tmp_path: Path, store: EventStore) -> None:
    good = _write(tmp_path, "good.csv", QUOTES)
    lines = QUOTES.splitlines()
    lines.insert(
        3, "2026-11-24T09:00:01.7+01:00,ABC,99.5,5,100.5,abc,,,,,quote"
    )  # line 4 of the file
    bad = _write(tmp_path, "bad.csv", "\n".join(lines) + "\n")
    with pytest.raises(InputError) as err, store.transaction():
        store.ingest("quotes", good)
        store.ingest("quotes", bad)
    assert str(err.value).startswith(f"{bad}:4: column ask_qty:")
    assert store.con.execute("SELECT count(*) FROM quotes").fetchall() == [(0,)]
    assert store.ingested_files() == []
    # after the failure the good file goes in normally
    assert store.ingest("quotes", good).rows == 5


def test_database_error_mid_transaction_rolls_back(tmp_path: Path, store: EventStore) -> None:
    good = _write(tmp_path, "good.csv", QUOTES)
    with pytest.raises(RuntimeError), store.transaction():
        store.ingest("quotes", good)
        assert store.con.execute("SELECT count(*) FROM quotes").fetchall() == [(5,)]
        raise RuntimeError("disk full")
    assert store.con.execute("SELECT count(*) FROM quotes").fetchall() == [(0,)]
    assert store.find_ingested(store.ingest("quotes", good).sha256, "quotes") is not None


def test_window_load_keeps_state_at_start(tmp_path: Path, store: EventStore) -> None:
    store.ingest("quotes", _write(tmp_path, "quotes.csv", QUOTES))
    all_abc = store.load_quotes(symbol="ABC")["ABC"]
    start = int(all_abc.ts_ns[1]) + 1  # between the 2nd and 3rd ABC rows
    part = store.load_quotes(symbol="ABC", start_ns=start, end_ns=int(all_abc.ts_ns[3]))
    assert list(part) == ["ABC"]
    assert part["ABC"].ts_ns.tolist() == all_abc.ts_ns[1:3].tolist()


def test_market_states_fills(tmp_path: Path, store: EventStore) -> None:
    m = _write(tmp_path, "market.csv", MARKET)
    s = _write(tmp_path, "states.csv", STATES)
    f = _write(tmp_path, "fills.csv", FILLS)
    with store.transaction():
        store.ingest("market", m)
        store.ingest("states", s)
        store.ingest("fills", f, source="venue-a")
    want_m = read_market(m)["ABC"]
    got_m = store.load_market()["ABC"]
    assert np.array_equal(got_m.bid_ok, want_m.bid_ok) and np.array_equal(got_m.ts_ns, want_m.ts_ns)
    assert np.array_equal(got_m.ask_px * 10**want_m.px_scale, want_m.ask_px * 10**got_m.px_scale)
    assert store.load_states() == read_states(s)
    assert store.load_states(symbol="XYZ") == [read_states(s)[1]]  # only the "*" row
    want_f = read_fills(f)["ABC"]
    got_f = store.load_fills()["ABC"]
    assert got_f.side.tolist() == want_f.side.tolist() == [1, -1]
    assert np.array_equal(got_f.qty * 10**want_f.qty_scale, want_f.qty * 10**got_f.qty_scale)
    row = store.con.execute(
        "SELECT fee, liquidity, order_id, trade_id FROM fills ORDER BY ts LIMIT 1"
    ).fetchall()[0]
    assert row == (Decimal("-0.000001"), "maker", "o1", "t1")
    sources = {f.kind: f.source for f in store.ingested_files()}
    assert sources == {"market": None, "states": None, "fills": "venue-a"}
    prov = {f.kind: (f.rows, f.ts_min, f.ts_max) for f in store.ingested_files()}
    assert prov["fills"] == (2, int(want_f.ts_ns[0]), int(want_f.ts_ns[1]))


def test_bad_states_and_fills_report_location(tmp_path: Path, store: EventStore) -> None:
    bad_side = _write(tmp_path, "f.csv", FILLS.replace("SELL", "short"))
    with pytest.raises(InputError, match=r"f\.csv:3: column side"):
        store.ingest("fills", bad_side)
    bad_state = _write(tmp_path, "s.csv", STATES.replace("stressed", "panic"))
    with pytest.raises(InputError, match=r"s\.csv:3: column state"):
        store.ingest("states", bad_state)
    assert store.ingested_files() == []
