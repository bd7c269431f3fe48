"""`make demo`: the whole product end to end on the embedded default or a recorded market.

Starts the local venue (synthetic market by default, on an accelerated
simulation clock; or a replay of a real recorded market), the live monitor and
the quoter as three separate processes on free loopback ports, lets them trade
a simulated session, stops them cleanly, loads the quoter's fills into the
monitor's DuckDB store, runs the daily obligation and PnL jobs, writes the
PDFs, cross-checks the stored verdict against `mmsla check` on the quoter's
own quote log, and prints a summary.

Sources (`DEMO_SOURCE`):
- `synthetic` (default): symbol ABC, today 09:00 UTC onwards, 2 hours at x60;
- `lobster`: the LOBSTER AMZN sample day (NASDAQ 2012-06-21, New York time),
  replayed from the open at x30; the obligation window starts after a few
  simulated minutes of pre-open (the processes coming up) and lasts
  DEMO_SECONDS x DEMO_SPEED (about an hour by default);
- `binance`: the Binance spot BTCUSDT capture (2024-08-08/09, ~650 s),
  replayed at x5; the window is the recorded span after the pre-open.
The recording is read from `../shared/data` beside the checkout (or
`$MMSLA_SHARED/data`, or `DEMO_DATA`: a data folder, its `lobster`/`binance`
sub-folder, or the file itself) and cut at the window's end into the output
folder, so the venue's market ends (and the session closes) with the window.
Missing data is a one-line error and exit 2.

Environment:
    DEMO_SOURCE    synthetic | lobster | binance (default synthetic)
    DEMO_DATA      where the recorded data is (default ../shared/data)
    DEMO_SECONDS   wall seconds of the obligation window (default 120; the tests use ~15;
                   a replay's window ends with the recording at the latest)
    DEMO_SPEED     simulated seconds per wall second (default 60 synthetic, 30 lobster,
                   5 binance)
    DEMO_OUT       output directory (default ./demo-out, wiped first)

Exit 0 only if every step worked; a failed step prints one line naming it and
the log file to read. No step needs the network.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import yaml

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
PRE_OPEN_WALL_S = 8.0  # wall seconds of simulated pre-open for the processes to come up
SOURCES = ("synthetic", "lobster", "binance")
DEFAULT_SPEED = {"synthetic": 60, "lobster": 30, "binance": 5}
NS = 1_000_000_000


class DemoError(Exception):
    """A step failed; the message names the step and where to look."""


class DemoInputError(DemoError):
    """Bad settings or missing recorded data (exit 2: nothing was started)."""


@dataclass(frozen=True)
class Plan:
    out: Path
    wall_s: float
    speed: int
    source: str = "synthetic"
    data: Path | None = None  # where the recorded data is (None = ../shared/data)

    @property
    def sim_s(self) -> float:
        return self.wall_s * self.speed


@dataclass(frozen=True)
class Session:
    """What is traded: the symbol, the agreement's day and timezone, the window in UTC ns."""

    source: str
    symbol: str
    timezone: str
    day: str  # the trading day in the agreement's timezone
    start_ns: int  # obligation window start
    end_ns: int  # obligation window end (the venue's market ends here)
    venue_start_ns: int  # simulation time the venue starts at (pre-open before start_ns)
    label: str  # one line for the summary
    recording: tuple[Path, ...] = ()  # the cut recording the venue replays

    @property
    def replay(self) -> bool:
        return self.source != "synthetic"

    def local(self, ts_ns: int) -> datetime:
        return datetime.fromtimestamp(ts_ns / NS, ZoneInfo(self.timezone))

    def iso(self, ts_ns: int) -> str:
        secs, ns = divmod(ts_ns, NS)
        return datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{ns:09d}Z"


def _utc_ns(dt: datetime) -> int:
    d = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (d.days * 86_400 + d.seconds) * NS + d.microseconds * 1_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _say(text: str) -> None:
    print(text, flush=True)


