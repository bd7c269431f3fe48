"""Book mode (`mmsla check --book`): the public book as the quoting subject, on real data.

LOBSTER: presence is recomputed in the test straight from the zip's orderbook CSV
(numpy, exact integer times), independent of the readers and of the engine.
Binance: the expected figure comes from the reader's rebuilt book (the reader has its
own tests against the feed's sequence numbers), summed here with numpy, so this checks
the book -> quotes adapter and the engine on a real crypto book. Tardis: a hand-made file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from mmsla.domain.book import BookFrames
from mmsla.io.binance import read_binance
from tests.conftest import REPO, shared_path

NS = 10**9


def mmsla(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmsla", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=os.environ,
        timeout=300,
    )


def write_agreement(path: Path, tz: str, window: str, terms: str) -> Path:
    path.write_text(
        f"id: book\nversion: 1\ntimezone: {tz}\nwindow: {window}\n"
        f"defaults:\n  two_sided: true\n{terms}"
    )
    return path


def valid_fraction(
    t_ns: npt.NDArray[np.int64], ok: npt.NDArray[np.bool_], lo: int, hi: int
) -> tuple[int, int]:
    """(valid ns, eligible ns) over [lo, hi): row k holds over [t_k, t_{k+1}), the last to hi."""
    ends = np.append(t_ns[1:], hi)
    dur = np.clip(ends, lo, hi) - np.clip(t_ns, lo, hi)
    return int(dur[ok].sum()), hi - lo


def lobster_rows() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(local ns after midnight per message, orderbook level-1 columns) from the raw zip."""
    path = shared_path("data", "lobster", "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip")
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        msg = next(n for n in names if "message" in n)
        book = next(n for n in names if "orderbook" in n)
        times = []
        for row in csv.reader(io.TextIOWrapper(z.open(msg))):
            whole, _, frac = row[0].partition(".")
            times.append(int(whole) * NS + int((frac + "000000000")[:9]))
        ob = np.loadtxt(z.open(book), delimiter=",", dtype=np.int64, usecols=(0, 1, 2, 3))
    return np.asarray(times, np.int64), ob


@pytest.mark.parametrize("min_size", [None, 100])
def test_lobster_presence_equals_raw_spread_fraction(tmp_path: Path, min_size: int | None) -> None:
    t_local, ob = lobster_rows()
    ask_px, ask_sz, bid_px, bid_sz = ob.T  # prices x 10000
    ok = (ask_px - bid_px <= 1300) & (bid_sz > 0) & (ask_sz > 0)
    if min_size is not None:
        ok &= (bid_sz >= min_size) & (ask_sz >= min_size)
    valid_ns, eligible_ns = valid_fraction(t_local, ok, 10 * 3600 * NS, 15 * 3600 * NS + 1800 * NS)
    terms = "  max_spread: {value: 0.13, unit: abs}\n  presence: {min_pct: 50}\n"
    if min_size is not None:
        terms += f"  min_size: {{qty: {min_size}}}\n"
    a = write_agreement(
        tmp_path / "a.yaml", "America/New_York", "{start: '10:00', end: '15:30'}", terms
    )
    zip_path = shared_path("data", "lobster", "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip")
    proc = mmsla(
        "check",
        "--agreement",
        a,
        "--book",
        zip_path,
        "--book-format",
        "lobster",
        "--format",
        "json",
    )
    assert proc.returncode in (0, 1), proc.stderr
    out = json.loads(proc.stdout)
    (day,) = out["days"]
    assert (day["date"], day["symbol"]) == ("2012-06-21", "AMZN")
    assert day["eligible_s"] == eligible_ns / NS == 19800.0
    assert day["valid_s"] == valid_ns / NS  # exact: integer ns on both sides
    presence = day["obligations"]["presence"]
    assert presence["value"] == pytest.approx(100 * valid_ns / eligible_ns, rel=1e-12)
    assert 20 < presence["value"] < 100  # the limit really bites (median spread is $0.13)
    assert presence["pass"] is (valid_ns * 2 >= eligible_ns)
    assert proc.returncode == (0 if presence["pass"] else 1)
    assert set(out) == {"agreement", "days", "months", "pass"}


def binance_depth_ok(book: BookFrames, levels: int, min_usd: int) -> npt.NDArray[np.bool_]:
    """Notional within 0.01% of the mid >= min_usd on both sides, over the top `levels`."""
    b, a = book.bid_px[:, :levels], book.ask_px[:, :levels]
    s = (book.bid_px[:, 0] + book.ask_px[:, 0])[:, None]  # 2 * mid, ticks of 0.01
    in_bid = (book.bid_qty[:, :levels] > 0) & (2 * b * 10000 >= s * 9999)
    in_ask = (book.ask_qty[:, :levels] > 0) & (2 * a * 10000 <= s * 10001)
    # px ticks of 0.01 x qty lots of 1e-8 = USD x 1e10
    bid_usd = np.where(in_bid, b * book.bid_qty[:, :levels], 0).sum(axis=1)
    ask_usd = np.where(in_ask, a * book.ask_qty[:, :levels], 0).sum(axis=1)
    ok: npt.NDArray[np.bool_] = (bid_usd >= min_usd * 10**10) & (ask_usd >= min_usd * 10**10)
    return ok


