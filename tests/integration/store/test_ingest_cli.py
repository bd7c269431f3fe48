"""`mmsla ingest` end to end: a real process, real DuckDB files, real public book data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest

from mmsla.io.binance import read_binance
from mmsla.io.lobster import read_lobster
from tests.conftest import FIXTURES, REPO, shared_path

QUOTES = """ts,symbol,bid_px,bid_qty,ask_px,ask_qty,event
2026-11-24T09:00:00+01:00,ABC,99.50,500,100.50,500,quote
2026-11-24T09:00:01+01:00,ABC,99.55,400,100.45,450,replace
2026-11-24T09:00:02+01:00,ABC,99.55,400,100.45,450,fill
"""
FILLS = "ts,symbol,side,px,qty\n2026-11-24T09:00:02+01:00,ABC,buy,100.45,50\n"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "mmsla", "ingest", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=full_env,
        timeout=120,
    )


def count(db: Path, table: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    finally:
        con.close()


def test_ingest_reingest_and_failure(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    q = tmp_path / "q.csv"
    q.write_text(QUOTES)
    f = tmp_path / "f.csv"
    f.write_text(FILLS)
    first = run("--db", str(db), "--quotes", str(q), "--fills", str(f), "--source", "t")
    assert first.returncode == 0, first.stderr
    assert "quotes" in first.stdout and "3 rows" in first.stdout
    assert count(db, "quotes") == 3 and count(db, "fills") == 1

    again = run("--db", str(db), "--quotes", str(q))
    assert again.returncode == 0
    assert "already ingested" in again.stdout
    assert count(db, "quotes") == 3 and count(db, "ingested_files") == 2

    # one bad row in the middle of the second file: the whole command stores nothing
    q2 = tmp_path / "q2.csv"
    q2.write_text(QUOTES.replace("99.55,400,100.45,450,replace", "99.55,400,1OO.45,450,replace"))
    q3 = tmp_path / "q3.csv"
    q3.write_text(QUOTES.replace("ABC", "XYZ"))
    bad = run("--db", str(db), "--quotes", str(q3), "--quotes", str(q2))
    assert bad.returncode == 2
    assert bad.stderr.strip() == f"{q2}:3: column ask_px: not a decimal number: '1OO.45'"
    assert "Traceback" not in bad.stderr
    assert count(db, "quotes") == 3 and count(db, "ingested_files") == 2


def test_env_db_and_directory(tmp_path: Path) -> None:
    tree = tmp_path / "quotes" / "date=2026-11-24"
    for sym in ("ABC", "XYZ"):
        part = tree / f"symbol={sym}"
        part.mkdir(parents=True)
        (part / "part-0.csv").write_text(QUOTES.replace("ABC", sym))
    db = tmp_path / "env.duckdb"
    res = run("--quotes", str(tmp_path / "quotes"), env={"MMSLA_DB": str(db)})
    assert res.returncode == 0, res.stderr
    assert count(db, "quotes") == 6 and count(db, "ingested_files") == 2


def test_usage_errors(tmp_path: Path) -> None:
    db = str(tmp_path / "u.duckdb")
    assert run("--db", db).returncode == 2
    missing = run("--db", db, "--quotes", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "file not found" in missing.stderr
    no_fmt = run("--db", db, "--book", str(FIXTURES / "books" / "x.csv"))
    assert no_fmt.returncode == 2


def test_lobster_book_ingest(tmp_path: Path) -> None:
    zip5 = shared_path("data", "lobster", "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip")
    db = tmp_path / "b.duckdb"
    res = run("--db", str(db), "--book", str(zip5), "--book-format", "lobster")
    assert res.returncode == 0, res.stderr
    con = duckdb.connect(str(db), read_only=True)
    n, crossed, med, mean_mid = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE ask_px <= bid_px), "
        "median(ask_px - bid_px), avg((ask_px + bid_px) / 2) FROM market WHERE symbol = 'AMZN'"
    ).fetchall()[0]
    levels = con.execute("SELECT count(DISTINCT level) FROM book_levels").fetchall()[0][0]
    kind = con.execute("SELECT kind, rows FROM ingested_files").fetchall()
    con.close()
    assert n == 155_935 and crossed == 0
    assert float(med) == pytest.approx(0.13)
    assert float(mean_mid) == pytest.approx(222.82, abs=0.005)
    assert levels == 5 and kind == [("book:lobster", 155_935)]
    # the stored best bid equals the reader's, exactly
    book = read_lobster(zip5).book
    con = duckdb.connect(str(db), read_only=True)
    first = con.execute("SELECT bid_px FROM market ORDER BY ts, line LIMIT 1").fetchall()[0][0]
    con.close()
    assert first == book.tick * int(book.bid_px[0, 0])
    again = run("--db", str(db), "--book", str(zip5), "--book-format", "lobster")
    assert "already ingested" in again.stdout and count(db, "market") == 155_935


def test_binance_book_ingest(tmp_path: Path) -> None:
    files = [
        shared_path("data", "binance", "spot_btcusdt_20240808.gz"),
        shared_path("data", "binance", "spot_btcusdt_20240809.gz"),
    ]
    db = tmp_path / "b.duckdb"
    args = ["--db", str(db), "--book-format", "binance", "--depth", "5"]
    for f in files:
        args += ["--book", str(f)]
    res = run(*args)
    assert res.returncode == 0, res.stderr
    assert "sequence gap" not in res.stderr
    market = read_binance(files, depth=5)
    con = duckdb.connect(str(db), read_only=True)
    n, med = con.execute("SELECT count(*), median(ask_px - bid_px) FROM market").fetchall()[0]
    asks = con.execute("SELECT ask_px FROM market ORDER BY ts, line").fetchall()
    con.close()
    assert n == len(market.book) == 6_493 and float(med) == pytest.approx(0.01)
    want = market.book.ask_px[:, 0]
    assert np.array_equal(np.array([int(a[0] * 100) for a in asks]), want)
