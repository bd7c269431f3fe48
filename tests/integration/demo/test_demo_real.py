"""`DEMO_SOURCE=lobster|binance make demo` in shortened mode, on the real recordings.

Each run replays a few simulated minutes of the recorded market (LOBSTER AMZN
2012-06-21 at x30, Binance BTCUSDT 2024-08-09 at x5) through the venue, with
the quoter and the monitor as processes, then checks what a user relies on:
exit 0, the source named in the summary, both PDFs for the real symbol, day
and timezone, and the obligation PDF's verdict and presence equal to an
independent `mmsla check` on the quoter's own quote log. Missing data is a
one-line error, exit 2, and nothing is written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import REPO, shared_path

CASES = {
    # source: (data folder, DEMO_SECONDS, symbol, trading day, timezone, label)
    "lobster": ("lobster", "10", "AMZN", "2012-06-21", "America/New_York", "LOBSTER AMZN"),
    "binance": ("binance", "14", "BTCUSDT", "2024-08-09", "Asia/Singapore", "Binance spot"),
}


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


@pytest.mark.parametrize("source", sorted(CASES))
def test_demo_on_a_real_recording(source: str, tmp_path: Path) -> None:
    folder, seconds, symbol, day, tz, label = CASES[source]
    data = shared_path("data", folder)
    out = tmp_path / "demo"
    env = {
        **os.environ,
        "DEMO_SOURCE": source,
        "DEMO_DATA": str(data),
        "DEMO_SECONDS": seconds,
        "DEMO_OUT": str(out),
    }
    env.pop("DEMO_SPEED", None)
    proc = subprocess.run(
        [sys.executable, "-m", "mmsla.demo"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = proc.stdout
    assert f"source: {label}" in summary
    assert f"{day} {symbol}: presence" in summary

    pdfs = sorted((out / "reports").glob("*.pdf"))
    assert [p.name.rsplit("-", 1)[-1] for p in pdfs] == ["obligations.pdf", "pnl.pdf"]
    assert all(day in p.name for p in pdfs)

    # The venue's market file is in time order (one clock stamps every row).
    with (out / "venue" / "market.csv").open() as fh:
        ts = [int(line.split(",", 1)[0]) for line in list(fh)[1:]]
    assert ts and ts == sorted(ts)
    assert "out of time order" not in proc.stderr

    check = subprocess.run(
        [
            sys.executable, "-m", "mmsla", "check",
            "--agreement", str(out / "config" / "agreement.yaml"),
            "--quotes", str(out / "quoter" / "quotes.csv"),
            "--states", str(out / "venue" / "states.csv"),
            "--format", "json",
        ],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert check.returncode in (0, 1), check.stderr
    result = json.loads(check.stdout)
    (checked,) = result["days"]
    assert (checked["date"], checked["symbol"]) == (day, symbol)
    presence = checked["obligations"]["presence"]["value"]
    assert 0 < presence <= 100

    text = _pdf_text(pdfs[0])
    verdict = "PASS" if result["pass"] else "FAIL"
    assert f"Overall verdict for {day}: {verdict}" in text
    assert f"Timezone {tz}" in text
    row = next(line for line in text.splitlines() if line.startswith(f"{symbol} "))
    shown = [float(tok.rstrip("%")) for tok in row.split() if tok.endswith("%")]
    assert shown and abs(shown[0] - presence) < 0.5, (presence, row)
    assert symbol in _pdf_text(pdfs[1])


def test_demo_without_the_recording_fails_cleanly(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    env = {
        **os.environ,
        "DEMO_SOURCE": "lobster",
        "DEMO_DATA": str(tmp_path / "nowhere"),
        "DEMO_OUT": str(out),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "mmsla.demo"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no LOBSTER data found" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_unknown_source_is_a_one_line_error(tmp_path: Path) -> None:
    env = {**os.environ, "DEMO_SOURCE": "nasdaq", "DEMO_OUT": str(tmp_path / "demo")}
    proc = subprocess.run(
        [sys.executable, "-m", "mmsla.demo"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "mmsla demo: DEMO_SOURCE must be one of synthetic, lobster, binance: 'nasdaq'"
    )
    assert not (tmp_path / "demo").exists()


def test_replay_window_starts_after_the_pre_open_and_ends_with_the_recording() -> None:
    from mmsla.demo import NS, PRE_OPEN_WALL_S, Plan, _window

    plan = Plan(out=Path("/nonexistent"), wall_s=120, speed=30, source="lobster")
    first = 34_200 * NS + 17_459_617  # 09:30:00.017 after local midnight (as ns)
    start, end = _window(plan, first, 57_599 * NS + 959_359_650, 60)
    assert start % (60 * NS) == 0 and start >= first + int(PRE_OPEN_WALL_S * 30 * NS)
    assert start - first < int(PRE_OPEN_WALL_S * 30 * NS) + 60 * NS
    assert end - start == 3600 * NS  # 120 wall s at x30
    # a recording that ends sooner cuts the window at its last whole second
    start, end = _window(plan, first, first + 1800 * NS + 5, 60)
    assert end == (first + 1800 * NS) // NS * NS
