"""`mmsla backtest`: replay a recorded market through the venue core against the live quoter core.

Reads the backtest config (`quoter.backtest.config`) and the recording (LOBSTER,
Binance), runs `quoter.backtest.Backtest`, and prints: the replay figures, PnL
(`mmsla.analytics.summarise` on the fills and the recorded mids), the fills, the
inventory path and, with `--agreement`, the obligation verdict of the quote log
(`mmsla.obligations.check` on the written files, as `mmsla check` would). The
exit code is 0 whatever the verdict (the backtest ran); 2 for bad input.
`--format json` prints the same figures as one JSON object.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd

_NS_PER_MIN = 60 * 1_000_000_000


def pnl_summary(
    fills_path: Path, market_path: Path, tick: Decimal, lot: Decimal, start_ns: int, end_ns: int
) -> dict[str, Any]:
    """PnL, fills and inventory path of a backtest's fills CSV, marked at the market file's mids."""
    from mmsla.analytics import summarise

    fills = pd.read_csv(fills_path, dtype=str, keep_default_na=False)
    fills["ts"] = fills["ts"].astype(np.int64)
    mkt = pd.read_csv(market_path, dtype={"symbol": str})
    mkt = mkt[mkt["bid_px"].notna() & mkt["ask_px"].notna()]
    mids = pd.DataFrame(
        {
            "ts": mkt["ts"].to_numpy(np.int64),
            "symbol": mkt["symbol"].to_numpy(),
            "mid": (mkt["bid_px"].to_numpy(np.float64) + mkt["ask_px"].to_numpy(np.float64)) / 2,
        }
    )
    if len(fills) == 0:
        return {
            "fills": 0,
            "buys": 0,
            "sells": 0,
            "realised": "0",
            "unrealised": "0",
            "fees": "0",
            "total": "0",
            "notional": "0",
            "position": "0",
            "inventory": None,
        }
    s = summarise(fills, mids, start_ns=start_ns, end_ns=end_ns)
    # summarise marks at a float mid; a mid is a multiple of tick/2, so the exact
    # unrealised PnL is a multiple of tick * lot / 2: round the float noise away
    exp = (tick * lot / 2).normalize().as_tuple().exponent
    assert isinstance(exp, int)
    unrealised = s.unrealised.quantize(Decimal(1).scaleb(exp))
    total = s.realised + unrealised - s.fees.net
    side = fills["side"].str.lower()
    signed = [
        Decimal(q) if sd == "buy" else -Decimal(q) for q, sd in zip(fills["qty"], side, strict=True)
    ]
    path: list[Decimal] = []
    pos = Decimal(0)
    for d in signed:
        pos += d
        path.append(pos)
    inv = s.inventory[0] if s.inventory else None
    return {
        "fills": s.n_fills,
        "buys": int((side == "buy").sum()),
        "sells": int((side == "sell").sum()),
        "maker": int((fills.get("liquidity", pd.Series(dtype=str)) == "maker").sum()),
        "realised": str(s.realised),
        "unrealised": str(unrealised),
        "fees": str(s.fees.net),
        "total": str(total),
        "notional": str(s.notional_traded),
        "position": str(path[-1]),
        "inventory": {
            "min": str(min(path)),
            "max": str(max(path)),
            "final": str(path[-1]),
            "tw_mean": None if inv is None else inv.tw_mean_qty,
            "tw_mean_abs": None if inv is None else inv.tw_mean_abs_qty,
        },
    }


def _verdict(agreement_path: str, out: Path) -> dict[str, Any]:
    from mmsla.agreement import load_agreement
    from mmsla.io.tables import read_fills, read_market, read_quote_log
    from mmsla.obligations import check as run_check

    agreement = load_agreement(agreement_path)
    quotes = read_quote_log(out / "quotes.csv")
    if not quotes:
        return {"id": agreement.id, "pass": False, "detail": "no quote rows"}
    result = run_check(
        agreement,
        quotes,
        market=read_market(out / "market.csv"),
        fills=read_fills(out / "fills.csv"),
    )
    days = [
        {
            "date": d.day.isoformat(),
            "symbol": d.symbol,
            "presence": d.presence_pct,
            "pass": d.passed,
        }
        for d in result.days
    ]
    return {
        "id": result.agreement_id,
        "version": result.agreement_version,
        "pass": result.passed,
        "days": days,
    }


@click.command("backtest")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False))
@click.option(
    "--data",
    "data_paths",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="recorded market file(s); Binance days in order",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["lobster", "binance", "synthetic"]),
    default="lobster",
    show_default=True,
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False), default="var/backtest", show_default=True
)
@click.option("--agreement", "agreement_path", type=click.Path(dir_okay=False))
@click.option(
    "--minutes",
    type=click.FloatRange(min=0, min_open=True),
    help="replay only the first M minutes of the recording",
)
@click.option("--events", is_flag=True, help="also write every published event to events.jsonl")
@click.option(
    "--output", "output_fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def backtest(
    config_path: str,
    data_paths: tuple[str, ...],
    fmt: str,
    seed: int,
    out_dir: str,
    agreement_path: str | None,
    minutes: float | None,
    events: bool,
    output_fmt: str,
) -> None:
    """Replay a recorded market against the live quoter core; print PnL and the verdict."""
    from mmsla.io.books import read_book
    from quoter.backtest import Backtest, load_backtest_config
    from quoter.backtest.runner import head_market
    from quoter.venue.replay import lobster_phases

    config = load_backtest_config(config_path)
    if fmt == "synthetic":
        if data_paths or minutes is not None:
            raise click.UsageError(
                "--format synthetic takes no --data or --minutes (see synthetic.duration_s)"
            )
        if config.synthetic is None:
            raise click.UsageError(f"{config_path}: --format synthetic needs a synthetic: section")
    elif not data_paths:
        raise click.UsageError(f"--format {fmt} needs --data")
    if agreement_path is not None:
        from mmsla.agreement import load_agreement

        load_agreement(agreement_path)  # bad agreement: fail before the run
    market = None if fmt == "synthetic" else read_book(list(data_paths), fmt)
    phases: list[Any] = []
    if fmt == "lobster":
        from mmsla.io.lobster import read_lobster_halts

        phases = lobster_phases([(h.ts_ns, h.kind) for h in read_lobster_halts(data_paths[0])])
    if minutes is not None and market is not None:
        market = head_market(market, int(minutes * _NS_PER_MIN))
    out = Path(out_dir)
    inst = config.quoter.symbols[0].instrument
    result = Backtest(config, market, out_dir=out, seed=seed, phases=phases, events=events).run()
    report: dict[str, Any] = {
        "symbol": config.quoter.symbols[0].symbol,
        "seed": seed,
        "frames": result.frames,
        "trades": result.trades,
        "market_events": result.market_events,
        "messages": result.messages,
        "start_ns": result.start_ns,
        "end_ns": result.end_ns,
        "quote_rows": result.quote_rows,
        "wall_s": round(result.wall_s, 3),
        "events_per_s": round(result.market_events / result.wall_s) if result.wall_s else None,
        "out": str(out),
        "pnl": pnl_summary(
            result.fills_path,
            result.market_path,
            inst.tick,
            inst.lot,
            result.start_ns,
            result.end_ns,
        ),
    }
    if agreement_path is not None:
        report["agreement"] = _verdict(agreement_path, out)
    if output_fmt == "json":
        click.echo(json.dumps(report))
        return
    p = report["pnl"]
    click.echo(
        f"backtest {report['symbol']} seed {seed}: {result.frames} frames + {result.trades} "
        f"trades in {result.wall_s:.2f} s ({report['events_per_s']} events/s), "
        f"{result.messages} FIX messages, {result.quote_rows} quote rows -> {out}"
    )
    click.echo(
        f"pnl: realised {p['realised']}  unrealised {p['unrealised']}  fees {p['fees']}  "
        f"total {p['total']}"
    )
    click.echo(
        f"fills: {p['fills']} ({p['buys']} buys, {p['sells']} sells), notional {p['notional']}"
    )
    inv = p["inventory"]
    if inv is not None:
        click.echo(
            f"inventory: final {inv['final']}  min {inv['min']}  max {inv['max']}  "
            f"time-weighted mean {inv['tw_mean']:.4g}  mean |q| {inv['tw_mean_abs']:.4g}"
        )
    else:
        click.echo("inventory: flat (no fills)")
    if agreement_path is not None:
        a = report["agreement"]
        verdict = "PASS" if a["pass"] else "FAIL"
        days = ", ".join(
            f"{d['date']} {d['presence']:.2f}%" if d["presence"] is not None else d["date"]
            for d in a.get("days", [])
        )
        click.echo(f"agreement {a['id']}: {verdict}" + (f" (presence {days})" if days else ""))
