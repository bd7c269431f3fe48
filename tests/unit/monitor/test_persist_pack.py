"""Batches travel to the writer process as JSON bytes and come back as the same rows."""

from __future__ import annotations

import pickle
from pathlib import Path

from mmsla.monitor.persist import Batch
from mmsla.monitor.quotelog import write_market, write_quotes


def test_packed_batch_writes_the_same_files(tmp_path: Path) -> None:
    quotes = [
        (10, "ABC", [["100.00", "200"], ["99.99", "5"]], [["100.20", "200"]], "fill"),
        (11, "XYZ", [], [], "stale"),
        (12, "ABC", [["1e2", "1"]], [["101", "2"]], None),
    ]
    market = [(10, "ABC", "99.9", None, "10", None)]
    b = Batch("q", 3, 1, quotes=list(quotes), market=list(market))  # type: ignore[arg-type]
    packed = b.pack()
    assert packed.packed is not None and packed.quotes == [] and packed.market == []
    back = pickle.loads(pickle.dumps(packed)).unpack()
    assert (back.source, back.last_seq, back.day_first_seq) == ("q", 3, 1)
    write_quotes(tmp_path / "qa.csv", quotes, 2)  # type: ignore[arg-type]
    write_quotes(tmp_path / "qb.csv", back.quotes, 2)
    write_market(tmp_path / "ma.csv", market)
    write_market(tmp_path / "mb.csv", back.market)
    assert (tmp_path / "qa.csv").read_text() == (tmp_path / "qb.csv").read_text()
    assert (tmp_path / "ma.csv").read_text() == (tmp_path / "mb.csv").read_text()


def test_a_row_json_cannot_carry_leaves_the_batch_unpacked() -> None:
    b = Batch("q", 1, 1, quotes=[(1, "ABC", [[10**30, "1"]], [], "quote")])  # type: ignore[list-item]
    assert b.pack() is b and b.unpack() is b
