"""Store-backed check, uptime and breaches equal the file-based `mmsla check` on the same files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from mmsla.agreement import load_agreement
from mmsla.history.store_check import check_store
from mmsla.history.uptime import uptime
from mmsla.io.tables import read_fills, read_market, read_quote_log, read_states
from mmsla.obligations import CheckResult, check
from mmsla.store import EventStore
from tests.conftest import FIXTURES, REPO

OBL = FIXTURES / "obligations"
EXAMPLES = sorted((REPO / "rules" / "examples").glob("*.yaml"))
XETRA = REPO / "rules" / "examples" / "xetra-designated-sponsor.yaml"  # ABC, with downtime
RTS8 = REPO / "rules" / "examples" / "rts8-continuous.yaml"  # ABC and XYZ


def mmsla(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmsla", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "MMSLA_DB": "/nonexistent/never.duckdb"},
        timeout=120,
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hist") / "h.duckdb"
    with EventStore.open(path) as s, s.transaction():
        for kind in ("quotes", "market", "states", "fills"):
            s.ingest(kind, OBL / f"{kind}.csv")
    return path


def file_check(agreement_path: Path, **kw: Any) -> CheckResult:
    return check(
        load_agreement(agreement_path),
        read_quote_log(OBL / "quotes.csv"),
        market=read_market(OBL / "market.csv"),
        states=read_states(OBL / "states.csv"),
        fills=read_fills(OBL / "fills.csv"),
        **kw,
    )


@pytest.mark.parametrize("agreement_path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
@pytest.mark.parametrize(("chunk_days", "workers"), [(1, 1), (1, 2), (10, 1), (10, 2)])
def test_check_store_equals_file_check(
    db: Path, agreement_path: Path, chunk_days: int, workers: int
) -> None:
    want = file_check(agreement_path).to_json()
    with EventStore.open(db, read_only=True) as store:
        got = check_store(
            store, load_agreement(agreement_path), chunk_days=chunk_days, workers=workers
        )
    assert want["days"], "the fixture must give evaluated days"
    assert got.to_json() == want


def test_symbol_and_day_filters(db: Path) -> None:
    want = file_check(RTS8, first_day=date(2026, 11, 24), last_day=date(2026, 11, 24))
    with EventStore.open(db, read_only=True) as store:
        got = check_store(
            store,
            load_agreement(RTS8),
            symbol="XYZ",
            first_day=date(2026, 11, 24),
            last_day=date(2026, 11, 24),
        )
    assert [d["symbol"] for d in got.to_json()["days"]] == ["XYZ"]
    assert got.to_json()["days"] == [d for d in want.to_json()["days"] if d["symbol"] == "XYZ"]
    assert got.to_json()["months"] == [m for m in want.to_json()["months"] if m["symbol"] == "XYZ"]


@pytest.mark.parametrize("agreement_path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_uptime_day_rows_equal_check_days(db: Path, agreement_path: Path) -> None:
    want = file_check(agreement_path).to_json()
    with EventStore.open(db, read_only=True) as store:
        got = uptime(store, load_agreement(agreement_path), by="day").to_json()
    assert got["months"] == want["months"]
    assert len(got["rows"]) == len(want["days"])
    for row, day in zip(got["rows"], want["days"], strict=True):
        presence = day["obligations"].get("presence", {}).get("value")
        if day["samples"] is None:
            presence = None if day["eligible_s"] == 0 else 100 * day["valid_s"] / day["eligible_s"]
            if "presence" in day["obligations"]:
                assert day["obligations"]["presence"]["value"] == row["presence_pct"]
        assert (row["bucket"], row["symbol"], row["eligible_s"], row["valid_s"]) == (
            day["date"],
            day["symbol"],
            day["eligible_s"],
            day["valid_s"],
        )
        assert row["presence_pct"] == pytest.approx(presence)
        assert row["breaches"] == len(day["breaches"])
        if "downtime" in day["obligations"]:
            assert row["longest_s"] == day["obligations"]["downtime"]["longest_s"]
        verdicts = [o["pass"] for o in day["obligations"].values()]
        assert row["pass"] is all(verdicts)


def test_hours_add_up_to_days_and_months_pool_days(db: Path) -> None:
    agreement = load_agreement(XETRA)
    with EventStore.open(db, read_only=True) as store:
        days = uptime(store, agreement, by="day").rows
        hours = uptime(store, agreement, by="hour").rows
        months = uptime(store, agreement, by="month")
    checked = file_check(XETRA)
    for d, result in zip(days, checked.days, strict=True):
        mine = [h for h in hours if h.symbol == d.symbol and h.bucket.startswith(d.bucket)]
        assert sum(h.eligible_ns for h in mine) == d.eligible_ns
        assert sum(h.valid_ns for h in mine) == d.valid_ns
        assert sum(h.breaches for h in mine) == d.breaches
        assert max(h.longest_ns for h in mine) <= d.longest_ns
        assert result.downtime is not None
        assert sum(h.passed for h in mine) == result.downtime.live_hours
        assert len(mine) == result.downtime.hours
    assert [(m.bucket, m.symbol, m.passed) for m in months.rows] == [
        (m.month, m.symbol, m.passed)
        for m in sorted(checked.months, key=lambda m: (m.symbol, m.month))
    ]
    for m in months.rows:
        assert m.eligible_ns == sum(d.eligible_ns for d in days if d.symbol == m.symbol)


def test_breaches_equal_check_and_filter(db: Path) -> None:
    checked = file_check(XETRA).to_json()
    every = [
        {"symbol": d["symbol"], "date": d["date"], **b}
        for d in checked["days"]
        for b in d["breaches"]
    ]
    every.sort(key=lambda b: (b["symbol"], b["start"]))
    proc = mmsla("breaches", "--db", db, "--agreement", XETRA, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["breaches"] == every
    proc = mmsla(
        "breaches",
        "--db",
        db,
        "--agreement",
        XETRA,
        "--format",
        "json",
        "--reason",
        "one_sided",
        "--reason",
        "NO_QUOTE",
        "--min-duration",
        "30",
    )
    got = json.loads(proc.stdout)["breaches"]
    want = [
        b for b in every if {"ONE_SIDED", "NO_QUOTE"} & set(b["reasons"]) and b["duration_s"] >= 30
    ]
    assert want and len(want) < len(every)
    assert got == want


def test_cli_check_db_equals_file_mode(db: Path) -> None:
    files = mmsla(
        "check",
        "--agreement",
        XETRA,
        "--quotes",
        OBL / "quotes.csv",
        "--market",
        OBL / "market.csv",
        "--states",
        OBL / "states.csv",
        "--fills",
        OBL / "fills.csv",
        "--format",
        "json",
    )
    store = mmsla("check", "--agreement", XETRA, "--db", db, "--format", "json")
    assert files.returncode == store.returncode == 1  # the fixture fails some obligation
    assert json.loads(store.stdout) == json.loads(files.stdout)


def test_cli_uptime_json_shape_and_csv(db: Path) -> None:
    proc = mmsla("uptime", "--db", db, "--agreement", XETRA, "--by", "hour", "--format", "json")
    assert proc.returncode == 1, proc.stderr  # some hour fails
    out = json.loads(proc.stdout)
    assert set(out) == {"rows", "months"}
    assert set(out["rows"][0]) == {
        "bucket",
        "symbol",
        "eligible_s",
        "valid_s",
        "presence_pct",
        "breaches",
        "longest_s",
        "pass",
    }
    assert out["rows"][0]["bucket"] == "2026-11-23T09:00"
    proc = mmsla("uptime", "--db", db, "--agreement", RTS8, "--by", "month", "--format", "csv")
    lines = proc.stdout.splitlines()
    assert lines[0] == "bucket,symbol,eligible_s,valid_s,presence_pct,breaches,longest_s,pass"
    assert [line.split(",")[:2] for line in lines[1:]] == [["2026-11", "ABC"], ["2026-11", "XYZ"]]


def test_bad_input_is_one_line_exit_2(db: Path, tmp_path: Path) -> None:
    proc = mmsla("uptime", "--db", db, "--agreement", XETRA, "--symbol", "NOPE")
    assert proc.returncode == 2
    assert "unknown symbol 'NOPE'" in proc.stderr and "Traceback" not in proc.stderr
    empty = tmp_path / "empty.duckdb"
    EventStore.open(empty).close()
    for cmd in ("uptime", "breaches", "check"):
        proc = mmsla(cmd, "--db", empty, "--agreement", XETRA)
        assert proc.returncode == 2, cmd
        assert "the store has no quote rows" in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    proc = mmsla("check", "--db", tmp_path / "missing.duckdb", "--agreement", XETRA)
    assert proc.returncode == 2 and "no such database" in proc.stderr
    proc = mmsla("breaches", "--db", db, "--agreement", XETRA, "--reason", "LATE")
    assert proc.returncode == 2 and "unknown reason 'LATE'" in proc.stderr
    proc = mmsla("check", "--db", db, "--quotes", OBL / "quotes.csv", "--agreement", XETRA)
    assert proc.returncode == 2 and "exactly one of" in proc.stderr
    quotes_only = tmp_path / "quotes_only.duckdb"
    with EventStore.open(quotes_only) as s:
        s.ingest("quotes", OBL / "quotes.csv")
    token = REPO / "rules" / "examples" / "token-project-kpi.yaml"  # needs the market mid
    proc = mmsla("check", "--db", quotes_only, "--agreement", token)
    assert proc.returncode == 2 and "the store has none" in proc.stderr, proc.stderr
    proc = mmsla(
        "uptime", "--db", db, "--agreement", XETRA, "--from", "2026-11-24", "--to", "2026-11-23"
    )
    assert proc.returncode == 2 and "--to is before --from" in proc.stderr
