"""Quoter + venue over real TCP for a few simulated minutes, then `mmsla check` on our quote log.

The venue is the scripted FIX acceptor of `scripted_venue` (simulation clock 30x,
a stressed spell, a taker that fills our orders). The quoter runs from a YAML
config with the example agreement `fixtures/quoter/agreement.yaml`. Checked:
the quote log passes `mmsla check` (with the stressed spell from the quoter's
own `state` events as the states file), inventory stays inside its limit,
every event type is published with consecutive `seq`, and the control
commands (widen, pull, resume, kill, status) take effect in the loop turn
that answers them.
"""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from mmsla.cli import cli
from mmsla.events import decode
from mmsla.events.control import send_control
from quoter.app import QuoterApp
from quoter.config import load_config
from quoter.intents import OrderState
from tests.conftest import REPO
from tests.integration.quoter.scripted_venue import NS, ScriptedVenue

AGREEMENT = REPO / "fixtures" / "quoter" / "agreement.yaml"
START_NS = int(datetime(2026, 11, 23, 8, 59, 55, tzinfo=UTC).timestamp()) * NS
WINDOW_END_NS = int(datetime(2026, 11, 23, 9, 3, 5, tzinfo=UTC).timestamp()) * NS
MAX_NET = Decimal(2000)


def _config(tmp: Path, port: int) -> Path:
    text = f"""
source: MM1
venue: {{host: 127.0.0.1, port: {port}, sender_comp_id: MM1, target_comp_id: VENUE,
        username: mm1, password: secret, heartbeat_s: 5, max_msgs_per_s: 500,
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
  default: {{max_order_qty: 1000, price_collar_bps: 500, max_net_qty: {MAX_NET}}}
  max_msgs: 400
  max_open_orders: 50
  max_daily_loss: 50000
endpoints: {{events: "tcp://127.0.0.1:*", control: "tcp://127.0.0.1:*",
            replay: "tcp://127.0.0.1:*"}}
output: {{quote_log: quotes.csv, fills: fills.csv, journal: events.jsonl}}
"""
    path = tmp / "quoter.yaml"
    path.write_text(text)
    return path


async def _control(endpoint: str, cmd: dict[str, Any]) -> dict[str, Any]:
    reply = await asyncio.to_thread(send_control, endpoint, cmd, timeout_ms=3000)
    assert reply is not None, f"no answer to {cmd}"
    return reply


async def _until(pred: Any, timeout_s: float = 3.0) -> bool:
    for _ in range(int(timeout_s / 0.02)):
        if pred():
            return True
        await asyncio.sleep(0.02)
    return bool(pred())


async def _scenario(tmp: Path) -> dict[str, Any]:
    venue = ScriptedVenue(start_ns=START_NS, speed=30.0, seed=11, stress_s=(70.0, 100.0))
    await venue.acceptor.start()
    app = QuoterApp(load_config(_config(tmp, venue.acceptor.port)))
    assert app.control is not None
    ep = app.control.endpoint
    eng = app.engine
    run = asyncio.create_task(app.run())
    stop_market = False

    async def market() -> None:
        while not stop_market:
            venue.step()
            await asyncio.sleep(0.02)

    mkt = asyncio.create_task(market())
    out: dict[str, Any] = {}
    try:
        assert await _until(lambda: venue.now() >= WINDOW_END_NS, 15.0)
        out["fills_in_window"] = venue.fills
        assert venue.orders, "the quoter rests orders at the venue"

        # widen: applied in the loop turn that answers; the clamp caps it at the agreement
        seq0 = app.publisher.last_seq if app.publisher else 0
        reply = await _control(ep, {"type": "widen", "symbol": "ABC", "factor": "3"})
        assert reply["ok"] and eng.widen["ABC"] == Decimal(3)
        out["widen_seq"] = seq0

        await asyncio.sleep(0.3)
        # pull: every order cancelled, no new ones
        reply = await _control(ep, {"type": "pull", "symbol": "ABC", "reason": "test pull"})
        assert reply["ok"]
        in_flight = [o for o in eng.orders.live_orders("ABC") if not o.in_flight]
        assert in_flight == [], "every resting order has its cancel sent within the turn"
        assert await _until(lambda: not venue.orders)
        placed = venue.new_orders
        await asyncio.sleep(0.4)
        assert venue.new_orders == placed and not venue.orders
        assert eng.orders.resting("ABC") == ((), ())

        reply = await _control(ep, {"type": "resume", "symbol": "ABC"})
        assert reply["ok"]
        assert await _until(lambda: len(venue.orders) >= 6)

        # kill: cancel everything, block until resume
        reply = await _control(ep, {"type": "kill", "reason": "test kill"})
        assert reply["ok"] and reply["cancelled"] >= 1
        assert all(
            o.state in (OrderState.PENDING_CANCEL, OrderState.PENDING_NEW) or o.in_flight
            for o in eng.orders.live_orders()
        )
        assert await _until(lambda: not venue.orders)
        placed = venue.new_orders
        await asyncio.sleep(0.4)
        assert venue.new_orders == placed, "no new order while killed"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "mmsla",
            "quoter",
            "status",
            "--control",
            ep,
            stdout=asyncio.subprocess.PIPE,
        )
        stdout, _ = await proc.communicate()
        assert proc.returncode == 0
        status = json.loads(stdout)
        out["status_killed"] = status
        reply = await _control(ep, {"type": "resume"})
        assert reply["ok"]
        assert await _until(lambda: len(venue.orders) >= 6)
        out["status"] = await _control(ep, {"type": "status"})
    finally:
        stop_market = True
        await mkt
        app.request_stop()
        await asyncio.wait_for(run, 10)
        out["venue_orders_after_stop"] = dict(venue.orders)
        await venue.acceptor.stop()
    out["position"] = eng.inventory.position("ABC")
    return out


