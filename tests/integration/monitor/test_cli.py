"""`mmsla monitor` as a real process against a test feed, and `mmsla monitor status`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from mmsla.monitor.testfeed import FeedPublisher
from tests.conftest import REPO

S = 1_000_000_000
T0 = int(datetime(2026, 11, 24, 9, 0, tzinfo=UTC).timestamp()) * S
MMSLA = [sys.executable, "-m", "mmsla"]


def test_monitor_process_status_and_clean_stop(tmp_path: Path) -> None:
    pub = FeedPublisher(tmp_path / "journal.jsonl")
    state = tmp_path / "state"
    alerts = tmp_path / "alerts.jsonl"
    proc = subprocess.Popen(
        [
            *MMSLA,
            "monitor",
            "--agreement",
            str(REPO / "fixtures/monitor/agreement.yaml"),
            "--events",
            pub.endpoint,
            "--replay",
            pub.replay.endpoint,
            "--db",
            str(tmp_path / "m.duckdb"),
            "--alerts",
            f"jsonl:{alerts}",
            "--state-dir",
            str(state),
        ],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        status_file = state / "status.json"
        k = 0
        while True:
            assert time.monotonic() < deadline, "monitor never reported the events"
            k += 1
            pub.quote(T0 + k * S, "ABC", "100.00", "100.20")
            pub.quote(T0 + k * S, "XYZ", "100.00", None)  # XYZ one-sided
            time.sleep(0.1)
            if status_file.exists() and json.loads(status_file.read_text())["last_seq"] >= 20:
                break
        out = subprocess.run(
            [*MMSLA, "monitor", "status", "--state-dir", str(state)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        lines = {line.split()[0]: line for line in out.splitlines()[2:]}
        assert " valid " in lines["ABC"]
        assert "INVALID ONE_SIDED" in lines["XYZ"]
        assert "ONE_SIDED for" in lines["XYZ"]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        pub.close()
    assert proc.returncode == 0, err
    kinds = [json.loads(line)["kind"] for line in alerts.read_text().splitlines()]
    assert "breach_opened" in kinds
    resume = json.loads((state / "resume.json").read_text())
    assert resume["source"] == "quoter-test" and resume["last_seq"] == pub.seq


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {**os.environ, "MMSLA_DEBUG": ""}
    r = subprocess.run(
        [*MMSLA, "monitor", "--agreement", str(tmp_path / "none.yaml"), "--events", "tcp://x:1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    r = subprocess.run(
        [*MMSLA, "monitor", "status", "--state-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 2 and "no monitor status file" in r.stderr
    r = subprocess.run(
        [*MMSLA, "monitor", "--agreement", "x.yaml", "--events", "tcp://x:1", "--duration-s", "-1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 2 and "'--duration-s'" in r.stderr
    bad = tmp_path / "p.yaml"
    bad.write_text("actions: {widen_factor: 0.5}\n")
    r = subprocess.run(
        [
            *MMSLA,
            "monitor",
            "--agreement",
            str(REPO / "fixtures/monitor/agreement.yaml"),
            "--events",
            "tcp://127.0.0.1:1",
            "--config",
            str(bad),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 2 and "widen_factor" in r.stderr and "Traceback" not in r.stderr
