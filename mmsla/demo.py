"""`make demo`: the whole product end to end on the embedded default.

Starts the local venue (synthetic market by default, on an accelerated
simulation clock), the live monitor and the quoter as three separate processes
on free loopback ports, lets them trade a simulated session, stops them
cleanly, loads the quoter's fills into the monitor's DuckDB store, runs the
daily obligation and PnL jobs, writes the PDFs, cross-checks the stored verdict
against `mmsla check` on the quoter's own quote log, and prints a summary.

Environment:
    DEMO_SECONDS   wall seconds of trading (default 120; the test suite uses ~20)
    DEMO_SPEED     simulated seconds per wall second (default 60: 2 hours in 2 min)
    DEMO_OUT       output directory (default ./demo-out, wiped first)

Exit 0 only if every step worked; a failed step prints one line naming it and
the log file to read. No step needs the network.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import yaml

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
AGREEMENT = FIXTURES / "demo" / "agreement.yaml"
SESSION_START = "09:00:00"  # the demo agreement's window starts at 09:00 UTC
PRE_OPEN_WALL_S = 8.0  # wall seconds of simulated pre-open for the processes to come up
SYMBOL = "ABC"


class DemoError(Exception):
    """A step failed; the message names the step and where to look."""


@dataclass(frozen=True)
class Plan:
    out: Path
    wall_s: float
    speed: int
    day: str  # the simulated trading day (UTC date)

    @property
    def sim_s(self) -> float:
        return self.wall_s * self.speed

    @property
    def start_iso(self) -> str:
        return f"{self.day}T{SESSION_START}Z"

    def sim_iso(self, offset_s: float) -> str:
        t = datetime.fromisoformat(self.start_iso.replace("Z", "+00:00"))
        return (t + timedelta(seconds=offset_s)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _say(text: str) -> None:
    print(text, flush=True)


def _write_agreement(plan: Plan) -> Path:
    """The demo agreement with its window cut to the simulated session's length."""
    raw = yaml.safe_load(AGREEMENT.read_text())
    end = datetime.fromisoformat(plan.sim_iso(plan.sim_s).replace("Z", "+00:00"))
    raw["window"]["end"] = end.strftime("%H:%M:%S")
    hours_touched = -(-int(plan.sim_s) // 3600)
    raw["defaults"]["downtime"]["min_live_hours"] = hours_touched
    path = plan.out / "config" / "agreement.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _write_configs(plan: Plan) -> dict[str, Any]:
    """Venue and quoter configs for this run (free ports, files under `out`)."""
    fix_port, ev, ctl, rep = (_free_port() for _ in range(4))
    endpoints = {
        "events": f"tcp://127.0.0.1:{ev}",
        "control": f"tcp://127.0.0.1:{ctl}",
        "replay": f"tcp://127.0.0.1:{rep}",
    }
    venue = yaml.safe_load((FIXTURES / "venue" / "venue.yaml").read_text())
    venue["port"] = fix_port
    # A calmer synthetic tape than the interactive example (a mid step every 0.5 simulated
    # seconds): at x60 that is still ~120 market updates per wall second to quote against.
    venue["market"]["synthetic"]["dt_ms"] = 500
    # A simulated pre-open before the window, so the quote is up when the obligation starts.
    venue["clock"] = {
        "start": plan.sim_iso(-PRE_OPEN_WALL_S * plan.speed),
        "speed": plan.speed,
        "end": plan.sim_iso(plan.sim_s),
    }
    # One scheduled stressed spell in the middle of the session (the monitor asks to widen).
    venue["states"] = {
        "path": str(plan.out / "venue" / "states.csv"),
        "stressed": [
            {
                "start": plan.sim_iso(plan.sim_s * 0.45),
                "end": plan.sim_iso(plan.sim_s * 0.5),
                "symbol": SYMBOL,
                "reason": "scheduled data release",
            }
        ],
    }
    venue_path = plan.out / "config" / "venue.yaml"
    venue_path.write_text(yaml.safe_dump(venue, sort_keys=False))

    quoter = yaml.safe_load((FIXTURES / "quoter" / "quoter.yaml").read_text())
    quoter["venue"]["port"] = fix_port
    agreement = _write_agreement(plan)
    quoter["agreement"] = str(agreement)
    # Quote far enough inside the max spread that losing the best level (2-tick ladder
    # step) does not breach before the requote lands.
    quoter["clamp"] = {"buffer_ticks": quoter["ladder"]["step_ticks"]}
    quoter["endpoints"] = endpoints
    qdir = plan.out / "quoter"
    quoter["output"] = {
        "quote_log": str(qdir / "quotes.csv"),
        "fills": str(qdir / "fills.csv"),
        "journal": str(qdir / "events.jsonl"),
    }
    quoter_path = plan.out / "config" / "quoter.yaml"
    quoter_path.write_text(yaml.safe_dump(quoter, sort_keys=False))
    return {
        "venue": venue_path,
        "quoter": quoter_path,
        "agreement": agreement,
        "fix_port": fix_port,
        **endpoints,
    }


class Processes:
    """The child processes, each logging to its own file; all stopped on exit."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._files: list[IO[bytes]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        self._files.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "mmsla", *args],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.procs[name] = proc
        return proc

    def log_of(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def check_alive(self, *names: str) -> None:
        for name in names:
            rc = self.procs[name].poll()
            if rc is not None:
                raise DemoError(f"{name} exited early (code {rc}); see {self.log_of(name)}")

    def stop(self, name: str, timeout_s: float = 30) -> int:
        """SIGINT (clean shutdown), then wait; SIGKILL only if it hangs."""
        proc = self.procs[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            return proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise DemoError(f"{name} did not stop within {timeout_s:.0f} s; killed") from None

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for f in self._files:
            f.close()


@contextmanager
def _processes(logs: Path) -> Iterator[Processes]:
    procs = Processes(logs)
    try:
        yield procs
    finally:
        procs.close()


def _wait_for(cond: Any, timeout_s: float, what: str, procs: Processes, *alive: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        procs.check_alive(*alive)
        value = cond()
        if value:
            return value
        time.sleep(0.1)
    raise DemoError(f"timed out waiting for {what}")


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _quoter_status(control: str) -> dict[str, Any] | None:
    from mmsla.events.control import send_control

    return send_control(control, {"type": "status"}, timeout_ms=500)


def _monitor_status(state_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((state_dir / "status.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _trade(plan: Plan, cfg: dict[str, Any], procs: Processes) -> dict[str, Any]:
    out = plan.out
    _say(f"[1/6] venue    synthetic market, simulated {plan.start_iso} at x{plan.speed}")
    procs.start(
        "venue", "venue", "run", "--config", str(cfg["venue"]),
        "--market-out", str(out / "venue" / "market.csv"), "--exit-when-done",
    )  # fmt: skip
    _wait_for(lambda: _port_open(cfg["fix_port"]), 30, "the venue to listen", procs, "venue")
    _say(f"         FIX 4.4 acceptor on 127.0.0.1:{cfg['fix_port']}")

    _say("[2/6] monitor  checking every quote update against the agreement")
    state_dir = out / "monitor"
    procs.start(
        "monitor", "monitor",
        "--agreement", str(cfg["agreement"]),
        "--events", cfg["events"], "--replay", cfg["replay"], "--control", cfg["control"],
        "--db", str(out / "mmsla.duckdb"),
        "--config", str(FIXTURES / "monitor" / "policy.yaml"),
        "--state-dir", str(state_dir),
        "--alerts", f"jsonl:{out / 'alerts.jsonl'}",
    )  # fmt: skip

    _say("[3/6] quoter   quoting ABC over FIX, events on ZeroMQ")
    procs.start("quoter", "quoter", "run", "--config", str(cfg["quoter"]))
    status = _wait_for(
        lambda: (s := _quoter_status(cfg["control"])) and s.get("logged_on") and s,
        30, "the quoter to log on", procs, "venue", "quoter", "monitor",
    )  # fmt: skip
    _say(f"         logged on; state {status['state']}")

    t0 = time.monotonic()
    next_report = t0
    while True:
        procs.check_alive("quoter", "monitor")
        if procs.procs["venue"].poll() is not None:
            break  # the session's end: the venue closed the market and exited
        if time.monotonic() - t0 > PRE_OPEN_WALL_S + plan.wall_s + 60:
            raise DemoError("the venue did not close the session in time")
        if time.monotonic() >= next_report:
            next_report += max(plan.wall_s / 6, 5)
            _progress(cfg, state_dir)
        time.sleep(0.2)
    if procs.procs["venue"].returncode != 0:
        raise DemoError(f"venue failed; see {procs.log_of('venue')}")
    final = _quoter_status(cfg["control"]) or {}

    _say("[4/6] stop     session closed; stopping the quoter and the monitor")
    if procs.stop("quoter") != 0:
        raise DemoError(f"quoter did not stop cleanly; see {procs.log_of('quoter')}")
    time.sleep(1.0)  # the monitor drains the last events (it replays any gap from the journal)
    if procs.stop("monitor") != 0:
        raise DemoError(f"monitor did not stop cleanly; see {procs.log_of('monitor')}")
    return final


def _progress(cfg: dict[str, Any], state_dir: Path) -> None:
    q = _quoter_status(cfg["control"]) or {}
    m = _monitor_status(state_dir) or {}
    venue_ns = q.get("venue_ns")
    clock = (
        datetime.fromtimestamp(venue_ns / 1e9, UTC).strftime("%H:%M")
        if isinstance(venue_ns, int)
        else "--:--"
    )
    sym: dict[str, Any] = next((s for s in m.get("symbols", []) if s.get("symbol") == SYMBOL), {})
    presence = sym.get("presence_pct")
    pres = "-" if presence is None else f"{presence:.2f}%"
    if not sym.get("eligible"):
        now = "pre-open"
    else:
        now = "valid" if sym.get("valid") else "INVALID " + "+".join(sym.get("reasons", []))
    pos = q.get("symbols", {}).get(SYMBOL, {}).get("position", "?")
    _say(
        f"         sim {clock}  presence so far {pres}  now {now}  position {pos}  "
        f"pnl {q.get('pnl', {}).get('total', '?')}"
    )


def _store_and_report(plan: Plan, agreement_path: Path) -> tuple[list[Path], dict[str, Any]]:
    from datetime import date

    from mmsla.agreement import load_agreement
    from mmsla.io.tables import read_fills, read_market, read_quote_log, read_states
    from mmsla.jobs.run import run_daily
    from mmsla.obligations import check
    from mmsla.store import EventStore

    out = plan.out
    db = out / "mmsla.duckdb"
    if not db.exists():
        raise DemoError(f"the monitor wrote no store at {db}; see {out / 'logs' / 'monitor.log'}")
    fills = out / "quoter" / "fills.csv"
    _say(f"[5/6] store    {db.relative_to(REPO) if db.is_relative_to(REPO) else db}")
    with EventStore.open(db) as store:
        if fills.exists() and fills.stat().st_size > 0:
            store.ingest("fills", fills, source="quoter")
        files = store.ingested_files()
    rows: Counter[str] = Counter()
    for f in files:
        rows[f.kind] += f.rows
    _say("         " + ", ".join(f"{k} {n:,} rows" for k, n in sorted(rows.items())))

    _say("[6/6] reports  daily obligation and PnL jobs, PDFs")
    pdfs = run_daily(db, agreement_path, date.fromisoformat(plan.day), out / "reports")

    # Independent cross-check: the batch engine on the quoter's own files.
    agreement = load_agreement(str(agreement_path))
    quotes = read_quote_log(out / "quoter" / "quotes.csv")
    market = out / "venue" / "market.csv"
    states = out / "venue" / "states.csv"
    result = check(
        agreement,
        quotes,
        market=read_market(market) if market.exists() else None,
        states=read_states(states) if states.exists() else None,
        fills=read_fills(fills) if fills.exists() else None,
    )
    return pdfs, result.to_json()


def _summary(
    plan: Plan,
    agreement_path: Path,
    final: dict[str, Any],
    pdfs: list[Path],
    verdict: dict[str, Any],
) -> None:
    out = plan.out
    alerts: Counter[str] = Counter()
    alerts_path = out / "alerts.jsonl"
    if alerts_path.exists():
        for line in alerts_path.read_text().splitlines():
            alerts[json.loads(line).get("kind", "?")] += 1

    def rel(p: Path) -> str:
        return str(p.relative_to(REPO)) if p.is_relative_to(REPO) else str(p)

    _say("")
    _say("Summary")
    for day in verdict["days"]:
        obligations = day["obligations"]
        marks = ", ".join(
            f"{name} {'pass' if o.get('pass') else 'FAIL'}" for name, o in obligations.items()
        )
        pres = obligations.get("presence", {}).get("value")
        pres_text = "-" if pres is None else f"{pres:.2f}%"
        _say(
            f"  {day['date']} {day['symbol']}: presence {pres_text}, "
            f"{len(day['breaches'])} breach episodes; {marks}"
        )
    _say(f"  verdict (mmsla check on the quoter's log): {'PASS' if verdict['pass'] else 'FAIL'}")
    pnl = final.get("pnl", {})
    pos = final.get("symbols", {}).get(SYMBOL, {}).get("position", "?")
    money = {k: f"{Decimal(v):.2f}" for k, v in pnl.items() if isinstance(v, str)}
    _say(
        f"  PnL {money.get('total', '?')} (realised {money.get('realised', '?')}, "
        f"fees {money.get('fees', '?')}; negative = rebates), final position {pos}"
    )
    _say(
        "  alerts: "
        + (", ".join(f"{k} {n}" for k, n in sorted(alerts.items())) if alerts else "none")
    )
    for p in pdfs:
        _say(f"  report: {rel(p)}")
    _say(f"  store:  {rel(out / 'mmsla.duckdb')}   logs: {rel(out / 'logs')}")
    _say("")
    agr = rel(agreement_path)
    _say("Next steps:")
    _say(f"  .venv/bin/mmsla check --agreement {agr} \\")
    _say(f"      --quotes {rel(out / 'quoter' / 'quotes.csv')} \\")
    _say(f"      --states {rel(out / 'venue' / 'states.csv')}")
    _say(f"  .venv/bin/mmsla uptime --db {rel(out / 'mmsla.duckdb')} --agreement {agr} --by hour")
    _say(f"  .venv/bin/mmsla monitor status --state-dir {rel(out / 'monitor')}")


def run(plan: Plan) -> int:
    if plan.out.exists():
        shutil.rmtree(plan.out)
    for sub in ("config", "logs", "venue", "quoter", "monitor", "reports"):
        (plan.out / sub).mkdir(parents=True)
    hours = plan.sim_s / 3600
    _say(
        f"mmsla demo: {hours:.1f} simulated hours of quoting under an obligation, "
        f"in about {plan.wall_s:.0f} s of wall time"
    )
    started = time.monotonic()
    cfg = _write_configs(plan)
    with _processes(plan.out / "logs") as procs:
        final = _trade(plan, cfg, procs)
    pdfs, verdict = _store_and_report(plan, cfg["agreement"])
    _summary(plan, cfg["agreement"], final, pdfs, verdict)
    _say(f"(demo took {time.monotonic() - started:.0f} s)")
    return 0


def plan_from_env() -> Plan:
    wall_s = float(os.environ.get("DEMO_SECONDS", "120"))
    speed = int(os.environ.get("DEMO_SPEED", "60"))
    if wall_s <= 0 or speed <= 0:
        raise DemoError("DEMO_SECONDS and DEMO_SPEED must be positive")
    if wall_s * speed > 3 * 3600:
        raise DemoError("DEMO_SECONDS x DEMO_SPEED must fit the 3-hour session window")
    out = Path(os.environ.get("DEMO_OUT", REPO / "demo-out")).resolve()
    day = datetime.now(UTC).date().isoformat()
    return Plan(out=out, wall_s=wall_s, speed=speed, day=day)


def main() -> int:
    from mmsla.errors import MmslaError

    try:
        return run(plan_from_env())
    except (DemoError, MmslaError) as e:
        print(f"mmsla demo: failed: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mmsla demo: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
