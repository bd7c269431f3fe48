"""`mmsla research`: model studies (the A-S table, option chains, an options backtest, intensity).

Each command reads its inputs, calls a pure function in `mmsla.research` (or the
quoter's pricing maths, wired here in the composition root) and prints a table
or JSON. Bad input is a one-line `InputError`, never a traceback.
"""

from __future__ import annotations

import json

import click


@click.group("research")
def research() -> None:
    """Model studies: the Avellaneda-Stoikov table, option chain IVs, intensity fits."""


@research.command("as-table")
@click.option("--runs", type=click.IntRange(min=2), default=1000, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--independent",
    is_flag=True,
    help="Plain independent runs instead of antithetic pairs (noisier inventory mean).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows instead of a table.")
def as_table_cmd(runs: int, seed: int, independent: bool, as_json: bool) -> None:
    """Reproduce the Avellaneda-Stoikov (2008) simulation table."""
    from mmsla.research.as_table import PUBLISHED, as_table, symmetric_closed_form

    rows = as_table(runs=runs, seed=seed, antithetic=not independent)
    if as_json:
        click.echo(json.dumps({"runs": runs, "seed": seed, "rows": [r.to_dict() for r in rows]}))
        return
    click.echo(f"Avellaneda-Stoikov 2008 table, {runs} runs, seed {seed} (paper in brackets)")
    head = f"{'gamma':>6} {'strategy':<10} {'spread':>13} {'profit':>14} {'std':>12} "
    click.echo(head + f"{'q mean':>14} {'q std':>12}")
    for r in rows:
        ps, pm, psd, qm, qsd = PUBLISHED.get((r.gamma, r.strategy), (float("nan"),) * 5)
        click.echo(
            f"{r.gamma:>6g} {r.strategy:<10} {r.spread:>6.3f} ({ps:>4.2f}) "
            f"{r.profit_mean:>6.2f} ({pm:>5.1f}) {r.profit_std:>5.2f} ({psd:>4.1f}) "
            f"{r.q_mean:>6.3f} ({qm:>5.2f}) {r.q_std:>5.2f} ({qsd:>4.1f})"
        )
    # The symmetric strategy's exact moments: what its simulated row estimates.
    for gamma in dict.fromkeys(r.gamma for r in rows):
        cf = symmetric_closed_form(gamma)
        click.echo(
            f"closed form, gamma {gamma:g} symmetric: profit {cf.profit_mean:.2f} "
            f"std {cf.profit_std:.2f}, q mean 0, q std {cf.q_std:.2f}"
        )


def _iso_date(value: str | None, option: str = "--date") -> str | None:
    """Accept YYYY-MM-DD or MM/DD/YYYY; return ISO or raise a one-line usage error."""
    if value is None:
        return None
    from datetime import datetime

    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(value, fmt).strftime("%Y-%m-%d")
        except ValueError:
            continue
    raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option)