# ------------------------------------------------------------------ sessions
def _synthetic_session(plan: Plan) -> Session:
    """Today (UTC) from 09:00 for `sim_s` simulated seconds on the synthetic symbol ABC."""
    day = datetime.now(UTC).date()
    start = _utc_ns(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))
    end = start + int(plan.sim_s * NS)
    return Session(
        "synthetic",
        "ABC",
        "UTC",
        day.isoformat(),
        start,
        end,
        start - int(PRE_OPEN_WALL_S * plan.speed * NS),
        "synthetic market ABC (seeded random walk with takers)",
    )


def _shared_data() -> Path:
    shared = os.environ.get("MMSLA_SHARED")
    return (Path(shared) if shared else REPO.parent / "shared") / "data"


def _find(plan: Plan, sub: str, patterns: tuple[str, ...], what: str) -> list[Path]:
    """The recorded files: DEMO_DATA (a file, or a folder with or without `sub`) or
    ../shared/data/<sub>. First pattern with matches wins; files sorted by name."""
    base = plan.data if plan.data is not None else _shared_data()
    if base.is_file():
        return [base]
    for folder in (base / sub, base):
        for pattern in patterns:
            found = sorted(folder.glob(pattern)) if folder.is_dir() else []
            if found:
                return found
    hint = "set DEMO_DATA to the folder or file" if plan.data is None else "check DEMO_DATA"
    raise DemoInputError(f"no {what} found under {base} ({hint})")


def _window(plan: Plan, first_ns: int, last_ns: int, round_s: int) -> tuple[int, int]:
    """Window [start, end): after the pre-open, rounded up to `round_s`, for `sim_s` seconds,
    cut to the recording's last whole second when the recording ends sooner."""
    step = round_s * NS
    start = -(-(first_ns + int(PRE_OPEN_WALL_S * plan.speed * NS)) // step) * step
    last = last_ns // NS * NS  # whole seconds: the agreement's window is HH:MM:SS
    end = min(start + int(plan.sim_s * NS), last)
    if end - start < 60 * NS:
        raise DemoInputError(
            "the obligation window must last at least a simulated minute: raise "
            "DEMO_SECONDS x DEMO_SPEED (or the recording ends too soon after the pre-open)"
        )
    return start, end


def _lobster_session(plan: Plan) -> Session:
    """AMZN (or whatever the sample names) from the open, cut at the window's end."""
    src = _find(plan, "lobster", ("*_5.zip", "*.zip", "*_message_*.csv"), "LOBSTER data")[0]
    message, orderbook, name = _lobster_texts(src)
    parts = name.split("_")
    try:
        symbol, day_text = parts[0], parts[1]
        day = date.fromisoformat(day_text)
    except (IndexError, ValueError):
        raise DemoInputError(f"{src}: not a LOBSTER file name (SYM_DATE_...)") from None
    tz = "America/New_York"
    midnight = _utc_ns(datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)))
    try:
        first_s = float(message[0].split(",", 1)[0])
        last_s = float(message[-1].split(",", 1)[0])
    except (IndexError, ValueError):
        raise DemoInputError(f"{src}: no LOBSTER messages") from None
    start, end = _window(plan, midnight + int(first_s * NS), midnight + int(last_s * NS), 60)
    # cut a little after the window's end, so the market is still live at the end
    cut_s = (end - midnight) / NS + max(2.0, 0.5 * plan.speed)
    keep = next(
        (i for i, line in enumerate(message) if float(line.split(",", 1)[0]) > cut_s),
        len(message),
    )
    rec = plan.out / "venue" / "recording"
    rec.mkdir(parents=True, exist_ok=True)
    lvl = name.rsplit("_", 1)[-1]
    stem = f"{symbol}_{day_text}_{int(first_s) * 1000}_{int(cut_s * 1000)}"
    msg_path = rec / f"{stem}_message_{lvl}.csv"
    msg_path.write_text("\n".join(message[:keep]) + "\n")
    (rec / f"{stem}_orderbook_{lvl}.csv").write_text("\n".join(orderbook[:keep]) + "\n")
    return Session(
        "lobster",
        symbol,
        tz,
        day.isoformat(),
        start,
        end,
        midnight + int(first_s * NS),
        f"LOBSTER {symbol} {day.isoformat()} (NASDAQ, recorded; {keep:,} events replayed)",
        (msg_path,),
    )


