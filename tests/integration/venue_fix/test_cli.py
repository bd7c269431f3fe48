"""`mmsla venue run` as a real process: FIX members trade, SIGINT logs them out, exit 0."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

from mmsla.io.tables import read_market
from tests.conftest import REPO, shared_path
from tests.integration.venue_fix.harness import FixMember
from tests.integration.venue_fix.test_market_data_and_sessions import md_request
from tests.integration.venue_fix.test_order_entry import nos

CONFIG = """
host: 127.0.0.1
port: 0
members:
  - {comp_id: MM1, password: pw1}
symbols:
  - {symbol: ABC, tick: "0.01", lot: "1", maker_fee_bps: "-0.2", taker_fee_bps: "0.5"}
market: {source: none}
states: {path: states.csv}
"""


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "mmsla", "venue", "run", *args]


def test_run_serves_members_and_shuts_down_cleanly_on_sigint(tmp_path: Path) -> None:
    cfg = tmp_path / "venue.yaml"
    cfg.write_text(CONFIG)

    async def main() -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            *_cmd("--config", str(cfg), "--market-out", str(tmp_path / "bbo.csv")),
            cwd=REPO,
            stderr=asyncio.subprocess.PIPE,
        )
        assert proc.stderr is not None
        lines: list[str] = []
        while True:
            line = (await asyncio.wait_for(proc.stderr.readline(), 20)).decode()
            assert line, "venue exited before listening: " + "".join(lines)
            lines.append(line)
            if "listening on" in line:
                break
        port = int(line.split("listening on 127.0.0.1:")[1].split()[0].rstrip(";"))
        mm1 = FixMember("MM1", "MM1", "pw1", port)
        assert await mm1.logon()
        mm1.send("V", md_request("md", ["ABC"]))
        await mm1.next("W")
        mm1.send("D", nos("o1", "1", "99.98", "3"))
        assert (await mm1.next("8")).values[150] == "0"
        await mm1.next("X")
        proc.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(proc.wait(), 20)
        rest = (await proc.stderr.read()).decode()
        assert mm1.session.logout_text == "venue shutting down"
        await mm1.close()
        return code, "".join(lines) + rest

    code, log = asyncio.run(main())
    assert code == 0, log
    for expected in ("logon MM1", "shutting down", "logout MM1", "disconnect MM1", "venue stopped"):
        assert f"venue: {expected}" in log
    assert "Traceback" not in log
    market = read_market(tmp_path / "bbo.csv")["ABC"]
    # the bid rested, then left with cancel-on-disconnect at shutdown
    assert market.px_scale == 2
    assert market.bid_px.tolist() == [9998, 0] and market.bid_qty.tolist() == [3, 0]
    assert "cancel-on-disconnect MM1: 1 orders cancelled" in log
    assert (tmp_path / "states.csv").read_text().startswith("start,end,symbol,state,reason")


def test_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    cfg = tmp_path / "venue.yaml"
    cfg.write_text(CONFIG.replace('tick: "0.01"', 'tick: "-1"'))
    res = subprocess.run(_cmd("--config", str(cfg)), capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [f"{cfg}: symbols.0.tick: must be positive"]
    missing = subprocess.run(
        _cmd("--config", str(tmp_path / "nope.yaml")), capture_output=True, text=True, cwd=REPO
    )
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    good = tmp_path / "good.yaml"
    good.write_text(CONFIG)
    port = subprocess.run(
        _cmd("--config", str(good), "--port", "70000"),
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert port.returncode == 2 and "'--port'" in port.stderr
    assert "internal error" not in port.stderr


def test_binance_replay_runs_to_the_end_with_zero_gaps(tmp_path: Path) -> None:
    feed = [
        shared_path("data", "binance", "spot_btcusdt_20240808.gz"),
        shared_path("data", "binance", "spot_btcusdt_20240809.gz"),
    ]
    cfg = tmp_path / "venue.yaml"
    cfg.write_text(
        "port: 0\nmembers: [{comp_id: MM1, password: pw1}]\n"
        'symbols: [{symbol: BTCUSDT, tick: "0.01", lot: "0.00000001"}]\n'
        "market:\n  source: replay\n  replay:\n    format: binance\n"
        f"    paths: [{feed[0]}, {feed[1]}]\n    symbol: BTCUSDT\n    speed: max\n"
    )
    res = subprocess.run(
        _cmd("--config", str(cfg), "--exit-when-done", "--market-out", str(tmp_path / "bbo.csv")),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert "market data finished" in res.stderr
    bbo = read_market(tmp_path / "bbo.csv")["BTCUSDT"]
    from mmsla.io.binance import read_binance

    rec = read_binance(feed, depth=20)
    assert rec.gaps == ()
    # the venue's BBO file changes exactly when the recorded best bid/offer changes
    b = rec.book
    bid = b.bid_px[:, 0]
    ask = b.ask_px[:, 0]
    bq = b.bid_qty[:, 0]
    aq = b.ask_qty[:, 0]
    changes = 1 + int(
        (
            (bid[1:] != bid[:-1])
            | (ask[1:] != ask[:-1])
            | (bq[1:] != bq[:-1])
            | (aq[1:] != aq[:-1])
        ).sum()
    )
    assert len(bbo.bid_px) == changes


def test_accelerated_synthetic_session_runs_on_sim_time_and_closes_at_end(tmp_path: Path) -> None:
    # 10 simulated minutes at x300 take about 2 s of wall time; the BBO file is on sim time.
    cfg = tmp_path / "venue.yaml"
    cfg.write_text(
        CONFIG.replace(
            "market: {source: none}",
            "market: {source: synthetic, synthetic: {symbol: ABC, mid_px: '100.00', seed: 3}}",
        )
        + 'clock: {start: "2026-11-24T08:00:00Z", speed: 300, end: "2026-11-24T08:10:00Z"}\n'
    )
    proc = subprocess.run(
        [
            *_cmd(
                "--config", str(cfg), "--market-out", str(tmp_path / "bbo.csv"), "--exit-when-done"
            )
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    bbo = read_market(tmp_path / "bbo.csv")["ABC"]
    start = 1_795_507_200 * 10**9
    # the venue closes the market when its clock passes `end` (within one second of it)
    assert bbo.ts_ns[0] >= start and bbo.ts_ns[-1] <= start + 601 * 10**9
    assert bbo.ts_ns[-1] - bbo.ts_ns[0] > 500 * 10**9  # most of the ten simulated minutes
