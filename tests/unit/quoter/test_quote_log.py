"""Quote log writer: DESIGN.md format, exact decimals, empty sides, append on restart."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from mmsla.domain import Level, Quote
from quoter.quote_log import QuoteLogWriter

D = Decimal


def test_rows_follow_the_design_format(tmp_path: Path) -> None:
    path = tmp_path / "quotes.csv"
    w = QuoteLogWriter(path, levels=2, flush_every=1)
    w.write(
        Quote(
            10,
            "ABC",
            (Level(D("99.50"), D("500")), Level(D("99.40"), D("700"))),
            (Level(D("0.00001"), D("1e3")),),
            "quote",
        )
    )
    w.write(Quote(20, "ABC", (), (Level(D("100.5"), D("1")),), "fill"))
    w.close()
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == [
        "ts", "symbol", "bid_px", "bid_qty", "ask_px", "ask_qty",
        "bid_px_2", "bid_qty_2", "ask_px_2", "ask_qty_2", "event",
    ]  # fmt: skip
    assert rows[0]["bid_px"] == "99.50" and rows[0]["bid_px_2"] == "99.40"
    assert rows[0]["ask_px"] == "0.00001" and rows[0]["ask_qty"] == "1000"  # never 1E+3
    assert rows[0]["ask_px_2"] == "" and rows[0]["event"] == "quote"
    assert rows[1]["bid_px"] == "" and rows[1]["ask_px"] == "100.5" and rows[1]["ts"] == "20"


def test_reopen_appends_without_second_header(tmp_path: Path) -> None:
    path = tmp_path / "quotes.csv"
    for ts in (1, 2):
        w = QuoteLogWriter(path)
        w.write(Quote(ts, "X", (Level(D("1"), D("1")),), (Level(D("2"), D("1")),)))
        w.close()
    lines = path.read_text().splitlines()
    assert lines[0].startswith("ts,symbol") and len(lines) == 3
    assert [ln.split(",")[0] for ln in lines[1:]] == ["1", "2"]
