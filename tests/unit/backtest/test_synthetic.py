"""`mmsla backtest --format synthetic`: the live quoter against the seeded synthetic market."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner

from mmsla.cli import cli
from quoter.backtest import Backtest, BacktestConfig, load_backtest_config
from tests.conftest import REPO

CONFIG = REPO / "fixtures" / "backtest" / "synthetic.yaml"
AGREEMENT = REPO / "fixtures" / "quoter" / "agreement.yaml"


def short(seconds: int) -> BacktestConfig:
    cfg = load_backtest_config(CONFIG)
    assert cfg.synthetic is not None
    return replace(cfg, synthetic=replace(cfg.synthetic, duration_ns=seconds * 1_000_000_000))


def test_synthetic_is_deterministic_per_seed(tmp_path: Path) -> None:
    cfg = short(30)
    out = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        r = Backtest(cfg, None, out_dir=tmp_path / name, seed=seed).run()
        assert r.fills > 0 and r.quote_rows > 0
        out.append([p.read_bytes() for p in (r.quotes_path, r.fills_path, r.market_path)])
    assert out[0] == out[1]
    assert out[0][2] != out[2][2]  # another seed, another market


def test_synthetic_cli_output_passes_check(tmp_path: Path) -> None:
    out = tmp_path / "syn"
    res = CliRunner().invoke(
        cli,
        [
            "backtest",
            "--config",
            str(CONFIG),
            "--format",
            "synthetic",
            "--seed",
            "7",
            "--out",
            str(out),
            "--agreement",
            str(AGREEMENT),
            "--output",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["symbol"] == "ABC" and report["pnl"]["fills"] > 0
    chk = CliRunner().invoke(
        cli,
        [
            "check",
            "--agreement",
            str(AGREEMENT),
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
    assert chk.exit_code in (0, 1), chk.output
    result = json.loads(chk.output)
    assert result["pass"] == report["agreement"]["pass"]
    assert result["days"][0]["date"] == "2026-01-05"
    presence = result["days"][0]["obligations"]["presence"]["value"]
    assert abs(report["agreement"]["days"][0]["presence"] - presence) < 1e-9


def test_synthetic_needs_no_data_and_its_section(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        cli,
        [
            "backtest",
            "--config",
            str(REPO / "fixtures" / "backtest" / "btcusdt.yaml"),
            "--format",
            "synthetic",
            "--out",
            str(tmp_path),
        ],
    )
    assert res.exit_code == 2 and "synthetic: section" in res.output
    res = CliRunner().invoke(
        cli, ["backtest", "--config", str(CONFIG), "--format", "lobster", "--out", str(tmp_path)]
    )
    assert res.exit_code == 2 and "needs --data" in res.output
    # a negative seed is a usage error before anything is read or written
    out = tmp_path / "never"
    args = ["--config", str(CONFIG), "--format", "synthetic", "--seed", "-1", "--out", str(out)]
    res = CliRunner().invoke(cli, ["backtest", *args])
    assert res.exit_code == 2 and "--seed" in res.output and not out.exists()


def test_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmsla",
            "backtest",
            "--config",
            str(AGREEMENT),
            "--format",
            "synthetic",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [f"{AGREEMENT}: unknown key 'defaults'"]


def test_the_live_hedger_runs_in_the_backtest(tmp_path: Path) -> None:
    cfg = load_backtest_config(REPO / "fixtures" / "backtest" / "synthetic_hedged.yaml")
    assert cfg.synthetic is not None
    cfg = replace(cfg, synthetic=replace(cfg.synthetic, duration_ns=90 * 1_000_000_000))
    r = Backtest(cfg, None, out_dir=tmp_path, seed=7).run()
    rows = [line.split(",") for line in r.fills_path.read_text().splitlines()[1:]]
    pos = 0
    hedges = 0
    for _ts, _sym, side, _px, qty, _fee, liq, oid, _tid in rows:
        before = pos
        pos += int(qty) if side == "buy" else -int(qty)
        if oid.startswith("BT-HABC-"):  # the hedger's IOC orders
            hedges += 1
            assert liq == "taker"
            assert abs(before) > 100 and abs(pos) < abs(before)  # it only ever reduces
            assert abs(pos) >= 100 or (pos > 0) == (before > 0)  # never past the target
    assert hedges > 0
