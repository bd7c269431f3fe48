"""`mmsla research options-backtest` end to end on the real SPXW chains."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

from mmsla.research.option_chain import read_chain
from quoter.backtest.chain_backtest import ChainBacktestConfig, chain_report, run_chain_backtest
from tests.conftest import REPO, shared_path

DATA = shared_path("data", "options", "SPX_2018.csv")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmsla", "research", "options-backtest", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_json_equals_the_library_run_on_the_same_expiry() -> None:
    out = _run(
        "--data", str(DATA), "--expiry", "2018-01-31", "--vega-limit", "20000", "--format", "json"
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    jan = [s for s in read_chain(DATA) if s.expiry == "2018-01-31"]
    cfg = ChainBacktestConfig(max_abs_vega_per_pt=20_000.0, hedge_threshold=Decimal(100))
    assert doc == json.loads(json.dumps(chain_report(run_chain_backtest(jan, cfg))))
    assert doc["settled"] is True and doc["fills"] > 0


def test_table_and_no_hedge() -> None:
    out = _run("--data", str(DATA), "--expiry", "01/31/2018", "--no-hedge")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("expiry 2018-01-31")
    assert "settled at intrinsic" in out.stdout
    doc = json.loads(
        _run("--data", str(DATA), "--expiry", "2018-01-31", "--no-hedge", "--format", "json").stdout
    )
    assert all(Decimal(d["hedge_qty"]) == 0 for d in doc["days"])


def test_bad_input_is_one_line() -> None:
    several = _run("--data", str(DATA))
    assert several.returncode == 2 and "pick one with --expiry" in several.stderr
    unknown = _run("--data", str(DATA), "--expiry", "2030-01-01")
    assert unknown.returncode == 2 and "no snapshots of expiry 2030-01-01" in unknown.stderr
    bad = _run("--data", str(DATA), "--expiry", "soon")
    assert bad.returncode == 2 and "--expiry" in bad.stderr
    for r in (several, unknown, bad):
        assert "Traceback" not in r.stderr
