"""The writer stores each batch from memory, and the provenance still names the chunk files."""

from __future__ import annotations

from pathlib import Path

from mmsla.agreement import load_agreement
from mmsla.monitor.persist import Batch, Persister, read_resume
from mmsla.monitor.quotelog import quotes_text
from mmsla.store import EventStore
from mmsla.store.event_store import file_sha256
from tests.conftest import REPO


def test_batches_reach_the_store_as_their_chunk_files_would(tmp_path: Path) -> None:
    agr = load_agreement(REPO / "fixtures" / "monitor" / "agreement.yaml")
    w = Persister(
        agr,
        spool_dir=tmp_path / "spool",
        state_path=tmp_path / "state.json",
        db=tmp_path / "m.duckdb",
        mode="inline",
    )
    quotes = [
        (10, "ABC", [["100.00", "200"]], [["100.20", "200"]], "quote"),
        (11, "XYZ", [], [], "stale"),
        (12, "ABC", [["99.5", "0"]], [["100.205", "3"]], None),
    ]
    market = [(10, "ABC", "99.9", None, "10", None)]
    w.write(Batch("q", 3, 1, quotes=list(quotes), market=list(market)).pack().unpack())  # type: ignore[arg-type]
    w.write(Batch("q", 4, 1, quotes=[(13, "ABC", [["100.01", "1"]], [], "quote")]))
    w.close()
    assert read_resume(tmp_path / "state.json").last_seq == 4  # type: ignore[union-attr]
    chunks = sorted((tmp_path / "spool").glob("*.csv"))
    assert [p.name.split("-")[0] for p in chunks] == ["market", "quotes", "quotes"]
    with EventStore.open(tmp_path / "m.duckdb") as store:
        files = store.ingested_files()
        assert {(f.path, f.sha256) for f in files} == {
            (str(p.resolve()), file_sha256([p])) for p in chunks
        }
        assert all(f.source == "monitor:q" for f in files)
        assert [f.rows for f in files if f.kind == "quotes"] == [3, 1]
        from_memory = store.con.execute(
            "SELECT ts, symbol, bid_px, bid_qty, ask_px, ask_qty, event, line FROM quotes "
            "ORDER BY ts"
        ).fetchall()
        market_rows = store.con.execute("SELECT ts, bid_px, ask_px FROM market").fetchall()
    # the same chunk files ingested from disk give the same rows
    with EventStore.open(tmp_path / "disk.duckdb") as disk:
        for p in chunks:
            disk.ingest(p.name.split("-")[0], p)
        from_disk = disk.con.execute(
            "SELECT ts, symbol, bid_px, bid_qty, ask_px, ask_qty, event, line FROM quotes "
            "ORDER BY ts"
        ).fetchall()
    assert from_memory == from_disk
    assert from_memory[2][2] is None  # zero-size bid is absent
    assert str(from_memory[2][4]).startswith("100.205")
    assert len(market_rows) == 1 and market_rows[0][2] is None


def _writer(tmp_path: Path) -> Persister:
    agr = load_agreement(REPO / "fixtures" / "monitor" / "agreement.yaml")
    return Persister(
        agr, spool_dir=tmp_path / "spool", state_path=tmp_path / "s.json", mode="inline"
    )


def test_chunk_text_from_json_columns_is_the_text_quote_lines_writes(tmp_path: Path) -> None:
    usual = [
        (10, "ABC", [["100.00", "200"]], [["100.20", "200"]], "quote"),
        (11, "XYZ", [], [], "stale"),
        (12, "ABC", [["99.5", "0"], ["99.4", "1"]], [], None),
        (13, "ABC", [], [["1e2", "7"]], ""),
        (-5, "ÄBC", [["0.000000000000000001", "1"]], [["2", "3"]], "fill"),
    ]
    odd = [
        [(14, "ABC", [[100, "1"]], [], "quote")],  # a number where text is expected
        [(15, "ABC", [["1", "2", "3"]], [], "quote")],  # a level that is not a pair
        [(16, "A,B", [["1", "2"]], [], "quote")],  # a cell that would need quoting
        [(2**63, "ABC", [["1", "2"]], [], "quote")],  # ts beyond int64
    ]
    w = _writer(tmp_path)
    try:
        for rows, fast in [(usual, True), *((r, False) for r in odd)]:
            for b in (
                Batch("q", 1, 1, quotes=list(rows)),
                Batch("q", 1, 1, quotes=list(rows)).pack(),
            ):  # type: ignore[arg-type]
                chunk = w._quote_chunk(b)
                assert chunk is not None
                data, columns, n = chunk
                assert data.decode() == quotes_text(rows, 1)  # type: ignore[arg-type]
                assert n == len(rows)
                assert (columns is not None) == fast, rows
        assert w._quote_chunk(Batch("q", 1, 1).pack()) is None
    finally:
        w.close()