def _states_file(journal: Path, dest: Path) -> None:
    """The stressed spells from the quoter's own `state` events, in the states-file format."""
    rows = []
    start = None
    for line in journal.read_bytes().splitlines():
        ev = decode(line)
        if ev["type"] != "state" or ev["state"] != "stressed":
            continue
        if ev["active"] and start is None:
            start = ev["ts_event"]
        elif not ev["active"] and start is not None:
            rows.append((start, ev["ts_event"]))
            start = None
    assert rows, "the stressed spell was published as state events"
    with dest.open("w") as f:
        f.write("start,end,symbol,state\n")
        for a, b in rows:
            f.write(f"{a},{b},ABC,stressed\n")


def test_quoter_against_venue_meets_agreement(tmp_path: Path) -> None:
    out = asyncio.run(_scenario(tmp_path))
    assert out["fills_in_window"] > 10
    assert out["venue_orders_after_stop"] == {}, "shutdown cancels every order"
    assert out["status_killed"]["state"] == "killed"
    assert out["status"]["state"] == "active"
    assert out["status"]["symbols"]["ABC"]["live_orders"] >= 6

    # events: every type, consecutive seq, venue time
    kinds: dict[str, int] = {}
    seqs = []
    events = []
    for line in (tmp_path / "events.jsonl").read_bytes().splitlines():
        ev = decode(line)
        events.append(ev)
        kinds[ev["type"]] = kinds.get(ev["type"], 0) + 1
        seqs.append(ev["seq"])
    assert seqs == list(range(1, len(seqs) + 1))
    for k in ("quote", "order", "fill", "market", "position", "risk", "state", "heartbeat"):
        assert kinds.get(k, 0) > 0, k
    decisions = {e.get("decision") for e in events if e["type"] == "risk"}
    assert {"widen", "pull", "resume", "kill_switch", "clamped"} <= decisions
    after_widen = [e for e in events if e["seq"] > out["widen_seq"] and e["type"] == "risk"]
    assert any(
        e.get("decision") == "clamped" and any(a["kind"] == "spread" for a in e["actions"])
        for e in after_widen
    ), "widen x3 is capped by the agreement (a clamp event)"
    causes = {e["cause"] for e in events if e["type"] == "quote"}
    assert {"quote", "fill", "pull", "kill"} <= causes

    # inventory inside its limit at every fill
    pos = Decimal(0)
    with (tmp_path / "fills.csv").open() as f:
        for row in csv.DictReader(f):
            pos += Decimal(row["qty"]) if row["side"] == "buy" else -Decimal(row["qty"])
            assert abs(pos) <= MAX_NET
    assert pos == out["position"]

    # mmsla check on the quoter's own quote log passes the example agreement
    _states_file(tmp_path / "events.jsonl", tmp_path / "states.csv")
    res = CliRunner().invoke(
        cli,
        [
            "check",
            "--agreement",
            str(AGREEMENT),
            "--quotes",
            str(tmp_path / "quotes.csv"),
            "--states",
            str(tmp_path / "states.csv"),
            "--format",
            "json",
        ],
    )
    report = json.loads(res.output)
    assert res.exit_code == 0, res.output
    day = report["days"][0]
    assert day["obligations"]["presence"]["value"] >= 90
    assert report["pass"] is True


async def _reconnect(tmp: Path) -> dict[str, Any]:
    venue = ScriptedVenue(start_ns=START_NS, speed=30.0, seed=3)
    await venue.acceptor.start()
    app = QuoterApp(load_config(_config(tmp, venue.acceptor.port)))
    eng = app.engine
    run = asyncio.create_task(app.run())
    stop = False

    async def market() -> None:
        while not stop:
            venue.step()
            await asyncio.sleep(0.02)

    mkt = asyncio.create_task(market())
    out: dict[str, Any] = {}
    try:
        assert await _until(lambda: len(venue.orders) >= 6, 10)
        conn = venue.acceptor.conn
        assert conn is not None
        conn.close()  # the venue drops us (and cancels our orders)
        assert await _until(lambda: not eng.logged_on, 3)
        out["orders_after_drop"] = len(eng.orders.live_orders())
        out["needs_rebuild"] = eng.risk.needs_rebuild
        assert await _until(lambda: eng.logged_on and len(venue.orders) >= 6, 10)
        out["rebuilt"] = not eng.risk.needs_rebuild
    finally:
        stop = True
        await mkt
        app.request_stop()
        await asyncio.wait_for(run, 10)
        await venue.acceptor.stop()
    return out


def test_disconnect_assumes_orders_gone_and_requotes_after_logon(tmp_path: Path) -> None:
    out = asyncio.run(_reconnect(tmp_path))
    assert out == {"orders_after_drop": 0, "needs_rebuild": True, "rebuilt": True}
    events = [decode(line) for line in (tmp_path / "events.jsonl").read_bytes().splitlines()]
    decisions = [e.get("decision") for e in events if e["type"] == "risk"]
    assert "rebuild_required" in decisions and "rebuilt" in decisions
    drop = next(e for e in events if e["type"] == "quote" and e["cause"] == "disconnect")
    assert drop["bids"] == [] and drop["asks"] == []
    later = [e for e in events if e["type"] == "quote" and e["seq"] > drop["seq"]]
    assert any(e["bids"] and e["asks"] for e in later), "quoting resumed after the new logon"
