"""The real LOBSTER AMZN 2012-06-21 level-1 book as our quote log, checked end to end
through `mmsla check` against an independent straightforward computation in this file."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from mmsla.cli import main
from tests.conftest import shared_path

NS = 1_000_000_000
AGREEMENT = """
id: lobster-amzn
version: 1
timezone: America/New_York
window:
  start: "09:30"
  end: "16:00"
  exclude: [{start: "09:30", end: "09:35"}, {start: "15:55", end: "16:00"}]
measurement: {mode: MODE}
defaults:
  max_spread: {value: 6, unit: bps, reference: own_mid}
  min_size: {qty: 100}
  presence: {min_pct: 50}
  downtime: {max_consecutive_s: 60, min_live_hours: 6}
"""


def _load_book() -> tuple[list[int], np.ndarray]:
    path = shared_path("data", "lobster", "LOBSTER_SampleFile_AMZN_2012-06-21_1.zip")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        msg = zf.read(next(n for n in names if "message_1" in n)).decode().splitlines()
        book = zf.read(next(n for n in names if "orderbook_1" in n)).decode()
    midnight = datetime(2012, 6, 21, tzinfo=ZoneInfo("America/New_York"))
    base_ns = int(midnight.timestamp()) * NS
    # message time is seconds after midnight New York with up to 9 decimals: exact via Decimal
    ts = [base_ns + int(Decimal(line.split(",", 1)[0]) * NS) for line in msg]
    levels = np.loadtxt(
        book.splitlines(), delimiter=",", dtype=np.int64
    )  # ask_px, ask_sz, bid_px, bid_sz
    return ts, levels


def _px(p: int) -> str:
    return f"{p // 10000}.{p % 10000:04d}"


@pytest.fixture(scope="module")
def amzn(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int], np.ndarray]:
    ts, levels = _load_book()
    out = tmp_path_factory.mktemp("lobster") / "amzn_quotes.csv"
    with out.open("w") as f:
        f.write("ts,symbol,bid_px,bid_qty,ask_px,ask_qty\n")
        for t, (ap, asz, bp, bsz) in zip(ts, levels.tolist(), strict=True):
            f.write(f"{t},AMZN,{_px(bp)},{bsz},{_px(ap)},{asz}\n")
    return out, ts, levels


def _independent(ts: list[int], levels: np.ndarray) -> dict[str, object]:
    """Straightforward row-by-row computation of the same agreement."""
    tz = ZoneInfo("America/New_York")
    day = datetime(2012, 6, 21, tzinfo=tz)
    w0 = int(day.replace(hour=9, minute=35).timestamp()) * NS
    w1 = int(day.replace(hour=15, minute=55).timestamp()) * NS
    segments = []  # (start, end, reasons) of eligible time
    rows = levels.tolist()
    for k in range(len(ts)):
        start = max(ts[k], w0)
        end = min(ts[k + 1] if k + 1 < len(ts) else w1, w1)
        if end <= start:
            continue
        ap, asz, bp, bsz = rows[k]
        reasons = []
        if bp >= ap:
            reasons.append("CROSSED")
        if (ap - bp) * 20000 > 6 * (ap + bp):  # 6 bps of own mid
            reasons.append("SPREAD_TOO_WIDE")
        if bsz < 100 or asz < 100:
            reasons.append("SIZE_BELOW_MIN")
        segments.append((start, end, tuple(reasons)))
    if segments and segments[0][0] > w0:
        segments.insert(0, (w0, segments[0][0], ("NO_QUOTE",)))
    eligible = w1 - w0
    valid = sum(e - s for s, e, r in segments if not r)
    episodes: list[list[object]] = []
    for s, e, r in segments:
        if not r:
            continue
        if episodes and episodes[-1][1] == s and episodes[-1][2] == r:
            episodes[-1][1] = e
        else:
            episodes.append([s, e, r])
    # downtime: invalid stretches (touching episodes) clipped to clock hours
    stretches: list[list[int]] = []
    for s, e, _ in episodes:
        if stretches and stretches[-1][1] == s:
            stretches[-1][1] = e
        else:
            stretches.append([s, e])
    hour_edges = [int(day.replace(hour=h).timestamp()) * NS for h in range(9, 17)]
    live = 0
    for h0, h1 in pairwise(hour_edges):
        if min(h1, w1) <= max(h0, w0):
            continue
        longest = max([min(e, h1) - max(s, h0) for s, e in stretches if s < h1 and e > h0] or [0])
        live += longest <= 60 * NS
    return {
        "eligible": eligible,
        "valid": valid,
        "episodes": episodes,
        "longest": max(e - s for s, e in stretches),
        "live": live,
    }


def _check(capsys: pytest.CaptureFixture[str], tmp_path: Path, quotes: Path, mode: str) -> dict:  # type: ignore[type-arg]
    agreement = tmp_path / "a.yaml"
    agreement.write_text(AGREEMENT.replace("MODE", mode))
    with pytest.raises(SystemExit):
        main(["check", "--agreement", str(agreement), "--quotes", str(quotes), "--format", "json"])
    out, err = capsys.readouterr()
    assert err == ""
    return json.loads(out)  # type: ignore[no-any-return]


def test_time_weighted_figures_match_independent_computation(
    amzn: tuple[Path, list[int], np.ndarray], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    quotes, ts, levels = amzn
    ref = _independent(ts, levels)
    doc = _check(capsys, tmp_path, quotes, "time_weighted")
    (day,) = doc["days"]
    assert day["date"] == "2012-06-21"
    assert day["eligible_s"] * NS == ref["eligible"] == (6 * 3600 + 20 * 60) * NS
    assert round(day["valid_s"] * NS) == ref["valid"]
    episodes = ref["episodes"]
    assert isinstance(episodes, list)
    assert len(day["breaches"]) == len(episodes)
    tz = ZoneInfo("America/New_York")
    for got, (s, e, r) in zip(day["breaches"], episodes, strict=True):
        assert got["reasons"] == list(r)
        assert datetime.fromisoformat(got["start"]) == datetime.fromtimestamp(s / NS, tz).replace(
            microsecond=(s % NS) // 1000
        )
        assert round(got["duration_s"] * NS) == e - s
    presence = day["obligations"]["presence"]
    assert presence["value"] == pytest.approx(ref["valid"] / ref["eligible"] * 100)  # type: ignore[operator]
    assert 5 < presence["value"] < 95  # a real mix of valid and invalid time
    assert presence["pass"] is (presence["value"] >= 50)
    downtime = day["obligations"]["downtime"]
    assert downtime["live_hours"] == ref["live"]
    assert round(downtime["longest_s"] * NS) == ref["longest"]
    # the published sanity figure: no crossed rows in this book
    assert not any("CROSSED" in b["reasons"] for b in day["breaches"])


def test_snapshot_samples_match_independent_count(
    amzn: tuple[Path, list[int], np.ndarray], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    quotes, ts, levels = amzn
    agreement_mode = "snapshot, interval_s: 10"
    doc = _check(capsys, tmp_path, quotes, agreement_mode)
    (day,) = doc["days"]
    tz = ZoneInfo("America/New_York")
    d = datetime(2012, 6, 21, tzinfo=tz)
    start = int(d.replace(hour=9, minute=30).timestamp()) * NS
    ex = [
        (start, start + 300 * NS),
        (
            int(d.replace(hour=15, minute=55).timestamp()) * NS,
            int(d.replace(hour=16).timestamp()) * NS,
        ),
    ]
    ts_arr = np.asarray(ts)
    eligible = valid = 0
    for k in range(6 * 360 + 180):  # 09:30 + 10 s steps until 16:00
        t = start + k * 10 * NS
        if any(a <= t < b for a, b in ex):
            continue
        eligible += 1
        i = int(np.searchsorted(ts_arr, t, side="right")) - 1
        ap, asz, bp, bsz = levels[i].tolist()
        valid += i >= 0 and bp < ap and (ap - bp) * 20000 <= 6 * (ap + bp) and min(asz, bsz) >= 100
    assert day["samples"] == {"eligible": eligible, "valid": valid}
    assert eligible == 2280
