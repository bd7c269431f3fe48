"""`mmsla research as-table` end to end: a real subprocess, JSON on stdout."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmsla", "research", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_as_table_json_shape_and_values() -> None:
    out = _run("as-table", "--runs", "200", "--seed", "3", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) == {"runs", "seed", "rows"}  # the closed-form lines are text-only
    rows = doc["rows"]
    assert [(r["gamma"], r["strategy"]) for r in rows] == [
        (0.1, "inventory"),
        (0.1, "symmetric"),
        (0.01, "inventory"),
        (0.01, "symmetric"),
        (1.0, "inventory"),
        (1.0, "symmetric"),
    ]
    assert set(rows[0]) == {
        "gamma",
        "strategy",
        "spread",
        "profit_mean",
        "profit_std",
        "q_mean",
        "q_std",
    }
    inv = rows[0]
    assert abs(inv["profit_mean"] - 65.0) < 0.05 * 65.0


def test_as_table_text_and_bad_input() -> None:
    out = _run("as-table", "--runs", "100")
    assert out.returncode == 0
    assert "symmetric" in out.stdout and "( 65.0)" in out.stdout
    # under the table, the symmetric strategy's exact figures for each gamma
    closed = [line for line in out.stdout.splitlines() if line.startswith("closed form")]
    assert len(closed) == 3
    assert "gamma 1 symmetric: profit 43.69 std 10.73, q mean 0, q std 5.17" in closed[2]
    bad = _run("as-table", "--runs", "zero")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    bad = _run("as-table", "--seed", "-1")
    assert bad.returncode == 2 and "'--seed'" in bad.stderr
    assert "internal error" not in bad.stderr


def test_as_table_pairs_by_default_and_independent_on_request() -> None:
    paired = json.loads(_run("as-table", "--runs", "200", "--seed", "5", "--json").stdout)
    plain = _run("as-table", "--runs", "200", "--seed", "5", "--json", "--independent")
    assert plain.returncode == 0, plain.stderr
    # antithetic pairs end with symmetric inventories q and -q: the mean is exactly 0
    assert all(abs(r["q_mean"]) < 1e-9 for r in paired["rows"] if r["strategy"] == "symmetric")
    assert any(abs(r["q_mean"]) > 1e-9 for r in json.loads(plain.stdout)["rows"])