@research.command("iv-chain")
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False), help="Chain CSV.")
@click.option("--date", "date", default=None, help="Only this quote date (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def iv_chain_cmd(data: str, date: str | None, fmt: str) -> None:
    """Implied vols from mid prices, parity forward, smile and vendor comparison per expiry."""
    from dataclasses import asdict

    import numpy as np

    from mmsla.errors import InputError
    from mmsla.research.option_chain import read_chain
    from quoter.pricing.chain import analyse_expiry, compare_ivs

    want = _iso_date(date)
    slices = [s for s in read_chain(data) if want is None or s.quote_date == want]
    if not slices:
        raise InputError(data, f"no option quotes on {want}" if want else "no option quotes")
    done = [
        (s, analyse_expiry(s.strike, s.is_call, s.bid, s.ask, s.t_y, s.vendor_iv)) for s in slices
    ]
    pooled = [
        (a.iv, s.vendor_iv, a.liquid_ntm)
        for s, a in done
        if a is not None and s.vendor_iv is not None
    ]
    overall = None
    if pooled:
        ours, vendor, liquid = (np.concatenate(x) for x in zip(*pooled, strict=True))
        overall = compare_ivs(ours, vendor, liquid)

    if fmt == "json":
        rows: list[dict[str, object]] = []
        for s, a in done:
            row: dict[str, object] = {
                "quote_date": s.quote_date,
                "expiry": s.expiry,
                "t_y": s.t_y,
                "underlying": s.underlying,
                "n_options": len(s),
            }
            if a is None:
                row["skipped"] = "no parity fit (expired or too few two-sided strikes)"
            else:
                row.update(
                    forward=a.fit.forward,
                    discount=a.fit.discount,
                    rate=a.fit.rate,
                    parity_strikes=a.fit.n_strikes,
                    parity_rms=a.fit.rms_residual,
                    n_iv=int(np.isfinite(a.iv).sum()),
                    atm_iv=float(a.smile.iv_at(a.fit.forward)),
                    vs_vendor=None if a.vs_vendor is None else asdict(a.vs_vendor),
                )
                if want is not None:
                    row["smile"] = [
                        [float(k), float(v)]
                        for k, v in zip(a.smile.strikes, a.smile.ivs, strict=True)
                    ]
            rows.append(row)
        doc = {
            "data": data,
            "slices": rows,
            "vs_vendor_overall": None if overall is None else asdict(overall),
        }
        click.echo(json.dumps(doc))
        return

    click.echo(
        f"{'date':<10} {'expiry':<10} {'days':>4} {'spot':>8} {'forward':>8} {'rate%':>6} "
        f"{'atm_iv%':>7} {'n_iv':>5} {'vendor_n':>8} {'med|d|pt':>8} {'mean_d_pt':>9}"
    )
    for s, a in done:
        head = f"{s.quote_date:<10} {s.expiry:<10} {round(s.t_y * 365):>4} {s.underlying:>8.2f}"
        if a is None:
            click.echo(f"{head}  skipped: no parity fit (expired or too few two-sided strikes)")
            continue
        v = a.vs_vendor
        tail = "-".rjust(8) + " " + "-".rjust(8) + " " + "-".rjust(9)
        if v is not None:
            tail = f"{v.n:>8} {100 * v.median_abs_diff:>8.2f} {100 * v.mean_diff:>9.2f}"
        atm = float(a.smile.iv_at(a.fit.forward))
        n_iv = int(np.isfinite(a.iv).sum())
        fwd = f"{a.fit.forward:>8.2f} {100 * a.fit.rate:>6.2f}"
        click.echo(f"{head} {fwd} {100 * atm:>7.2f} {n_iv:>5} {tail}")
        if want is not None:
            click.echo("  smile (out-of-the-money side): strike iv%")
            for k, iv in zip(a.smile.strikes, a.smile.ivs, strict=True):
                click.echo(f"  {k:>8g} {100 * iv:6.2f}")
    if overall is not None:
        click.echo(
            f"vendor comparison (liquid, |ln K/F| <= 5%): n={overall.n} "
            f"median |ours - vendor| = {100 * overall.median_abs_diff:.2f} vol pt, "
            f"mean {100 * overall.mean_diff:+.2f} pt, p90 {100 * overall.p90_abs_diff:.2f} pt"
        )


@research.command("options-backtest")
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False), help="Chain CSV.")
@click.option("--expiry", default=None, help="The expiry to trade (YYYY-MM-DD); needed if several.")
@click.option(
    "--vega-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Max |book vega| per vol point, in money (multiplier included); default none.",
)
@click.option(
    "--hedge-threshold",
    type=click.FloatRange(min=0),
    default=100.0,
    show_default=True,
    help="Delta-hedge the excess over this |delta| (underlying units).",
)
@click.option("--no-hedge", is_flag=True, help="Do not delta-hedge.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def options_backtest_cmd(
    data: str,
    expiry: str | None,
    vega_limit: float | None,
    hedge_threshold: float,
    no_hedge: bool,
    fmt: str,
) -> None:
    """End-of-day options market making over one expiry's recorded chain snapshots.

    Fills are the ones end-of-day data can show (the next snapshot trading through a
    stale quote), so the PnL is an overnight adverse-selection stress figure.
    """
    from decimal import Decimal

    from mmsla.errors import InputError
    from mmsla.research.option_chain import read_chain
    from quoter.backtest.chain_backtest import (
        ChainBacktestConfig,
        chain_report,
        format_chain_report,
        run_chain_backtest,
    )

    slices = read_chain(data)
    expiries = sorted({s.expiry for s in slices})
    want = _iso_date(expiry, "--expiry")
    if want is None:
        if len(expiries) != 1:
            listed = ", ".join(expiries) if expiries else "none"
            raise InputError(data, f"several expiries, pick one with --expiry ({listed})")
        want = expiries[0]
    chosen = [s for s in slices if s.expiry == want]
    if not chosen:
        raise InputError(data, f"no snapshots of expiry {want} (have {', '.join(expiries)})")
    cfg = ChainBacktestConfig(
        max_abs_vega_per_pt=vega_limit,
        hedge_threshold=None if no_hedge else Decimal(str(hedge_threshold)),
    )
    try:
        result = run_chain_backtest(chosen, cfg)
    except ValueError as e:
        raise InputError(data, str(e)) from None
    if fmt == "json":
        click.echo(json.dumps(chain_report(result)))
    else:
        click.echo(format_chain_report(result))


