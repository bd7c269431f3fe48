"""Binance raw-feed reader: the real BTCUSDT capture and hand-made feeds for the sequence rules."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mmsla.domain.book import SequenceGap
from mmsla.errors import InputError
from mmsla.io.binance import read_binance
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def btc() -> Any:
    return read_binance(
        [
            shared_path("data", "binance", "spot_btcusdt_20240808.gz"),
            shared_path("data", "binance", "spot_btcusdt_20240809.gz"),
        ]
    )


def test_real_feed_rebuilds_without_gaps(btc: Any) -> None:
    book = btc.book
    assert btc.gaps == ()
    assert book.depth == 20 and book.tick == Decimal("0.01")
    # 6495 depth diffs in the files, of which 6493 have u > the snapshot's lastUpdateId
    # (50093239218; counted with zcat | grep): each of those yields one frame
    assert len(book) == 6_493
    spread = (book.ask_px[:, 0] - book.bid_px[:, 0]) * float(book.tick)
    assert np.median(spread) == pytest.approx(0.01)
    assert not np.any(spread <= 0)
    mid = (book.ask_px[:, 0] + book.bid_px[:, 0]) * float(book.tick) / 2
    # published 61,700.05 is the mean over frames after the first one; ours includes the
    # frame of the buffered diff replayed at the snapshot
    assert mid[1:].mean() == pytest.approx(61_700.05, abs=0.005)
    assert mid.mean() == pytest.approx(61_700.05, abs=0.05)
    # levels are strictly ordered, best first, and full (1000-level snapshot)
    assert np.all(np.diff(book.bid_px, axis=1) < 0)
    assert np.all(np.diff(book.ask_px, axis=1) > 0)
    assert np.all(np.diff(book.ts_ns) >= 0)


def test_real_feed_trades(btc: Any) -> None:
    trades = btc.trades
    assert len(trades) == 19_904
    assert set(np.unique(trades.side).tolist()) == {-1, 1}
    assert np.all(trades.qty > 0)
    # trades print inside the rebuilt book's range of the day
    lo = btc.book.bid_px[:, 0].min() - 1000
    hi = btc.book.ask_px[:, 0].max() + 1000
    assert np.all((trades.px > lo) & (trades.px < hi))


# --- hand-made feeds ---------------------------------------------------------


def _snap(ts: int, last: int, bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> str:
    return f"{ts} " + json.dumps({"lastUpdateId": last, "bids": bids, "asks": asks})


def _diff(
    ts: int, first: int, last: int, b: list[tuple[str, str]], a: list[tuple[str, str]]
) -> str:
    data = {
        "e": "depthUpdate",
        "E": ts // 10**6,
        "s": "BTCUSDT",
        "U": first,
        "u": last,
        "b": b,
        "a": a,
    }
    return f"{ts} " + json.dumps({"stream": "btcusdt@depth@100ms", "data": data})


def _trade(ts: int, px: str, qty: str, maker_buyer: bool) -> str:
    data = {"e": "trade", "s": "BTCUSDT", "t": 1, "p": px, "q": qty, "m": maker_buyer}
    return f"{ts} " + json.dumps({"stream": "btcusdt@trade", "data": data})


def _write(path: Path, lines: list[str]) -> Path:
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


SNAP = _snap(
    2_000, 100, [("100.00", "1.0"), ("99.99", "2.0")], [("100.02", "1.5"), ("100.05", "3")]
)


def test_buffered_diffs_drop_and_straddle(tmp_path: Path) -> None:
    feed = _write(
        tmp_path / "a.gz",
        [
            _diff(1_000, 90, 95, [("100.00", "9")], []),  # before the snapshot, u <= 100: dropped
            _diff(1_500, 96, 102, [("100.01", "0.5")], []),  # straddles 101: first applied
            SNAP,
            _diff(3_000, 103, 104, [], [("100.02", "0")]),  # removes the best ask
            _trade(3_500, "100.05", "0.25", maker_buyer=True),
        ],
    )
    m = read_binance([feed], depth=3)
    b = m.book
    assert m.gaps == ()
    assert b.ts_ns.tolist() == [2_000, 3_000]  # replayed diff takes the snapshot's time
    assert b.bid_px[0].tolist() == [10001, 10000, 9999]
    assert b.bid_qty[0].tolist() == [50_000_000, 100_000_000, 200_000_000]
    assert b.ask_px[1].tolist() == [10005, 0, 0] and b.ask_qty[1].tolist() == [300_000_000, 0, 0]
    assert m.trades.side.tolist() == [-1] and m.trades.px.tolist() == [10005]
    assert m.trades.qty.tolist() == [25_000_000]


def test_gap_is_reported_and_not_bridged(tmp_path: Path) -> None:
    feed = _write(
        tmp_path / "a.gz",
        [
            SNAP,
            _diff(3_000, 101, 105, [("100.01", "1")], []),
            _diff(4_000, 107, 110, [("100.01", "2")], []),  # 106 missing
            _diff(5_000, 111, 112, [("100.01", "3")], []),  # would chain after the gap: not applied
        ],
    )
    m = read_binance([feed], depth=2)
    assert m.gaps == (SequenceGap(ts_ns=4_000, expected=106, got=107),)
    assert m.book.ts_ns.tolist() == [3_000]  # nothing after the gap
    assert m.book.bid_qty[0].tolist() == [100_000_000, 100_000_000]


def test_new_snapshot_resynchronises_after_gap(tmp_path: Path) -> None:
    first = _write(
        tmp_path / "a.gz",
        [SNAP, _diff(3_000, 101, 105, [], []), _diff(4_000, 200, 210, [], [])],
    )
    second = _write(
        tmp_path / "b.gz",
        [
            _diff(5_000, 211, 215, [("50.00", "1")], []),  # buffered, then dropped (u <= 220)
            _diff(6_000, 216, 222, [("100.03", "1")], []),  # straddles 221
            _snap(7_000, 220, [("100.00", "1")], [("100.04", "1")]),
            _diff(8_000, 223, 223, [], [("100.04", "2")]),
        ],
    )
    m = read_binance([first, second], depth=1)
    assert m.gaps == (SequenceGap(ts_ns=4_000, expected=106, got=200),)
    assert m.book.ts_ns.tolist() == [3_000, 7_000, 8_000]
    assert m.book.bid_px[:, 0].tolist() == [10000, 10003, 10003]
    assert m.book.ask_qty[:, 0].tolist() == [150_000_000, 100_000_000, 200_000_000]


def test_first_diff_must_straddle(tmp_path: Path) -> None:
    feed = _write(tmp_path / "a.gz", [SNAP, _diff(3_000, 103, 105, [], [])])
    m = read_binance([feed])
    assert m.gaps == (SequenceGap(ts_ns=3_000, expected=101, got=103),)
    assert len(m.book) == 0 and m.book.depth == 20


def test_bad_line_names_file_and_line(tmp_path: Path) -> None:
    feed = _write(tmp_path / "a.gz", [SNAP, "3000 {not json"])
    with pytest.raises(InputError, match=r"a\.gz:2: bad feed line"):
        read_binance([feed])
    off_grid = _write(tmp_path / "b.gz", [SNAP, _diff(3_000, 101, 101, [("100.001", "1")], [])])
    with pytest.raises(InputError, match="not a multiple"):
        read_binance([off_grid])
