"""EventStore.append: rows held in memory stored exactly as the same rows ingested from a file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from mmsla.errors import InputError
from mmsla.store import EventStore
from tests.unit.store.test_event_store import FILLS, MARKET, QUOTES

_SELECT = {
    "quotes": "SELECT ts, symbol, bid_px, bid_qty, ask_px, ask_qty, bid_levels, ask_levels, "
    "event, line FROM quotes ORDER BY symbol, ts, line",
    "market": "SELECT ts, symbol, bid_px, ask_px, bid_qty, ask_qty, line FROM market "
    "ORDER BY symbol, ts, line",
    "fills": "SELECT ts, symbol, side, px, qty, fee, liquidity, order_id, trade_id, line "
    "FROM fills ORDER BY symbol, ts, line",
}


def _columns(text: str) -> pa.Table:
    """The CSV text as columns of strings, blanks null (what a caller holding rows hands over)."""
    names = text.splitlines()[0].split(",")
    return pacsv.read_csv(
        pa.BufferReader(text.encode()),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=True
        ),
    )


@pytest.mark.parametrize(
    ("kind", "text"), [("quotes", QUOTES), ("market", MARKET), ("fills", FILLS)]
)
def test_append_stores_what_ingest_of_the_same_rows_stores(
    tmp_path: Path, kind: str, text: str
) -> None:
    path = tmp_path / f"{kind}.csv"
    path.write_text(text)
    with (
        EventStore.open(tmp_path / "file.duckdb") as a,
        EventStore.open(tmp_path / "mem.duckdb") as b,
    ):
        via_file = a.ingest(kind, path, source="unit")
        sha = hashlib.sha256(text.encode()).hexdigest()
        via_mem = b.append(
            kind, _columns(text), path=str(path.resolve()), sha256=sha, source="unit"
        )
        assert not via_mem.skipped
        assert (via_mem.rows, via_mem.ts_min, via_mem.ts_max, via_mem.sha256) == (
            via_file.rows,
            via_file.ts_min,
            via_file.ts_max,
            via_file.sha256,
        )
        assert b.con.execute(_SELECT[kind]).fetchall() == a.con.execute(_SELECT[kind]).fetchall()
        fa, fb = a.ingested_files()[0], b.ingested_files()[0]
        assert (fb.path, fb.sha256, fb.kind, fb.rows, fb.source) == (
            fa.path,
            fa.sha256,
            fa.kind,
            fa.rows,
            fa.source,
        )
        scales = "SELECT px_scale, qty_scale FROM ingested_files"
        assert b.con.execute(scales).fetchall() == a.con.execute(scales).fetchall()
        # the provenance names the file's bytes: ingesting the file afterwards is a no-op
        assert b.ingest(kind, path).skipped


def test_append_is_idempotent_per_batch_and_defaults_to_a_content_hash(tmp_path: Path) -> None:
    cols = {
        "ts": [1, 2, 3],
        "symbol": ["ABC", "ABC", "XYZ"],
        "bid_px": ["99.5", None, "1.25"],
        "bid_qty": ["10", None, "3"],
        "ask_px": ["100.5", "100.5", "1.30"],
        "ask_qty": ["10", "7", "0"],
    }
    with EventStore.open(tmp_path / "s.duckdb") as store:
        first = store.append("quotes", cols, path="batch-1")
        again = store.append("quotes", dict(cols), path="batch-1 resent")
        assert not first.skipped and again.skipped and again.file_id == first.file_id
        assert store.con.execute("SELECT count(*) FROM quotes").fetchall() == [(3,)]
        other = store.append("quotes", {**cols, "ts": [4, 5, 6]}, path="batch-2")
        assert not other.skipped and other.sha256 != first.sha256
        assert [f.rows for f in store.ingested_files()] == [3, 3]
        # absent bid and zero-size ask are NULL, as for a file
        rows = store.con.execute(
            "SELECT bid_px, ask_qty FROM quotes WHERE file_id = ? ORDER BY symbol, ts",
            [first.file_id],
        ).fetchall()
        assert [r[0] is None for r in rows] == [False, True, False]
        assert rows[2][1] is None


def test_bad_cell_names_the_batch_and_line_and_stores_nothing(tmp_path: Path) -> None:
    cols = {
        "ts": [1, 2],
        "symbol": ["ABC", "ABC"],
        "bid_px": ["99.5", "99.5"],
        "bid_qty": ["10", "abc"],
        "ask_px": ["100.5", "100.5"],
        "ask_qty": ["10", "10"],
    }
    with EventStore.open(tmp_path / "s.duckdb") as store:
        with pytest.raises(InputError) as err:
            store.append("quotes", cols, path="spool/q.csv")
        assert str(err.value).startswith("spool/q.csv:3: column bid_qty:")
        assert store.con.execute("SELECT count(*) FROM quotes").fetchall() == [(0,)]
        assert store.ingested_files() == []
        with pytest.raises(InputError, match="missing column"):
            store.append("quotes", {"ts": [1]}, path="x")
        with pytest.raises(ValueError, match="states"):
            store.append("states", cols, path="x")
