"""LOBSTER reader: real AMZN samples (figures recomputed with plain numpy) and hand-made files."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from mmsla.errors import InputError
from mmsla.io.books import market_reference
from mmsla.io.lobster import read_lobster, read_lobster_halts
from tests.conftest import shared_path

ZIP5 = ("data", "lobster", "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip")
ZIP1 = ("data", "lobster", "LOBSTER_SampleFile_AMZN_2012-06-21_1.zip")
MSG5 = "AMZN_2012-06-21_34200000_57600000_message_5.csv"
OB5 = "AMZN_2012-06-21_34200000_57600000_orderbook_5.csv"


def _raw(zip_path: Path, member: str) -> np.ndarray:
    with zipfile.ZipFile(zip_path) as zf:
        text = zf.read(member).decode()
    return np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.float64)


@pytest.fixture(scope="module")
def amzn5() -> tuple[object, np.ndarray, np.ndarray]:
    path = shared_path(*ZIP5)
    return read_lobster(path), _raw(path, MSG5), _raw(path, OB5)


def test_amzn_level5_matches_independent_figures(amzn5: tuple) -> None:
    market, msg, ob = amzn5
    book = market.book
    assert len(book) == 155_935 == msg.shape[0]
    assert book.depth == 5 and book.symbol == "AMZN"
    # independent: raw orderbook columns ask_px_1 = col 0, bid_px_1 = col 2, prices x 10000
    spread_usd = (ob[:, 0] - ob[:, 2]) / 10_000
    mid_usd = (ob[:, 0] + ob[:, 2]) / 20_000
    assert not np.any(spread_usd <= 0)  # no crossed (or locked) rows
    assert np.median(spread_usd) == pytest.approx(0.13)
    assert mid_usd.mean() == pytest.approx(222.82, abs=0.005)
    # the reader's frames give the same figures, exactly in ticks
    tick = float(book.tick)
    ours_spread = (book.ask_px[:, 0] - book.bid_px[:, 0]) * tick
    np.testing.assert_allclose(ours_spread, spread_usd, rtol=0, atol=1e-9)
    assert not np.any(book.ask_px[:, 0] <= book.bid_px[:, 0])


def test_amzn_trades_and_aggressor(amzn5: tuple) -> None:
    market, msg, _ = amzn5
    trades = market.trades
    execs = msg[(msg[:, 1] == 4) | (msg[:, 1] == 5)]
    assert len(trades) == execs.shape[0] == 8_974 + 2_445
    # the message direction is the resting order's side; the aggressor is the other side
    assert np.array_equal(trades.side, -execs[:, 5].astype(np.int8))
    assert np.array_equal(trades.qty, execs[:, 3].astype(np.int64))
    # hidden executions print at half cents, so the common tick is 0.0001
    assert trades.tick == Decimal("0.0001")
    assert np.array_equal(trades.px, execs[:, 4].astype(np.int64))


def test_amzn_timestamps_are_utc_ns(amzn5: tuple) -> None:
    market, msg, _ = amzn5
    ts = market.book.ts_ns
    # 2012-06-21 is EDT (UTC-4): 34200.017459617 s after local midnight = 13:30:00.017459617 UTC
    assert ts[0] == 1_340_236_800 * 10**9 + 4 * 3600 * 10**9 + 34_200_017_459_617
    assert np.all(np.diff(ts) >= 0)
    assert ts[-1] - ts[0] == pytest.approx((msg[-1, 0] - msg[0, 0]) * 1e9, abs=1)


def test_level1_is_level5_top(amzn5: tuple) -> None:
    """The level-1 file holds the messages that touch the top level: a subsequence of level 5's."""
    market5, msg5, _ = amzn5
    path1 = shared_path(*ZIP1)
    market1 = read_lobster(path1)
    msg1 = _raw(path1, MSG5.replace("_5.csv", "_1.csv"))
    b1, b5 = market1.book, market5.book
    assert b1.depth == 1 and len(b1) == msg1.shape[0] < len(b5)
    # walk both message lists in order, pairing identical rows
    rows5 = [tuple(r) for r in msg5.tolist()]
    idx = np.empty(msg1.shape[0], dtype=np.int64)
    j = 0
    for i, row in enumerate(msg1.tolist()):
        while rows5[j] != tuple(row):
            j += 1
        idx[i] = j
        j += 1
    assert b1.tick == b5.tick
    for name in ("bid_px", "ask_px", "bid_qty", "ask_qty"):
        assert np.array_equal(getattr(b1, name)[:, 0], getattr(b5, name)[idx, 0]), name
    assert np.array_equal(b1.ts_ns, b5.ts_ns[idx])