def _lobster_texts(src: Path) -> tuple[list[str], list[str], str]:
    """(message lines, orderbook lines, `SYM_DATE_..._N` name) of a LOBSTER zip or CSV pair."""
    try:
        if src.suffix == ".zip":
            with zipfile.ZipFile(src) as zf:
                names = zf.namelist()
                msg = next(n for n in names if "_message_" in n)
                book = next(n for n in names if "_orderbook_" in n)
                m_text, b_text = zf.read(msg).decode(), zf.read(book).decode()
        else:
            msg = src.name
            book = msg.replace("_message_", "_orderbook_")
            m_text, b_text = src.read_text(), src.with_name(book).read_text()
    except (OSError, StopIteration, zipfile.BadZipFile, UnicodeDecodeError) as e:
        raise DemoInputError(f"{src}: not a readable LOBSTER file: {e or 'missing member'}") from e
    message, orderbook = m_text.splitlines(), b_text.splitlines()
    if not message or len(message) != len(orderbook):
        raise DemoInputError(f"{src}: message and orderbook files differ in length")
    return message, orderbook, Path(msg).stem.replace("_message", "")


def _binance_session(plan: Plan) -> Session:
    """BTCUSDT from the capture's first snapshot; window in Singapore time (inside one day)."""
    files = _find(plan, "binance", ("spot_btcusdt_*.gz", "*.gz"), "Binance BTCUSDT capture")
    lines: list[str] = []
    try:
        for f in files:
            opener: Any = gzip.open if f.suffix == ".gz" else open
            with opener(f, "rt", encoding="utf-8") as fh:
                lines += [x for x in fh.read().splitlines() if x.strip()]
        ts = [int(x.split(" ", 1)[0]) for x in lines]
    except (OSError, ValueError, EOFError) as e:
        raise DemoInputError(f"{files[0].parent}: not a readable Binance capture: {e}") from e
    snap = next((i for i, x in enumerate(lines) if '"lastUpdateId"' in x), None)
    if snap is None:
        raise DemoInputError(f"{files[0].parent}: the capture has no depth snapshot")
    tz = "Asia/Singapore"
    start, end = _window(plan, ts[snap], ts[-1], 10)
    cut = end + int(max(2.0, 0.5 * plan.speed) * NS)
    rec = plan.out / "venue" / "recording"
    rec.mkdir(parents=True, exist_ok=True)
    path = rec / "spot_btcusdt.gz"
    kept = [x for x, t in zip(lines, ts, strict=True) if t <= cut]
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as fh:
        fh.write("\n".join(kept) + "\n")
    day = datetime.fromtimestamp(start / NS, ZoneInfo(tz)).date()
    if datetime.fromtimestamp(end / NS, ZoneInfo(tz)).date() != day:
        raise DemoInputError("the recorded span crosses midnight in Asia/Singapore")
    return Session(
        "binance",
        "BTCUSDT",
        tz,
        day.isoformat(),
        start,
        end,
        ts[snap],
        f"Binance spot BTCUSDT {day.isoformat()} (recorded feed; {len(kept):,} lines replayed)",
        (path,),
    )


def make_session(plan: Plan) -> Session:
    if plan.source == "lobster":
        return _lobster_session(plan)
    if plan.source == "binance":
        return _binance_session(plan)
    return _synthetic_session(plan)