@research.command("intensity")
@click.option(
    "--data",
    "paths",
    required=True,
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Recorded market file(s); Binance files are read in the order given.",
)
@click.option("--format", "fmt", type=click.Choice(["binance", "lobster"]), required=True)
@click.option(
    "--step",
    "step_ticks",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Grid step in ticks.",
)
@click.option(
    "--max-depth",
    "max_depth_ticks",
    type=click.IntRange(min=1),
    default=None,
    help="Near-mid range in ticks.",
)
@click.option("--min-count", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def intensity_cmd(
    paths: tuple[str, ...],
    fmt: str,
    step_ticks: int,
    max_depth_ticks: int | None,
    min_count: int,
    as_json: bool,
) -> None:
    """Fit lambda(delta) = A exp(-k delta) from a recorded market's trades and mid."""
    import numpy as np

    from mmsla.errors import InputError
    from mmsla.research.intensity import calibrate

    if fmt == "binance":
        from mmsla.io.binance import read_binance

        market = read_binance(list(paths))
    else:
        from mmsla.io.lobster import read_lobster

        if len(paths) != 1:
            raise click.BadParameter("LOBSTER takes one --data file", param_hint="--data")
        market = read_lobster(paths[0])
    book, trades = market.book, market.trades
    if len(book) == 0 or len(trades) == 0:
        raise InputError(paths[0], "no book frames or no trades to calibrate on")
    tick = float(book.tick)
    two_sided = (book.bid_qty[:, 0] > 0) & (book.ask_qty[:, 0] > 0)
    mid = np.where(two_sided, (book.bid_px[:, 0] + book.ask_px[:, 0]) / 2.0 * tick, np.nan)
    try:
        fit = calibrate(
            trades.ts_ns,
            np.asarray(trades.px * float(trades.tick), dtype=np.float64),
            trades.side,
            book.ts_ns,
            mid,
            step_ticks * tick,
            max_depth_px=None if max_depth_ticks is None else max_depth_ticks * tick,
            min_count=min_count,
        )
    except ValueError as e:
        raise InputError(paths[0], str(e)) from None
    doc = {
        "symbol": book.symbol,
        "a_per_s": fit.a_per_s,
        "k_per_px": fit.k_per_px,
        "n_trades": fit.n_trades,
        "duration_s": fit.duration_s,
        "grid_points": int(fit.depth_px.size),
        "r2": fit.r2,
        "gaps": len(market.gaps),
    }
    if as_json:
        click.echo(json.dumps(doc))
        return
    click.echo(
        f"{book.symbol}: A = {fit.a_per_s:.4g} /s, k = {fit.k_per_px:.4g} /price unit "
        f"({fit.n_trades} trades over {fit.duration_s:.1f} s, {fit.depth_px.size} grid points, "
        f"R^2 {fit.r2:.3f})"
    )
