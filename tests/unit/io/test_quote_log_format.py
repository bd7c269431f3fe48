"""The one definition of the quote-log layout, read back by the quote-log reader."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from mmsla.io import quote_log_format as fmt
from mmsla.io.tables import read_quote_log


def test_header_and_lines_round_trip_through_the_reader(tmp_path: Path) -> None:
    assert fmt.header(2) == (
        "ts,symbol,bid_px,bid_qty,ask_px,ask_qty,bid_px_2,bid_qty_2,ask_px_2,ask_qty_2,event"
    )
    rows = [
        fmt.line(10, "ABC", [(Decimal("99.50"), "500")], [("100.50", Decimal("1E+3"))], "quote", 2),
        fmt.line(20, "ABC", [], [(Decimal("100.5"), Decimal(1))], "fill", 2),
    ]
    assert rows[0] == "10,ABC,99.50,500,100.50,1000,,,,,quote"  # never 1E+3
    path = tmp_path / "q.csv"
    path.write_text("\n".join([fmt.header(2), *rows]) + "\n")
    q = read_quote_log(path)["ABC"]
    assert len(q) == 2