# ------------------------------------------------------------------- configs
# Per source: the agreement fixture, the venue's symbol spec and the quoter's symbol and
# pricing in the instrument's own ticks and lots (AMZN: $0.0001 grid, 1 share; BTCUSDT:
# 0.01 USDT, 1e-8 BTC: the recordings' grids, which the replay requires).
_AGREEMENT = {
    "synthetic": FIXTURES / "demo" / "agreement.yaml",
    "lobster": FIXTURES / "demo" / "agreement-amzn.yaml",
    "binance": FIXTURES / "demo" / "agreement-btcusdt.yaml",
}
_REAL_VENUE_SYMBOL: dict[str, dict[str, Any]] = {
    "lobster": {"tick": "0.0001", "lot": "1", "maker_fee_bps": "-0.2", "taker_fee_bps": "0.3",
                "max_order_qty": "100000", "price_band_bps": "500",
                "mmp": {"max_fills": 50, "window_ms": 1000}},
    "binance": {"tick": "0.01", "lot": "0.00000001", "maker_fee_bps": "0", "taker_fee_bps": "1",
                "max_order_qty": "100", "price_band_bps": "500",
                "mmp": {"max_fills": 50, "window_ms": 1000}},
}  # fmt: skip
_REAL_QUOTER: dict[str, dict[str, Any]] = {
    "lobster": {
        "symbol": {"tick": "0.0001", "lot": "1"},
        "spread": {"model": "vol_scaled", "base_ticks": 800, "vol_mult": 6.0, "max_ticks": 2400},
        "volatility": {"half_life_s": 30, "initial_sigma_per_s": 0.0002},
        "skew": {"ticks_per_lot": 0.5, "max_ticks": 300},
        "min_width_ticks": 200,
        "ladder": {"levels": 3, "step_ticks": 100, "qty": "100", "qty_step": "100"},
        "requote": {"tolerance_ticks": 100, "max_age_s": 30},
        "risk": {"max_order_qty": 1000, "max_order_notional": 500000, "price_collar_bps": 500,
                 "max_net_qty": 2000, "max_gross_notional": 5000000},
    },
    "binance": {
        "symbol": {"tick": "0.01", "lot": "0.00000001"},
        "spread": {"model": "fixed", "spread_ticks": 4},
        "volatility": {"half_life_s": 30, "initial_sigma_per_s": 0.0002},
        "skew": {"ticks_per_lot": 0.000001, "max_ticks": 20},
        "min_width_ticks": 2,
        "ladder": {"levels": 3, "step_ticks": 2, "qty": "0.02", "qty_step": "0.02"},
        "requote": {"tolerance_ticks": 1, "max_age_s": 30},
        "risk": {"max_order_qty": 1, "max_order_notional": 200000, "price_collar_bps": 500,
                 "max_net_qty": 10, "max_gross_notional": 2000000},
    },
}  # fmt: skip


def _hms(dt: datetime) -> str:
    return dt.strftime("%H:%M:%S")


