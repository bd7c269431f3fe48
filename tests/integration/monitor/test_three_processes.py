"""Venue + quoter + monitor as three real processes on the synthetic market.

The venue runs a 10x simulation clock with a scheduled stressed spell; the
quoter quotes it over FIX and publishes its events; the monitor watches them.
Checked: the venue's stress reaches the monitor as a `state` event and the
monitor asks the quoter to widen (the quoter acknowledges, so the alert is
logged as an `action`); then the quoter is killed and the monitor raises
`feed_stale`, and the time after the last event counts as NO_QUOTE.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import REPO

MMSLA = [sys.executable, "-m", "mmsla"]
AGREEMENT = REPO / "fixtures" / "quoter" / "agreement.yaml"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alerts(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _wait(pred: Any, timeout_s: float, what: str, procs: list[subprocess.Popen[str]]) -> None:
    deadline = time.monotonic() + timeout_s
    while not pred():
        for p in procs:
            assert p.poll() is None, f"{p.args} exited early while waiting for {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_venue_stress_widens_and_a_dead_quoter_is_stale(tmp_path: Path) -> None:
    fix_port, ev, ctl, rep = _port(), _port(), _port(), _port()
    (tmp_path / "venue.yaml").write_text(f"""
host: 127.0.0.1
port: {fix_port}
book_depth: 5
members: [{{comp_id: MM1, password: secret}}]
symbols: [{{symbol: ABC, tick: "0.01", lot: "1", max_order_qty: "100000"}}]
clock: {{start: "2026-11-24T08:59:50Z", speed: 10}}
market:
  source: synthetic
  synthetic: {{symbol: ABC, mid_px: "100.00", intensity_a_per_s: 2.0, intensity_k_per_px: 30,
              sigma_px_per_sqrt_s: 0.02, jump_rate_per_s: 0.0, jump_sigma_px: 0.5, dt_ms: 100,
              bg_levels: 5, bg_qty_lots: 100, bg_offset_ticks: 1, bg_spacing_ticks: 1, seed: 7}}
states:
  path: states.csv
  stressed:
    - {{start: "2026-11-24T09:00:30Z", end: "2026-11-24T09:00:50Z", symbol: ABC, reason: test}}
""")
    (tmp_path / "quoter.yaml").write_text(f"""
source: MM1
venue: {{host: 127.0.0.1, port: {fix_port}, sender_comp_id: MM1, target_comp_id: VENUE,
        username: MM1, password: secret, heartbeat_s: 5, max_msgs_per_s: 500,
        reconnect_initial_s: 0.1}}
symbols: [{{symbol: ABC, tick: "0.01", lot: "1"}}]
pricing:
  fair_value: microprice
  volatility: {{half_life_s: 30, initial_sigma_per_s: 0.0002}}
  spread: {{model: vol_scaled, base_ticks: 6, vol_mult: 6.0, max_ticks: 60}}
  skew: {{ticks_per_lot: 0.01, max_ticks: 3}}
  min_width_ticks: 2
ladder: {{levels: 3, step_ticks: 2, qty: "60", qty_step: "50"}}
requote: {{tolerance_ticks: 0, max_age_s: 30}}
agreement: {AGREEMENT}
risk:
  default: {{max_order_qty: 1000, price_collar_bps: 500, max_net_qty: 2000}}
  max_msgs: 400
  max_open_orders: 50
  max_daily_loss: 50000
endpoints: {{events: "tcp://127.0.0.1:{ev}", control: "tcp://127.0.0.1:{ctl}",
            replay: "tcp://127.0.0.1:{rep}"}}
output: {{quote_log: quotes.csv, fills: fills.csv, journal: events.jsonl}}
""")
    (tmp_path / "policy.yaml").write_text(
        "monitor: {heartbeat_s: 1, stale_heartbeats: 3}\nactions: {calm_s: 5}\n"
    )
    alerts = tmp_path / "alerts.jsonl"
    logs = {name: (tmp_path / f"{name}.log").open("w") for name in ("venue", "quoter", "monitor")}
    procs: list[subprocess.Popen[str]] = []
    try:
        venue = subprocess.Popen(
            [*MMSLA, "venue", "run", "--config", str(tmp_path / "venue.yaml")],
            cwd=tmp_path,
            stdout=logs["venue"],
            stderr=subprocess.STDOUT,
            text=True,
        )
        procs.append(venue)
        monitor = subprocess.Popen(
            [
                *MMSLA,
                "monitor",
                "--agreement",
                str(AGREEMENT),
                "--events",
                f"tcp://127.0.0.1:{ev}",
                "--control",
                f"tcp://127.0.0.1:{ctl}",
                "--replay",
                f"tcp://127.0.0.1:{rep}",
                "--alerts",
                f"jsonl:{alerts}",
                "--config",
                str(tmp_path / "policy.yaml"),
                "--state-dir",
                str(tmp_path / "mon"),
            ],
            cwd=tmp_path,
            stdout=logs["monitor"],
            stderr=subprocess.STDOUT,
            text=True,
        )
        procs.append(monitor)
        time.sleep(1.0)
        quoter = subprocess.Popen(
            [*MMSLA, "quoter", "run", "--config", str(tmp_path / "quoter.yaml")],
            cwd=tmp_path,
            stdout=logs["quoter"],
            stderr=subprocess.STDOUT,
            text=True,
        )
        procs.append(quoter)

        def widened() -> bool:
            return any(
                a["kind"] == "action" and a["action"] == "widen" and "stress" in a["cause"]
                for a in _alerts(alerts)
            )

        _wait(widened, 40, "a widen action after the venue's stress", procs)
        quoter.send_signal(signal.SIGKILL)
        quoter.wait(10)
        procs.remove(quoter)
        _wait(
            lambda: any(a["kind"] == "feed_stale" for a in _alerts(alerts)),
            20,
            "feed_stale after the quoter died",
            procs,
        )
        status_file = tmp_path / "mon" / "status.json"
        _wait(lambda: json.loads(status_file.read_text())["stale"], 5, "status stale", procs)
        status = json.loads(status_file.read_text())
        abc = next(s for s in status["symbols"] if s["symbol"] == "ABC")
        assert abc["valid"] is False and abc["reasons"] == ["NO_QUOTE"]
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        for f in logs.values():
            f.close()
    kinds = [a["kind"] for a in _alerts(alerts)]
    assert kinds.index("action") < kinds.index("feed_stale")
