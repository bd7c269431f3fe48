"""`mmsla backtest` on the real recordings (LOBSTER AMZN, Binance BTCUSDT): its files pass
through `mmsla check`, its PnL equals an independent FIFO recomputation, a seed repeats."""

from __future__ import annotations

import csv
import json
from collections import deque
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from mmsla.cli import cli
from tests.conftest import REPO, shared_path

FIX = REPO / "fixtures" / "backtest"


def amzn() -> list[str]:
    return [
        "--data",
        str(shared_path("data", "lobster", "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip")),
        "--format",
        "lobster",
        "--config",
        str(FIX / "amzn.yaml"),
    ]


def btc() -> list[str]:
    return [
        "--data",
        str(shared_path("data", "binance", "spot_btcusdt_20240808.gz")),
        "--data",
        str(shared_path("data", "binance", "spot_btcusdt_20240809.gz")),
        "--format",
        "binance",
        "--config",
        str(FIX / "btcusdt.yaml"),
    ]


def backtest(args: list[str], out: Path, *extra: str) -> dict[str, Any]:
    res = CliRunner().invoke(
        cli, ["backtest", *args, "--out", str(out), "--output", "json", *extra]
    )
    assert res.exit_code == 0, res.output
    report: dict[str, Any] = json.loads(res.output)
    return report


def fifo(fills: Path, market: Path) -> dict[str, Decimal]:
    """Realised FIFO PnL, fees, unrealised at the last recorded mid, position: by hand."""
    lots: deque[list[Decimal]] = deque()  # [signed qty, px]
    realised = fees = Decimal(0)
    with fills.open() as fh:
        for row in csv.DictReader(fh):
            px, qty = Decimal(row["px"]), Decimal(row["qty"])
            sign = 1 if row["side"] == "buy" else -1
            fees += Decimal(row["fee"] or "0")
            left = qty
            while left and lots and (lots[0][0] > 0) != (sign > 0):
                lot = lots[0]
                take = min(left, abs(lot[0]))
                realised += (px - lot[1]) * take * (1 if lot[0] > 0 else -1)
                lot[0] += take if lot[0] < 0 else -take
                left -= take
                if lot[0] == 0:
                    lots.popleft()
            if left:
                lots.append([left * sign, px])
    with market.open() as fh:
        last = list(csv.DictReader(fh))[-1]
    mark = (Decimal(last["bid_px"]) + Decimal(last["ask_px"])) / 2
    unrealised = sum(((mark - px) * q for q, px in lots), Decimal(0))
    position = sum((q for q, _ in lots), Decimal(0))
    return {
        "realised": realised,
        "fees": fees,
        "unrealised": unrealised,
        "total": realised + unrealised - fees,
        "position": position,
    }


def assert_pnl_matches(report: dict[str, Any], out: Path) -> None:
    mine = fifo(out / "fills.csv", out / "market.csv")
    p = report["pnl"]
    assert p["fills"] > 0
    assert Decimal(p["realised"]) == mine["realised"]
    assert Decimal(p["fees"]) == mine["fees"]
    assert Decimal(p["position"]) == mine["position"]
    assert Decimal(p["unrealised"]) == mine["unrealised"]
    assert Decimal(p["total"]) == mine["total"]


def check(agreement: Path, out: Path) -> dict[str, Any]:
    res = CliRunner().invoke(
        cli,
        [
            "check",
            "--agreement",
            str(agreement),
            "--quotes",
            str(out / "quotes.csv"),
            "--market",
            str(out / "market.csv"),
            "--fills",
            str(out / "fills.csv"),
            "--format",
            "json",
        ],
    )
    assert res.exit_code in (0, 1), res.output
    result: dict[str, Any] = json.loads(res.output)
    assert result["days"]
    assert (res.exit_code == 0) == result["pass"]
    return result


def test_amzn_lobster_backtest_passes_through_check(tmp_path: Path) -> None:
    out = tmp_path / "amzn"
    agreement = FIX / "amzn_agreement.yaml"
    report = backtest(amzn(), out, "--minutes", "10", "--agreement", str(agreement))
    assert report["symbol"] == "AMZN"
    assert report["frames"] > 1000 and report["trades"] > 100
    assert_pnl_matches(report, out)
    result = check(agreement, out)
    assert result["days"][0]["date"] == "2012-06-21"
    # the verdict printed by the backtest is the checker's
    assert report["agreement"]["pass"] == result["pass"]
    presence = result["days"][0]["obligations"]["presence"]["value"]
    assert abs(report["agreement"]["days"][0]["presence"] - presence) < 1e-9
    # every quote row sits within the replayed span, in recorded market time
    with (out / "quotes.csv").open() as fh:
        ts = [int(r["ts"]) for r in csv.DictReader(fh)]
    with (out / "market.csv").open() as fh:
        mts = [int(r["ts"]) for r in csv.DictReader(fh)]
    assert ts == sorted(ts) and mts[0] == report["start_ns"] <= ts[0] <= ts[-1]
    assert ts[-1] <= report["end_ns"]


def test_binance_backtest_passes_through_check(tmp_path: Path) -> None:
    out = tmp_path / "btc"
    agreement = FIX / "btcusdt_agreement.yaml"
    report = backtest(btc(), out, "--seed", "3", "--agreement", str(agreement))
    assert report["symbol"] == "BTCUSDT"
    assert_pnl_matches(report, out)
    result = check(agreement, out)
    assert [d["date"] for d in result["days"]] == ["2024-08-08", "2024-08-09"]
    assert report["agreement"]["pass"] == result["pass"]


def test_a_seed_repeats_on_real_data(tmp_path: Path) -> None:
    runs = [
        backtest(amzn(), tmp_path / n, "--minutes", "4", "--seed", s)
        for n, s in (("a", "11"), ("b", "11"), ("c", "12"))
    ]
    files = [
        [(tmp_path / n / f).read_bytes() for f in ("quotes.csv", "fills.csv", "market.csv")]
        for n in ("a", "b", "c")
    ]
    assert files[0] == files[1]
    assert runs[0]["pnl"] == runs[1]["pnl"]
    assert files[0][0] != files[2][0]  # other lognormal order latencies
    assert files[0][2] == files[2][2]  # the market reference is the recording's