def _write_agreement(plan: Plan, session: Session) -> Path:
    """The source's demo agreement with its window cut to the simulated session."""
    raw = yaml.safe_load(_AGREEMENT[session.source].read_text())
    raw["window"]["start"] = _hms(session.local(session.start_ns))
    raw["window"]["end"] = _hms(session.local(session.end_ns))
    hours_touched = -(-(session.end_ns - session.start_ns) // (3600 * NS))
    raw["defaults"]["downtime"]["min_live_hours"] = int(hours_touched)
    path = plan.out / "config" / "agreement.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _write_configs(plan: Plan, session: Session) -> dict[str, Any]:
    """Venue and quoter configs for this run (free ports, files under `out`)."""
    fix_port, ev, ctl, rep = (_free_port() for _ in range(4))
    endpoints = {
        "events": f"tcp://127.0.0.1:{ev}",
        "control": f"tcp://127.0.0.1:{ctl}",
        "replay": f"tcp://127.0.0.1:{rep}",
    }
    venue = yaml.safe_load((FIXTURES / "venue" / "venue.yaml").read_text())
    venue["port"] = fix_port
    venue["states"] = {"path": str(plan.out / "venue" / "states.csv")}
    sym = session.symbol
    if session.replay:
        # A post-only order that would cross slides one tick behind the opposite best
        # instead of being rejected: at x30 (x5 on a one-tick BTCUSDT market) the book
        # often moves through our price before the requote lands.
        venue["post_only"] = "slide"
        venue["symbols"] = [{"symbol": sym, **_REAL_VENUE_SYMBOL[session.source]}]
        venue["market"] = {
            "source": "replay",
            "replay": {
                "format": session.source,
                "paths": [str(p) for p in session.recording],
                "symbol": sym,
                "speed": plan.speed,
                "queue_model": "conservative",
            },
        }
    else:
        # A calmer synthetic tape than the interactive example (a mid step every 0.5
        # simulated seconds): at x60 that is still ~120 market updates per wall second.
        venue["market"]["synthetic"]["dt_ms"] = 500
        # A simulated pre-open before the window, so the quote is up when the obligation starts.
        venue["clock"] = {
            "start": session.iso(session.venue_start_ns),
            "speed": plan.speed,
            "end": session.iso(session.end_ns),
        }
        # One scheduled stressed spell in the middle of the session (the monitor asks to widen).
        span = session.end_ns - session.start_ns
        venue["states"]["stressed"] = [
            {
                "start": session.iso(session.start_ns + int(span * 0.45)),
                "end": session.iso(session.start_ns + int(span * 0.5)),
                "symbol": sym,
                "reason": "scheduled data release",
            }
        ]
    venue_path = plan.out / "config" / "venue.yaml"
    venue_path.write_text(yaml.safe_dump(venue, sort_keys=False))

    quoter = yaml.safe_load((FIXTURES / "quoter" / "quoter.yaml").read_text())
    quoter["venue"]["port"] = fix_port
    if session.replay:
        q = _REAL_QUOTER[session.source]
        quoter["symbols"] = [{"symbol": sym, **q["symbol"]}]
        quoter["pricing"]["spread"] = q["spread"]
        quoter["pricing"]["volatility"] = q["volatility"]
        quoter["pricing"]["skew"] = q["skew"]
        quoter["pricing"]["min_width_ticks"] = q["min_width_ticks"]
        quoter["ladder"] = q["ladder"]
        quoter["requote"] = q["requote"]
        quoter["risk"]["default"] = q["risk"]
    agreement = _write_agreement(plan, session)
    quoter["agreement"] = str(agreement)
    # Quote far enough inside the max spread that losing the best level (one ladder
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


def _trade(plan: Plan, session: Session, cfg: dict[str, Any], procs: Processes) -> dict[str, Any]:
    out = plan.out
    kind = "replaying the recorded market" if session.replay else "synthetic market"
    start = session.local(session.venue_start_ns).strftime("%Y-%m-%d %H:%M:%S %Z")
    _say(f"[1/6] venue    {kind} {session.symbol}, simulated from {start} at x{plan.speed}")
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

    _say(f"[3/6] quoter   quoting {session.symbol} over FIX, events on ZeroMQ")
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
            _progress(session, cfg, state_dir)
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


def _progress(session: Session, cfg: dict[str, Any], state_dir: Path) -> None:
    q = _quoter_status(cfg["control"]) or {}
    m = _monitor_status(state_dir) or {}
    venue_ns = q.get("venue_ns")
    clock = session.local(venue_ns).strftime("%H:%M") if isinstance(venue_ns, int) else "--:--"
    symbol = session.symbol
    sym: dict[str, Any] = next((s for s in m.get("symbols", []) if s.get("symbol") == symbol), {})
    presence = sym.get("presence_pct")
    pres = "-" if presence is None else f"{presence:.2f}%"
    if not sym.get("eligible"):
        now = "pre-open"
    else:
        now = "valid" if sym.get("valid") else "INVALID " + "+".join(sym.get("reasons", []))
    pos = q.get("symbols", {}).get(symbol, {}).get("position", "?")
    total = q.get("pnl", {}).get("total")
    try:  # the status carries the exact decimal; two places are enough to watch it
        pnl = f"{Decimal(str(total)):.2f}"
    except (ArithmeticError, ValueError, TypeError):
        pnl = "?"
    _say(f"         sim {clock}  presence so far {pres}  now {now}  position {pos}  pnl {pnl}")


def _store_and_report(
    plan: Plan, session: Session, agreement_path: Path
) -> tuple[list[Path], dict[str, Any]]:
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
    pdfs = run_daily(db, agreement_path, date.fromisoformat(session.day), out / "reports")

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
    session: Session,
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
    _say(f"  source: {session.label}, x{plan.speed}")
    _say(
        f"  window: {session.day} {_hms(session.local(session.start_ns))}-"
        f"{_hms(session.local(session.end_ns))} {session.timezone}"
    )
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
    pos = final.get("symbols", {}).get(session.symbol, {}).get("position", "?")
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


def _check_data(plan: Plan) -> None:
    """Fail before anything is wiped or started when the recorded data is missing."""
    if plan.source == "lobster":
        _find(plan, "lobster", ("*_5.zip", "*.zip", "*_message_*.csv"), "LOBSTER data")
    elif plan.source == "binance":
        _find(plan, "binance", ("spot_btcusdt_*.gz", "*.gz"), "Binance BTCUSDT capture")


def run(plan: Plan) -> int:
    _check_data(plan)
    if plan.out.exists():
        shutil.rmtree(plan.out)
    for sub in ("config", "logs", "venue", "quoter", "monitor", "reports"):
        (plan.out / sub).mkdir(parents=True)
    started = time.monotonic()
    session = make_session(plan)
    window_s = (session.end_ns - session.start_ns) / NS
    what = "minutes" if window_s < 3 * 3600 and session.replay else "hours"
    amount = window_s / 60 if what == "minutes" else window_s / 3600
    _say(
        f"mmsla demo: {amount:.1f} simulated {what} of quoting {session.symbol} under an "
        f"obligation, in about {window_s / plan.speed + PRE_OPEN_WALL_S:.0f} s of wall time"
    )
    _say(f"  source: {session.label}")
    cfg = _write_configs(plan, session)
    with _processes(plan.out / "logs") as procs:
        final = _trade(plan, session, cfg, procs)
    pdfs, verdict = _store_and_report(plan, session, cfg["agreement"])
    _summary(plan, session, cfg["agreement"], final, pdfs, verdict)
    _say(f"(demo took {time.monotonic() - started:.0f} s)")
    return 0


def plan_from_env() -> Plan:
    source = os.environ.get("DEMO_SOURCE", "synthetic").strip().lower() or "synthetic"
    if source not in SOURCES:
        raise DemoInputError(f"DEMO_SOURCE must be one of {', '.join(SOURCES)}: {source!r}")
    try:
        wall_s = float(os.environ.get("DEMO_SECONDS", "120"))
        speed = int(os.environ.get("DEMO_SPEED", str(DEFAULT_SPEED[source])))
    except ValueError as e:
        raise DemoInputError(f"DEMO_SECONDS and DEMO_SPEED must be numbers: {e}") from None
    if not (wall_s > 0 and speed > 0 and math.isfinite(wall_s)):
        raise DemoInputError("DEMO_SECONDS and DEMO_SPEED must be positive")
    if source == "synthetic" and wall_s * speed > 3 * 3600:
        raise DemoInputError("DEMO_SECONDS x DEMO_SPEED must fit the 3-hour session window")
    out = Path(os.environ.get("DEMO_OUT", REPO / "demo-out")).resolve()
    data = os.environ.get("DEMO_DATA")
    return Plan(
        out=out,
        wall_s=wall_s,
        speed=speed,
        source=source,
        data=Path(data).expanduser().resolve() if data else None,
    )


def main() -> int:
    from mmsla.errors import MmslaError

    try:
        return run(plan_from_env())
    except DemoInputError as e:
        print(f"mmsla demo: {e}", file=sys.stderr)
        return 2
    except (DemoError, MmslaError) as e:
        print(f"mmsla demo: failed: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mmsla demo: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
