"""The quoter with `venue.profile: mass_quote` against the real venue process over TCP.

The venue runs as a subprocess (`mmsla venue run`, the example venue config,
synthetic market, simulation clock at 30x from just before the agreement's
window); the quoter runs in-process from `fixtures/quoter/quoter_mass_quote.yaml`
(ports and files moved to the test's directory). Through the window the quoter
quotes with one MassQuote per update; afterwards a `kill` must go out as a
QuoteCancel for everything, acknowledged by the venue (35=b 297=4), leave no live
quote, and no quote of ours may trade after it. Then `mmsla check` on the
quoter's own quote log must pass the example agreement, and the fills file must
add up to the quoter's inventory.
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
from quoter.fix.codec.framing import RawMessage, parse
from quoter.mass_quote import MassQuoteManager
from tests.conftest import FIXTURES

AGREEMENT = FIXTURES / "quoter" / "agreement.yaml"
SIM_START = "2026-11-23T08:59:55Z"
SPEED = 30
SIM_SECONDS = 190  # past the window's end (09:03): the kill does not touch it
AFTER_KILL_S = 1.0  # wall seconds (30 simulated) in which nothing of ours may trade


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _venue_config(tmp: Path, port: int) -> Path:
    raw = yaml.safe_load((FIXTURES / "venue" / "venue.yaml").read_text())
    raw["port"] = port
    raw["clock"] = {"start": SIM_START, "speed": SPEED}
    raw["states"] = {"path": str(tmp / "venue-states.csv"), "stressed": []}
    path = tmp / "venue.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _quoter_app(tmp: Path, port: int) -> QuoterApp:
    raw = yaml.safe_load((FIXTURES / "quoter" / "quoter_mass_quote.yaml").read_text())
    assert raw["venue"]["profile"] == "mass_quote"
    raw["venue"]["port"] = port
    raw["venue"]["reconnect_initial_s"] = 0.1
    raw["agreement"] = str(AGREEMENT)
    raw["endpoints"] = {"events": "tcp://127.0.0.1:*", "control": "tcp://127.0.0.1:*"}
    raw["output"] = {"quote_log": "quotes.csv", "fills": "fills.csv", "journal": "events.jsonl"}
    return QuoterApp(build_config(raw, source="quoter_mass_quote.yaml", base_dir=tmp))


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


def _sent_frames(app: QuoterApp) -> list[RawMessage]:
    session = app.engine.session
    assert session is not None
    return [parse(frame) for _, frame in session.store.get_sent(1, 10**9)]


async def _run(tmp: Path) -> dict[str, Any]:
    port = _free_port()
    venue = subprocess.Popen(
        [sys.executable, "-m", "mmsla", "venue", "run", "--config", str(_venue_config(tmp, port))],
        stderr=(tmp / "venue.log").open("wb"),
    )
    out: dict[str, Any] = {"acks": []}
    try:
        await _wait_port(port, venue)
        app = _quoter_app(tmp, port)
        manager = app.engine.orders
        assert isinstance(manager, MassQuoteManager)
        on_ack = manager.on_quote_ack

        def recording_ack(msg: RawMessage, now_ns: int) -> Any:
            out["acks"].append(dict(msg.values))
            return on_ack(msg, now_ns)

        manager.on_quote_ack = recording_ack  # type: ignore[method-assign]
        task = asyncio.create_task(app.run())
        await asyncio.sleep(SIM_SECONDS / SPEED)
        out["logged_on"] = app.engine.logged_on
        out["live_before_kill"] = len(manager.live_orders("ABC"))
        out["resting_before_kill"] = manager.resting("ABC")
        out["kill_reply"] = app._on_control({"type": "kill", "reason": "test"})
        for _ in range(100):
            if not manager.live_orders():
                break
            await asyncio.sleep(0.02)
        out["live_after_kill"] = len(manager.live_orders())
        fills_at_kill = app.engine.stats["fills"]
        await asyncio.sleep(AFTER_KILL_S)
        out["fills_after_kill"] = app.engine.stats["fills"] - fills_at_kill
        out["live_later"] = len(manager.live_orders())
        out["sent"] = [(m.msg_type, dict(m.values)) for m in _sent_frames(app)]
        out["position"] = app.engine.inventory.position("ABC")
        out["fills"] = app.engine.stats["fills"]
        app.request_stop()
        await asyncio.wait_for(task, 15)
    finally:
        venue.send_signal(signal.SIGINT)
        out["venue_rc"] = await asyncio.to_thread(venue.wait, 20)
    return out


def test_mass_quote_profile_meets_agreement_and_kill_cancels_at_the_venue(tmp_path: Path) -> None:
    out = asyncio.run(_run(tmp_path))
    log = (tmp_path / "venue.log").read_text()
    assert out["logged_on"], log
    assert out["venue_rc"] == 0, log

    types = [t for t, _ in out["sent"]]
    assert "D" not in types and "G" not in types and "F" not in types, "quotes only"
    mass_quotes = [v for t, v in out["sent"] if t == "i"]
    assert len(mass_quotes) > 10
    # one quote set per message, every ladder level in it (3 per side in the config)
    assert all(v[296] == "1" and int(v[295]) <= 3 for v in mass_quotes)
    assert any(v[295] == "3" for v in mass_quotes)
    acked = {a[117] for a in out["acks"] if a.get(297) in ("0", "5")}
    assert {v[117] for v in mass_quotes[:-1]} <= acked, "every mass quote is acknowledged"
    assert out["live_before_kill"] >= 2 and out["resting_before_kill"] != ((), ())

    # kill: one QuoteCancel for everything, acknowledged, nothing left, nothing trades
    assert out["kill_reply"]["ok"] is True
    cancels = [v for t, v in out["sent"] if t == "Z"]
    assert cancels and cancels[0][298] == "4"
    assert any(a.get(297) == "4" and a[117] == cancels[0][117] for a in out["acks"]), log[-2000:]
    assert out["live_after_kill"] == 0 and out["live_later"] == 0
    assert out["fills_after_kill"] == 0

    # fills reach inventory (the quote entries are the orders)
    pos = Decimal(0)
    entry_ids = {v[299] for v in mass_quotes}  # the first entry id of each message
    n = 0
    with (tmp_path / "fills.csv").open() as f:
        for row in csv.DictReader(f):
            pos += Decimal(row["qty"]) if row["side"] == "buy" else -Decimal(row["qty"])
            assert abs(pos) <= Decimal(2000)
            n += 1
            assert row["order_id"].split(".")[0] in {e.split(".")[0] for e in entry_ids}
    assert n == out["fills"] and n > 0
    assert pos == out["position"]

    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert any(e["type"] == "fill" for e in events)
    assert any(e["type"] == "quote" and e["cause"] == "kill" for e in events)

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
    assert report["pass"] is True, res.output
    assert report["days"][0]["obligations"]["presence"]["value"] >= 90
