"""Intensity calibration on the real Binance BTCUSDT feed and the LOBSTER AMZN sample."""

from __future__ import annotations

import json
import math
import subprocess
import sys

from tests.conftest import REPO, shared_path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmsla", "research", "intensity", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_binance_btcusdt_gives_finite_positive_a_and_k() -> None:
    d1 = shared_path("data", "binance", "spot_btcusdt_20240808.gz")
    d2 = shared_path("data", "binance", "spot_btcusdt_20240809.gz")
    out = _run("--format", "binance", "--data", str(d1), "--data", str(d2), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["symbol"] == "BTCUSDT" and doc["gaps"] == 0
    # every print but the first (no book yet) has a prevailing mid (README: 19,904 trades)
    assert 19_800 <= doc["n_trades"] <= 19_904
    assert 640 < doc["duration_s"] < 660  # the capture spans 650 s
    assert math.isfinite(doc["a_per_s"]) and doc["a_per_s"] > 0
    assert math.isfinite(doc["k_per_px"]) and doc["k_per_px"] > 0
    # A is at most the total print rate (~30/s): lambda(0) counts every print
    assert doc["a_per_s"] < doc["n_trades"] / doc["duration_s"]


def test_lobster_amzn_and_bad_input() -> None:
    z = shared_path("data", "lobster", "LOBSTER_SampleFile_AMZN_2012-06-21_1.zip")
    out = _run("--format", "lobster", "--data", str(z), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["a_per_s"] > 0 and doc["k_per_px"] > 0
    bad = _run("--format", "lobster", "--data", str(REPO / "pyproject.toml"))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and bad.stderr.count("\n") == 1
