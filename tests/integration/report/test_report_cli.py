"""`mmsla report` end to end: real DuckDB file, real PDF, text extracted with pypdf.

The figures in the PDF are compared with `mmsla check --format json` on the same
files; the evidence hashes are recomputed from the files and from that JSON.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import REPO

DATA = REPO / "fixtures" / "obligations"
AGREEMENT = REPO / "rules" / "examples" / "xetra-designated-sponsor.yaml"
DAY = "2026-11-23"


def mmsla(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmsla", *args], capture_output=True, text=True, cwd=REPO
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "store.duckdb"
    files = [
        a
        for k in ("quotes", "market", "states", "fills")
        for a in (f"--{k}", str(DATA / f"{k}.csv"))
    ]
    r = mmsla("ingest", "--db", str(path), *files)
    assert r.returncode == 0, r.stderr
    return path


def check_json(*extra: str) -> dict:  # type: ignore[type-arg]
    """`mmsla check --format json` on the fixture day (a fresh dict each call)."""
    return json.loads(_check_stdout(extra))  # type: ignore[no-any-return]


@functools.cache
def _check_stdout(extra: tuple[str, ...]) -> str:
    r = mmsla(
        "check",
        "--agreement",
        str(AGREEMENT),
        "--quotes",
        str(DATA / "quotes.csv"),
        "--market",
        str(DATA / "market.csv"),
        "--fills",
        str(DATA / "fills.csv"),
        "--from",
        DAY,
        "--to",
        DAY,
        "--format",
        "json",
        *extra,
    )
    assert r.returncode in (0, 1), r.stderr
    return r.stdout


def breach_summary(breaches: list[dict]) -> dict:  # type: ignore[type-arg]
    """The documented summary of a check JSON breach list (exact: durations in whole ns)."""

    def ns(b: dict) -> int:  # type: ignore[type-arg]
        return int(Decimal(repr(b["duration_s"])) * 10**9)

    out: dict = {  # type: ignore[type-arg]
        "count": len(breaches),
        "total_s": sum(ns(b) for b in breaches) / 10**9,
        "longest_s": max((ns(b) for b in breaches), default=0) / 10**9,
        "by_reasons": {},
    }
    for key in sorted({"+".join(b["reasons"]) for b in breaches}):
        group = [ns(b) for b in breaches if "+".join(b["reasons"]) == key]
        out["by_reasons"][key] = {
            "count": len(group),
            "total_s": sum(group) / 10**9,
            "longest_s": max(group) / 10**9,
        }
    return out


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


@pytest.fixture(scope="module")
def daily_pdf(db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pdf") / "daily.pdf"
    r = mmsla(
        "report",
        "daily",
        "--db",
        str(db),
        "--agreement",
        str(AGREEMENT),
        "--date",
        DAY,
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    assert out.read_bytes().startswith(b"%PDF")
    return out


def test_daily_pdf_shows_the_check_verdicts_and_figures(daily_pdf: Path) -> None:
    ref = check_json("--states", str(DATA / "states.csv"))
    (day,) = ref["days"]
    text = pdf_text(daily_pdf)
    assert "xetra-ds-abc v3" in text and "Example Exchange" in text and "Europe/Berlin" in text
    presence = 100 * day["valid_s"] / day["eligible_s"]
    assert f"{presence:.2f}%" in text
    su = day["obligations"]["side_uptime"]
    assert f"side uptime {su['value']:.2f}%" in text
    dt = day["obligations"]["downtime"]
    assert f"{dt['live_hours']}/" in text
    verdict = "PASS" if ref["pass"] else "FAIL"
    assert f"Overall verdict for {DAY}: {verdict}" in text
    assert f"Breaches: {len(day['breaches'])} episodes" in text


def test_daily_pdf_evidence_hashes(daily_pdf: Path) -> None:
    flat = re.sub(r"\s+", "", pdf_text(daily_pdf))
    for kind in ("quotes", "market", "states", "fills"):
        sha = hashlib.sha256((DATA / f"{kind}.csv").read_bytes()).hexdigest()
        assert sha in flat
        # the kind's manifest: sha256 of its `sha256sum` line(s)
        line = f"{sha}  {(DATA / f'{kind}.csv').resolve()}\n"
        assert hashlib.sha256(line.encode()).hexdigest() in flat
    # recompute the data hash from `mmsla check` output (with and without the states file)
    with_states = check_json("--states", str(DATA / "states.csv"))
    plain = check_json()
    for day in with_states["days"]:
        day["breach_summary"] = breach_summary(day.pop("breaches"))
    figures = {
        "agreement": with_states["agreement"],
        "date": DAY,
        "check": with_states,
        "without_states": {
            d["symbol"]: {
                "eligible_s": d["eligible_s"],
                "valid_s": d["valid_s"],
                "presence_pct": 100 * d["valid_s"] / d["eligible_s"],
                "breaches": len(d["breaches"]),
                "pass": all(o["pass"] for o in d["obligations"].values()),
            }
            for d in plain["days"]
        },
    }
    canonical = json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(canonical.encode()).hexdigest() in flat
    assert f"--from{DAY}--to{DAY}--formatjson" in flat


def test_html_mode_pnl_and_monthly(db: Path, tmp_path: Path) -> None:
    html = tmp_path / "pnl.html"
    r = mmsla(
        "report",
        "pnl",
        "--db",
        str(db),
        "--agreement",
        str(AGREEMENT),
        "--date",
        DAY,
        "--out",
        str(html),
        "--html",
    )
    assert r.returncode == 0, r.stderr
    text = html.read_text()
    assert text.count("data:image/svg+xml;base64,") == 2 and "total PnL" in text
    monthly = tmp_path / "m.pdf"
    r = mmsla(
        "report",
        "monthly",
        "--db",
        str(db),
        "--agreement",
        str(AGREEMENT),
        "--month",
        "2026-11",
        "--out",
        str(monthly),
    )
    assert r.returncode == 0, r.stderr
    ref = mmsla(
        "check",
        "--agreement",
        str(AGREEMENT),
        "--quotes",
        str(DATA / "quotes.csv"),
        "--market",
        str(DATA / "market.csv"),
        "--states",
        str(DATA / "states.csv"),
        "--fills",
        str(DATA / "fills.csv"),
        "--format",
        "json",
    )
    checked = json.loads(ref.stdout)
    (month,) = checked["months"]
    text = " ".join(pdf_text(monthly).split())  # table cells wrap
    assert f"{month['value']:.2f}%" in text
    # mean_of_daily at 90%: the 4 trading days left in November (25, 26, 27, 30) would need
    # x with (sum of daily presence + 4 x) / 6 = 90
    done = [100 * d["valid_s"] / d["eligible_s"] for d in checked["days"]]
    needed = (90 * (len(done) + 4) - sum(done)) / 4
    assert needed > 100
    assert f"out of reach: would need {needed:.2f}% on each of 4 remaining days" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-11-30"], "no quotes on 2026-11-30"),
        (["--date", "2026-11-22"], "not a trading day"),
        (["--date", "yesterday"], "not a date"),
    ],
)
def test_bad_date_is_one_line_exit_2_and_no_file(
    db: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "x.pdf"
    r = mmsla(
        "report", "daily", "--db", str(db), "--agreement", str(AGREEMENT), "--out", str(out), *args
    )
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and message in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_run_writes_both_reports(db: Path, tmp_path: Path) -> None:
    r = mmsla(
        "report",
        "run",
        "--db",
        str(db),
        "--agreement",
        str(AGREEMENT),
        "--date",
        DAY,
        "--out-dir",
        str(tmp_path),
    )
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"xetra-ds-abc-{DAY}-obligations.pdf", f"xetra-ds-abc-{DAY}-pnl.pdf"]
    assert "Daily PnL report" in pdf_text(tmp_path / names[1])


def test_missing_database_is_one_line_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "x.pdf"
    r = mmsla(
        "report",
        "daily",
        "--db",
        str(tmp_path / "none.duckdb"),
        "--agreement",
        str(AGREEMENT),
        "--date",
        DAY,
        "--out",
        str(out),
    )
    assert r.returncode == 2 and "no such database" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_feed_alerts_appear_in_the_data_quality_section(db: Path, tmp_path: Path) -> None:
    import shutil

    import duckdb

    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)

    def ns(text: str) -> int:
        return int(datetime.fromisoformat(text).timestamp()) * 10**9

    at_10 = ns("2026-11-23T10:00:00+01:00")
    ts = ns("2026-11-24T16:00:00+01:00")  # the next day
    con = duckdb.connect(str(copy))
    con.execute(
        "INSERT INTO alerts VALUES ('a1', ?, 'gap_detected', 'ABC', '{\"missing\": 3}', 'test'),"
        " ('a2', ?, 'feed_stale', 'ABC', '{}', 'test')",
        [at_10, ts],
    )
    con.close()
    out = tmp_path / "d.html"
    r = mmsla(
        "report",
        "daily",
        "--db",
        str(copy),
        "--agreement",
        str(AGREEMENT),
        "--date",
        DAY,
        "--out",
        str(out),
        "--html",
    )
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "<td>10:00:00</td><td>gap_detected</td><td>ABC</td>" in text
    assert "feed_stale</td>" not in text  # the next day's alert is not in this report
