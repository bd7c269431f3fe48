"""`mmsla validate` and `mmsla check` end to end: exit codes, one-line errors, output formats."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mmsla.cli import main
from tests.conftest import FIXTURES, REPO

EX = REPO / "rules" / "examples"
OBL = FIXTURES / "obligations"
DEMO = [
    "check",
    "--agreement",
    str(EX / "rts8-continuous.yaml"),
    "--quotes",
    str(OBL / "quotes.csv"),
    "--market",
    str(OBL / "market.csv"),
    "--states",
    str(OBL / "states.csv"),
    "--fills",
    str(OBL / "fills.csv"),
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    code = info.value.code
    assert isinstance(code, int)
    return code, out, err


def test_validate_examples_ok(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in EX.glob("*.yaml"))
    code, out, err = run(capsys, "validate", *files)
    assert code == 0 and err == ""
    assert len(out.splitlines()) == 3 and all(": ok (" in line for line in out.splitlines())


def test_validate_bad_file_lists_every_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: 1\ntimezone: Nowhere/Land\ncolour: 1\n")
    code, out, err = run(capsys, "validate", str(EX / "rts8-continuous.yaml"), str(bad))
    assert code == 2
    assert out.count(": ok (") == 1
    assert err.splitlines() == [f"{bad}: colour: unknown key"]
    bad.write_text("id: x\nversion: 1\ntimezone: Nowhere/Land\n")
    code, _, err = run(capsys, "validate", str(bad))
    assert (code, err.splitlines()) == (
        2,
        [f"{bad}: timezone: unknown IANA timezone 'Nowhere/Land'"],
    )


def test_check_demo_table_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *DEMO)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["date", "symbol", "eligible", "presence"]
    assert sum(1 for line in lines if line.startswith("2026-11-2")) == 4  # 2 days x 2 symbols
    assert any(line.startswith("2026-11  ABC") for line in lines)
    assert lines[-1] == "agreement rts8-continuous-demo v1: PASS - every obligation met"


def test_check_json_shape_and_consistency(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *DEMO, "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["agreement"] == {"id": "rts8-continuous-demo", "version": "1"}
    assert doc["pass"] is True
    assert [(d["date"], d["symbol"]) for d in doc["days"]] == [
        ("2026-11-23", "ABC"),
        ("2026-11-23", "XYZ"),
        ("2026-11-24", "ABC"),
        ("2026-11-24", "XYZ"),
    ]
    for d in doc["days"]:
        assert d["samples"] is None
        assert set(d["obligations"]) == {"presence"}
        presence = d["obligations"]["presence"]
        assert presence["value"] == pytest.approx(d["valid_s"] / d["eligible_s"] * 100)
        assert presence["min"] == 50 and presence["pass"] is True
        breach_s = sum(b["duration_s"] for b in d["breaches"] if not b["forgiven"])
        assert d["valid_s"] + breach_s == pytest.approx(d["eligible_s"])
    # the 2-minute auction is left out on both days; XYZ is halted 15 minutes on the 24th
    assert doc["days"][0]["eligible_s"] == 8.5 * 3600 - 120
    assert doc["days"][3]["eligible_s"] == 8.5 * 3600 - 120 - 900
    assert doc["months"][0]["mode"] == "qualifying_days" and doc["months"][0]["value"] == 100.0


def test_check_csv(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *DEMO, "--format", "csv", "--from", "2026-11-24")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["date"], r["symbol"]) for r in rows] == [
        ("2026-11-24", "ABC"),
        ("2026-11-24", "XYZ"),
    ]
    assert rows[0]["pass"] == "true" and rows[0]["side_uptime_pct"] == ""


def test_check_fails_with_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        a if not a.endswith("rts8-continuous.yaml") else str(EX / "xetra-designated-sponsor.yaml")
        for a in DEMO
    ]
    code, out, _ = run(capsys, *argv)
    assert code == 1
    assert out.splitlines()[-1] == "agreement xetra-ds-abc v3: FAIL - some obligation not met"


def test_malformed_row_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "q.csv"
    bad.write_text(
        "ts,symbol,bid_px,bid_qty,ask_px,ask_qty\n"
        "2026-11-24T09:00:00+01:00,ABC,99.5,100,100.5,100\n"
        "2026-11-24T09:00:01+01:00,ABC,99.5,100,abc,100\n"
    )
    code, out, err = run(
        capsys, "check", "--agreement", str(EX / "rts8-continuous.yaml"), "--quotes", str(bad)
    )
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"{bad}:3: column ask_px: not a decimal number: 'abc'"]


def test_bad_agreement_in_check(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "a.yaml"
    bad.write_text(
        "id: x\nversion: 1\ntimezone: UTC\ndefaults: {presence: {min_pct: 150}, nope: 1}\n"
    )
    code, _, err = run(
        capsys, "check", "--agreement", str(bad), "--quotes", str(OBL / "quotes.csv")
    )
    assert code == 2
    assert sorted(err.splitlines()) == [
        f"{bad}: defaults.nope: unknown key",
        f"{bad}: defaults.presence.min_pct: 150 is greater than the maximum of 100",
    ]


def test_missing_market_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys,
        "check",
        "--agreement",
        str(EX / "token-project-kpi.yaml"),
        "--quotes",
        str(OBL / "quotes.csv"),
    )
    assert code == 2
    assert len(err.splitlines()) == 1 and "needs a market reference file" in err


@pytest.mark.parametrize(
    "extra",
    [["--from", "24/11/2026"], ["--from", "2026-11-24", "--to", "2026-11-23"], ["--format", "xml"]],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], extra: list[str]) -> None:
    code, _, err = run(capsys, *DEMO, *extra)
    assert code == 2 and "Traceback" not in err and err.strip()


def test_token_agreement_snapshot_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # the crypto KPI agreement on a tiny 24/7 log: samples every 10 s, market-mid references
    q = tmp_path / "q.csv"
    q.write_text(
        "ts,symbol,bid_px,bid_qty,ask_px,ask_qty,bid_px_2,bid_qty_2,ask_px_2,ask_qty_2\n"
        "2026-11-24T00:00:00Z,ABCUSDT,0.9950,6000,1.0050,6000,0.9800,5000,1.0200,5000\n"
        "2026-11-24T12:00:00Z,ABCUSDT,0.9950,6000,1.0051,6000,0.9800,5000,1.0200,5000\n"
    )
    m = tmp_path / "m.csv"
    m.write_text("ts,symbol,bid_px,ask_px\n2026-11-24T00:00:00Z,ABCUSDT,0.9990,1.0010\n")
    code, out, _ = run(
        capsys,
        "check",
        "--agreement",
        str(EX / "token-project-kpi.yaml"),
        "--quotes",
        str(q),
        "--market",
        str(m),
        "--format",
        "json",
    )
    doc = json.loads(out)
    (day,) = doc["days"]
    # 0.9950/1.0050 is exactly 1.00% of the market mid 1.0000 (valid); one tick wider is not
    assert day["samples"] == {"eligible": 8640, "valid": 4320}
    assert day["obligations"]["presence"] == {"value": 50.0, "min": 95, "pass": False}
    assert day["obligations"]["at_inside"]["value"] == 0.0
    assert [b["reasons"] for b in day["breaches"]] == [["SPREAD_TOO_WIDE"]]
    assert code == 1


def test_console_script_subprocess() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mmsla", *DEMO, "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["pass"] is True
