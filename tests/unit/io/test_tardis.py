"""Tardis book_snapshot CSV reader on a small fixture written by hand (values checked by eye)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from mmsla.errors import InputError
from mmsla.io.books import market_reference, read_book
from mmsla.io.tardis import read_tardis_book_snapshot
from tests.conftest import FIXTURES

CSV = FIXTURES / "books" / "tardis_binance-futures_book_snapshot_5_BTCUSDT.csv"
TICK, LOT = Decimal("0.1"), Decimal("0.001")


def test_fixture_frames() -> None:
    m = read_tardis_book_snapshot(CSV, tick=TICK, lot=LOT)
    b = m.book
    assert b.symbol == "BTCUSDT" and b.depth == 5 and len(b) == 4
    assert b.ts_ns.tolist() == [
        1723161600012000000,
        1723161600112000000,
        1723161600212000000,
        1723161600312000000,
    ]
    assert b.bid_px[0].tolist() == [616859, 616858, 616851, 616840, 616800]
    assert b.bid_qty[0].tolist() == [1258, 46, 3, 150, 7500]
    assert b.ask_px[3].tolist() == [616862, 616865, 616870, 616900, 616955]
    assert b.ask_qty[3].tolist() == [700, 1200, 10, 3000, 12345]
    # row 3 has an empty fifth ask level
    assert b.ask_px[2, 4] == 0 and b.ask_qty[2, 4] == 0
    assert len(m.trades) == 0 and m.gaps == ()


def test_local_time_option() -> None:
    m = read_tardis_book_snapshot(CSV, tick=TICK, lot=LOT, local_time=True)
    assert m.book.ts_ns[0] == 1723161600013457000


def test_market_reference_exact() -> None:
    ref = market_reference(read_book(CSV, "tardis", tick=TICK, lot=LOT)).to_pylist()
    assert ref[2]["bid_px"] == Decimal("61686.1") and ref[2]["ask_px"] == Decimal("61686.2")
    assert ref[2]["bid_qty"] == Decimal("0.25") and ref[2]["ask_qty"] == Decimal("0.7")


def test_off_grid_value_names_line_and_column() -> None:
    with pytest.raises(InputError, match=r":2: column bids\[0\]\.price: value not on the grid"):
        read_tardis_book_snapshot(CSV, tick=Decimal("0.5"), lot=LOT)
    with pytest.raises(InputError, match=r":2: column bids\[0\]\.amount"):
        read_tardis_book_snapshot(CSV, tick=TICK, lot=Decimal("0.01"))


def test_symbol_selection(tmp_path: Path) -> None:
    text = CSV.read_text().splitlines()
    other = text[1].replace("BTCUSDT", "ETHUSDT")
    two = tmp_path / "two.csv"
    two.write_text("\n".join([*text, other]) + "\n")
    with pytest.raises(InputError, match="several symbols"):
        read_tardis_book_snapshot(two, tick=TICK, lot=LOT)
    eth = read_tardis_book_snapshot(two, tick=TICK, lot=LOT, symbol="ETHUSDT")
    assert len(eth.book) == 1 and eth.book.symbol == "ETHUSDT"
    with pytest.raises(InputError, match="'SOLUSDT' not in the file"):
        read_tardis_book_snapshot(two, tick=TICK, lot=LOT, symbol="SOLUSDT")


def test_not_a_tardis_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="missing column"):
        read_tardis_book_snapshot(bad, tick=TICK, lot=LOT)
    with pytest.raises(InputError, match="unknown book format"):
        read_book(bad, "nasdaq")


def test_gzip_file(tmp_path: Path) -> None:
    import gzip

    gz = tmp_path / "snap.csv.gz"
    gz.write_bytes(gzip.compress(CSV.read_bytes()))
    plain = read_tardis_book_snapshot(CSV, tick=TICK, lot=LOT).book
    packed = read_tardis_book_snapshot(gz, tick=TICK, lot=LOT).book
    assert np.array_equal(plain.ask_qty, packed.ask_qty) and np.array_equal(
        plain.ts_ns, packed.ts_ns
    )