def test_market_reference_is_exact_decimal(amzn5: tuple) -> None:
    market, _, ob = amzn5
    ref = market_reference(market)
    assert ref.num_rows == len(market.book)
    row = ref.slice(0, 1).to_pylist()[0]
    assert row["bid_px"] == Decimal(int(ob[0, 2])) / 10_000
    assert row["ask_px"] == Decimal(int(ob[0, 0])) / 10_000
    assert row["ask_qty"] == Decimal(int(ob[0, 1]))


def _write_pair(folder: Path, messages: list[str], books: list[str]) -> Path:
    msg = folder / "XYZ_2024-03-11_34200000_57600000_message_2.csv"
    msg.write_text("\n".join(messages) + "\n")
    (folder / "XYZ_2024-03-11_34200000_57600000_orderbook_2.csv").write_text(
        "\n".join(books) + "\n"
    )
    return msg


def test_message_csv_path_halts_and_empty_levels(tmp_path: Path) -> None:
    msg = _write_pair(
        tmp_path,
        [
            "34200.5,1,11,100,1000100,1",
            "34201.25,4,11,40,1000100,1",
            "34300,7,0,0,-1,-1",
            "34400,7,0,0,1,-1",
        ],
        [
            "9999999999,0,1000100,100,9999999999,0,-9999999999,0",
            "9999999999,0,1000100,60,9999999999,0,-9999999999,0",
            "9999999999,0,1000100,60,9999999999,0,-9999999999,0",
            "1000500,10,1000100,60,9999999999,0,-9999999999,0",
        ],
    )
    market = read_lobster(msg)
    b = market.book
    assert b.symbol == "XYZ" and b.tick == Decimal("0.01") and b.depth == 2
    assert len(b) == 4  # halt rows stay in the frames
    assert b.bid_px[0].tolist() == [10001, 0] and b.bid_qty[0].tolist() == [100, 0]
    assert b.ask_px[0].tolist() == [0, 0] and b.ask_px[3].tolist() == [10005, 0]
    # 2024-03-11 is after the US DST switch (EDT, UTC-4)
    midnight_utc_ns = 1_710_115_200 * 10**9 + 4 * 3600 * 10**9
    assert b.ts_ns[1] == midnight_utc_ns + 34_201_250_000_000
    assert market.trades.side.tolist() == [-1]  # resting buy hit by a seller
    assert market.trades.px.tolist() == [10001]
    halts = read_lobster_halts(msg)
    assert [(h.kind, h.ts_ns - midnight_utc_ns) for h in halts] == [
        ("halt", 34_300 * 10**9),
        ("resume", 34_400 * 10**9),
    ]
    other = read_lobster(msg, symbol="ABC", trading_date=date(2024, 1, 2))
    assert other.book.symbol == "ABC"
    assert other.book.ts_ns[0] == 1_704_153_600 * 10**9 + 5 * 3600 * 10**9 + 34_200_500_000_000


def test_bad_inputs_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_lobster(tmp_path / "missing.zip")
    msg = _write_pair(tmp_path, ["34200.5,1,11,100,1000100,1"], ["1,2,3"])
    with pytest.raises(InputError, match="expected 8 columns"):
        read_lobster(msg)
    odd = tmp_path / "notes.csv"
    odd.write_text("x\n")
    with pytest.raises(InputError, match="expected a zip"):
        read_lobster(odd)
