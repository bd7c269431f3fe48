"""The quoter against the real venue process (`mmsla venue run`, synthetic market) over TCP.

The venue runs as a subprocess from the example venue config (`fixtures/venue/
venue.yaml`) with a simulation clock at 30x starting just before the agreement
window and a scheduled stressed spell; the quoter runs in-process from the
paired example quoter config (`fixtures/quoter/quoter.yaml`, ports and files
moved to the test's directory). After three simulated minutes the quoter is
stopped (it cancels everything and logs out), the venue is interrupted (it
writes its market-states file), and `mmsla check` on the quoter's own quote log,
with the venue's states file, must pass the example agreement while the
inventory stayed inside its limit.
"""

from __future__ import annotations

import asyncio
import csv
import json
import signal
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from mmsla.cli import cli
from quoter.app import QuoterApp
from quoter.config import build_config
from tests.conftest import FIXTURES

AGREEMENT = FIXTURES / "quoter" / "agreement.yaml"
SIM_START = "2026-11-23T08:59:55Z"
SPEED = 30
SIM_SECONDS = 190


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _venue_config(tmp: Path, port: int) -> Path:
    raw = yaml.safe_load((FIXTURES / "venue" / "venue.yaml").read_text())
    raw["port"] = port
    raw["clock"] = {"start": SIM_START, "speed": SPEED}
    raw["states"] = {
        "path": str(tmp / "venue-states.csv"),
        "stressed": [
            {"start": "2026-11-23T09:01:00Z", "end": "2026-11-23T09:01:30Z", "symbol": "ABC"}
        ],
    }
    path = tmp / "venue.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _quoter_app(tmp: Path, port: int) -> QuoterApp:
    raw = yaml.safe_load((FIXTURES / "quoter" / "quoter.yaml").read_text())
    raw["venue"]["port"] = port
    raw["venue"]["reconnect_initial_s"] = 0.1
    raw["agreement"] = str(AGREEMENT)
    raw["endpoints"] = {"events": "tcp://127.0.0.1:*", "control": "tcp://127.0.0.1:*"}
    raw["output"] = {"quote_log": "quotes.csv", "fills": "fills.csv", "journal": "events.jsonl"}
    return QuoterApp(build_config(raw, source="quoter.yaml", base_dir=tmp))


async def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 20) -> None:
    for _ in range(int(timeout_s / 0.05)):
        assert proc.poll() is None, "the venue exited early"
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        w.close()
        return
    raise AssertionError("the venue did not listen")


async def _run(tmp: Path) -> dict[str, Any]:
    port = _free_port()
    venue = subprocess.Popen(
        [sys.executable, "-m", "mmsla", "venue", "run", "--config", str(_venue_config(tmp, port))],
        stderr=(tmp / "venue.log").open("wb"),
    )
    out: dict[str, Any] = {}
    try:
        await _wait_port(port, venue)
        app = _quoter_app(tmp, port)
        task = asyncio.create_task(app.run())
        await asyncio.sleep(SIM_SECONDS / SPEED)
        out["logged_on"] = app.engine.logged_on
        out["status"] = app.engine.status()
        out["position"] = app.engine.inventory.position("ABC")
        app.request_stop()
        await asyncio.wait_for(task, 15)
        out["live_after_stop"] = len(app.engine.orders.live_orders())
    finally:
        venue.send_signal(signal.SIGINT)
        out["venue_rc"] = await asyncio.to_thread(venue.wait, 20)
    return out


def test_quoter_meets_agreement_against_the_real_venue(tmp_path: Path) -> None:
    out = asyncio.run(_run(tmp_path))
    log = (tmp_path / "venue.log").read_text()
    assert out["logged_on"], log
    assert out["venue_rc"] == 0, log
    assert out["live_after_stop"] == 0
    assert out["status"]["symbols"]["ABC"]["live_orders"] >= 2

    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    kinds = {e["type"] for e in events}
    assert {"quote", "order", "market", "state", "heartbeat", "risk"} <= kinds
    assert any(e["type"] == "state" and e["state"] == "stressed" for e in events)

    pos = Decimal(0)
    with (tmp_path / "fills.csv").open() as f:
        for row in csv.DictReader(f):
            pos += Decimal(row["qty"]) if row["side"] == "buy" else -Decimal(row["qty"])
            assert abs(pos) <= Decimal(2000)
    assert pos == out["position"]

    res = CliRunner().invoke(
        cli,
        [
            "check",
            "--agreement",
            str(AGREEMENT),
            "--quotes",
            str(tmp_path / "quotes.csv"),
            "--states",
            str(tmp_path / "venue-states.csv"),
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output + log[-2000:]
    report = json.loads(res.output)
    assert report["pass"] is True
    assert report["days"][0]["obligations"]["presence"]["value"] >= 90


def _mmsla(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmsla", *args], capture_output=True, text=True, timeout=30
    )


def test_cli_run_status_kill_and_sigterm(tmp_path: Path) -> None:
    """`mmsla quoter run` as a process: status and kill from the CLI, SIGTERM exits 0."""
    import time

    port = _free_port()
    venue = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mmsla",
            "venue",
            "run",
            "--config",
            str(_venue_config(tmp_path, port)),
        ],
        stderr=subprocess.DEVNULL,
    )
    raw = yaml.safe_load((FIXTURES / "quoter" / "quoter.yaml").read_text())
    raw["venue"]["port"] = port
    raw["agreement"] = str(AGREEMENT)
    control = f"tcp://127.0.0.1:{_free_port()}"
    raw["endpoints"] = {"events": f"tcp://127.0.0.1:{_free_port()}", "control": control}
    raw["output"] = {"quote_log": "quotes.csv", "fills": "fills.csv", "journal": "events.jsonl"}
    cfg = tmp_path / "quoter.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    quoter = subprocess.Popen(
        [sys.executable, "-m", "mmsla", "quoter", "run", "--config", str(cfg)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status: dict[str, Any] = {}
        for _ in range(100):
            res = _mmsla("quoter", "status", "--config", str(cfg))
            if res.returncode == 0:
                status = json.loads(res.stdout)
                if status["symbols"]["ABC"]["live_orders"] > 0:
                    break
            time.sleep(0.1)
        assert status["logged_on"] is True and status["symbols"]["ABC"]["live_orders"] > 0
        res = _mmsla("quoter", "kill", "--control", control, "--reason", "cli test")
        assert res.returncode == 0 and json.loads(res.stdout)["state"] == "killed"
        time.sleep(0.5)
        status = json.loads(_mmsla("quoter", "status", "--control", control).stdout)
        assert status["state"] == "killed" and status["symbols"]["ABC"]["live_orders"] == 0
        res = _mmsla("quoter", "resume", "--control", control)
        assert res.returncode == 0
    finally:
        quoter.send_signal(signal.SIGTERM)
        rc = quoter.wait(20)
        err = quoter.stderr.read() if quoter.stderr else ""
        venue.send_signal(signal.SIGINT)
        venue.wait(20)
    assert rc == 0, err
    assert "Traceback" not in err
    rows = (tmp_path / "quotes.csv").read_text().splitlines()
    assert len(rows) > 2
    last = rows[-1].split(",")
    assert last[2:6] == ["", "", "", ""], "shutdown leaves no resting quote"