@pytest.mark.parametrize("levels", [1, 5, 20])
def test_binance_presence_equals_rebuilt_book(tmp_path: Path, levels: int) -> None:
    files = [
        shared_path("data", "binance", "spot_btcusdt_20240808.gz"),
        shared_path("data", "binance", "spot_btcusdt_20240809.gz"),
    ]
    book = read_binance(files, depth=20).book
    # 2024-08-09 00:00-00:05 UTC lies inside the capture (23:54:13 to 00:05:04)
    lo = int(datetime(2024, 8, 9, tzinfo=UTC).timestamp()) * NS
    hi = lo + 300 * NS
    spread_ok = book.ask_px[:, 0] - book.bid_px[:, 0] <= 1  # ticks of 0.01
    two = (book.bid_qty[:, 0] > 0) & (book.ask_qty[:, 0] > 0)
    ok = two & spread_ok & binance_depth_ok(book, levels, 100_000)
    valid_ns, eligible_ns = valid_fraction(book.ts_ns, ok, lo, hi)
    a = write_agreement(
        tmp_path / "a.yaml",
        "UTC",
        "{start: '00:00', end: '00:05'}",
        "  max_spread: {value: 0.01, unit: abs}\n"
        "  depth: {band_pct: 0.01, min_notional: 100000, reference: market_mid}\n"
        "  presence: {min_pct: 90}\n",
    )
    proc = mmsla(
        "check",
        "--agreement",
        a,
        "--book",
        *files,
        "--book-format",
        "binance",
        "--depth",
        str(levels),
        "--from",
        "2024-08-09",
        "--to",
        "2024-08-09",
        "--format",
        "json",
    )
    assert proc.returncode in (0, 1), proc.stderr
    (day,) = json.loads(proc.stdout)["days"]
    assert (day["symbol"], day["eligible_s"]) == ("BTCUSDT", 300.0)
    assert day["valid_s"] == valid_ns / NS
    assert 0 < valid_ns < eligible_ns  # the terms bite on this book


def test_tardis_hand_made(tmp_path: Path) -> None:
    t0 = int(datetime(2026, 11, 2, tzinfo=UTC).timestamp()) * 10**6  # microseconds
    rows = [
        (0, "100.0", "2", "101.0", "2"),  # spread 1.0: valid
        (240, "100.0", "2", "102.0", "2"),  # spread 2.0: too wide
        (360, "100.5", "1", "101.0", "1"),  # spread 0.5, size 1
    ]
    text = (
        "exchange,symbol,timestamp,local_timestamp,"
        "asks[0].price,asks[0].amount,bids[0].price,bids[0].amount\n"
    )
    for s, bid, bq, ask, aq in rows:
        ts = t0 + s * 10**6
        text += f"deribit,XYZ,{ts},{ts},{ask},{aq},{bid},{bq}\n"
    (tmp_path / "book.csv").write_text(text)
    window = "{start: '00:00', end: '00:10'}"
    cases = [
        ("  max_spread: {value: 1.0, unit: abs}\n  presence: {min_pct: 80}\n", 480.0, 0),
        (
            "  max_spread: {value: 1.0, unit: abs}\n  min_size: {qty: 1.5}\n"
            "  presence: {min_pct: 80}\n",
            240.0,
            1,
        ),
    ]
    for terms, valid_s, code in cases:
        a = write_agreement(tmp_path / "a.yaml", "UTC", window, terms)
        proc = mmsla(
            "check",
            "--agreement",
            a,
            "--book",
            tmp_path / "book.csv",
            "--book-format",
            "tardis",
            "--tick",
            "0.5",
            "--lot",
            "0.001",
            "--format",
            "json",
        )
        assert proc.returncode == code, proc.stderr
        (day,) = json.loads(proc.stdout)["days"]
        assert (day["symbol"], day["eligible_s"], day["valid_s"]) == ("XYZ", 600.0, valid_s)
        reasons = {r for b in day["breaches"] for r in b["reasons"]}
        assert "SPREAD_TOO_WIDE" in reasons


def test_book_bad_input(tmp_path: Path) -> None:
    a = write_agreement(
        tmp_path / "a.yaml", "UTC", "{start: '00:00', end: '00:10'}", "  presence: {min_pct: 80}\n"
    )
    (tmp_path / "b.csv").write_text("exchange,symbol,timestamp,local_timestamp\n")
    proc = mmsla("check", "--agreement", a, "--book", tmp_path / "b.csv")
    assert proc.returncode == 2 and "--book-format" in proc.stderr
    proc = mmsla("check", "--agreement", a, "--book", tmp_path / "b.csv", "--book-format", "tardis")
    assert proc.returncode == 2 and "tick" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = mmsla(
        "check",
        "--agreement",
        a,
        "--book",
        tmp_path / "b.csv",
        "--book-format",
        "tardis",
        "--tick",
        "-1",
        "--lot",
        "1",
    )
    assert proc.returncode == 2 and "positive" in proc.stderr
