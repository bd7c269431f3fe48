"""Template contexts for the daily obligation, PnL and monthly reports, built from job results.

Everything a template shows is decided here: formatted figures, verdict words,
chart SVGs (via `mmsla.report.svg`), the evidence block (sha256 of every input
file from the store's provenance and of the report's canonical figures) and
the exact `mmsla check` command to reproduce. Templates only lay it out.
Does not evaluate obligations (the jobs did) or write files.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from mmsla import __version__
from mmsla.domain.agreement import Agreement, Terms
from mmsla.domain.reasons import Reason
from mmsla.jobs.canonical import figures_sha256
from mmsla.jobs.inputs import input_files
from mmsla.jobs.monthly import MonthToDate
from mmsla.jobs.obligation import ObligationDay, SymbolDay
from mmsla.jobs.pnl import PnlDay
from mmsla.obligations.calendar import local_ns
from mmsla.obligations.result import reasons_of
from mmsla.report.svg import Series, Tick, as_img, status_timeline, step_chart
from mmsla.store import EventStore

NS = 1_000_000_000
LONGEST_LISTED = 6
FILES_INLINE = 12  # more input files than this: per-kind manifests, the list in an appendix
CHECK_NOTE = (
    "the output of the mmsla check command below with each day's breaches list replaced by "
    "its summary (count, total and longest seconds per reason set), plus each instrument's "
    "headline figures with market states ignored (daily report) or what the remaining "
    "trading days need (monthly report)"
)
PNL_NOTE = "the PnL summary of mmsla.analytics (decimals as strings) for the day"
INVENTORY_LINES = 6
DASHES: tuple[str | None, ...] = (None, "4 2", "1 2", "6 2 1 2")


def pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}%"


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def dur(seconds: float) -> str:
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s" if m else f"{seconds:.1f}s"


def money(v: Decimal | str | None) -> str:
    if v is None:
        return "-"
    d = Decimal(v).quantize(Decimal("0.01"))
    return f"{d:,}"


def num(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def _local(ts_ns: int, tz: ZoneInfo, fmt: str = "%H:%M:%S") -> str:
    return datetime.fromtimestamp(ts_ns / NS, tz=tz).strftime(fmt)


def hour_ticks(t0: int, t1: int, tz: ZoneInfo) -> list[Tick]:
    """Local clock ticks over [t0, t1]: every 30 min up to 3 h, hourly up to 12 h, then 2 h/6 h;
    the first tick is t0 itself, and no tick sits closer than a twelfth of the span to it."""
    span_s = (t1 - t0) / NS
    step_min = 30 if span_s <= 3 * 3600 else 60 if span_s <= 12 * 3600 else 120
    if span_s > 24 * 3600:
        step_min = 360
    quarter = 900 * NS
    out = [Tick(t0, _local(t0, tz, "%H:%M"))]
    for t in range((t0 // quarter + 1) * quarter, t1, quarter):
        local = datetime.fromtimestamp(t // NS, tz=tz)
        on_step = (local.hour * 60 + local.minute) % step_min == 0 and local.second == 0
        if on_step and (t - t0) * 12 > t1 - t0:
            out.append(Tick(t, local.strftime("%H:%M")))
    return out


def terms_lines(terms: Terms) -> list[str]:
    """`key: a=1 b=2` per configured term (None = not configured)."""
    out = []
    for f in dataclasses.fields(terms):
        value = getattr(terms, f.name)
        if value is None:
            continue
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            parts = [f"{k}={v}" for k, v in dataclasses.asdict(value).items() if v is not None]
            out.append(f"{f.name}: {' '.join(parts)}")
        else:
            out.append(f"{f.name}: {value}")
    return out


def _clock(secs: int) -> str:
    """Seconds after local midnight as HH:MM, or HH:MM:SS when the seconds matter."""
    hm = f"{secs // 3600:02d}:{secs % 3600 // 60:02d}"
    return hm if secs % 60 == 0 else f"{hm}:{secs % 60:02d}"


def header(agreement: Agreement, title: str, period: str) -> dict[str, Any]:
    w = agreement.window
    return {
        "title": title,
        "agreement_id": agreement.id,
        "version": agreement.version,
        "agreement_title": agreement.title or "",
        "counterparty": agreement.counterparty or "-",
        "period": period,
        "timezone": agreement.timezone,
        "window": f"{_clock(w.start_s)}-{_clock(w.end_s)}",
        "excludes": ", ".join(f"{_clock(e.start_s)}-{_clock(e.end_s)}" for e in w.exclude)
        or "none",
        "measurement": agreement.measurement.mode,
        "monthly": "-" if agreement.monthly is None else agreement.monthly.mode,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version_sw": __version__,
    }


def _limit_chart(
    sd: SymbolDay,
    agreement: Agreement,
    t0: int,
    t1: int,
    ticks: list[Tick],
    shade: list[tuple[int, int]],
) -> tuple[str | None, str | None]:
    q = sd.quotes
    if q is None or len(q) == 0:
        return None, None
    terms = agreement.terms_for(sd.result.symbol)
    inst = agreement.instrument(sd.result.symbol)
    ts = np.maximum(q.ts_ns, t0)
    px_div, qty_div = float(10**q.px_scale), float(10**q.qty_scale)
    bid = q.bid_px[:, 0] / px_div
    ask = q.ask_px[:, 0] / px_div
    bq = q.bid_qty[:, 0] / qty_div
    aq = q.ask_qty[:, 0] / qty_div
    two = (bq > 0) & (aq > 0)
    spread_chart = size_chart = None
    ms = terms.max_spread
    if ms is not None:
        if ms.unit in ("pct", "bps"):
            mid = (bid + ask) / 2
            y = np.where(two & (mid > 0), (ask - bid) / np.where(mid > 0, mid, 1) * 1e4, np.nan)
            unit, limit = "bps of mid", float(ms.value) * (100 if ms.unit == "pct" else 1)
        elif ms.unit == "ticks" and inst.tick_size:
            y = np.where(two, (ask - bid) / float(inst.tick_size), np.nan)
            unit, limit = "ticks", float(ms.value)
        else:
            y = np.where(two, ask - bid, np.nan)
            unit, limit = "price", float(ms.value)
        spread_chart = step_chart(
            f"{sd.result.symbol} spread",
            t0,
            t1,
            [Series("our spread", ts, y)],
            ticks,
            y_label=f"spread ({unit})",
            limit=limit,
            limit_label=f"max spread {limit:g} {unit}",
            shade=shade,
            shade_label="stressed (limit x multiplier)",
        )
    size = terms.min_size
    if size is not None:
        if size.notional is not None:
            yb, ya = bq * bid, aq * ask
            unit, limit = "notional", float(size.notional)
        else:
            yb, ya = bq, aq
            unit, limit = "qty", float(size.qty or 0)
        size_chart = step_chart(
            f"{sd.result.symbol} size",
            t0,
            t1,
            [Series("bid", ts, yb), Series("ask", ts, ya, dash="2 2", colour="#666")],
            ticks,
            y_label=f"best size ({unit})",
            limit=limit,
            limit_label=f"min {limit:g} {unit}",
        )
    return spread_chart, size_chart


def _breaches(sd: SymbolDay, tz: ZoneInfo) -> dict[str, Any]:
    ep = sd.result.breaches
    n = len(ep)
    lengths = (ep.end_ns - ep.start_ns).astype(np.int64)
    by_reason = []
    masks = ep.mask.astype(np.int64)
    for m in np.unique(masks):
        sel = masks == m
        by_reason.append(
            {
                "reasons": ", ".join(r.value for r in reasons_of(int(m))),
                "count": int(sel.sum()),
                "total": dur(float(lengths[sel].sum()) / NS),
                "longest": dur(float(lengths[sel].max()) / NS),
            }
        )
    order = np.argsort(-lengths, kind="stable")[:LONGEST_LISTED]
    longest = [ep[int(k)] for k in sorted(order.tolist(), key=lambda k: int(ep.start_ns[k]))]
    return {
        "count": n,
        "total": dur(float(lengths.sum()) / NS) if n else "0s",
        "longest": dur(float(lengths.max()) / NS) if n else "-",
        "by_reason": by_reason,
        "listed": [
            {
                "start": _local(b.start_ns, tz),
                "end": _local(b.end_ns, tz),
                "duration": dur(b.duration_s),
                "reasons": ", ".join(r.value for r in b.reasons),
                "forgiven": "yes" if b.forgiven else "",
            }
            for b in longest
        ],
        "more": max(0, n - LONGEST_LISTED),
    }


def _obligation_rows(sd: SymbolDay) -> list[dict[str, str]]:
    d = sd.result
    rows = []
    if d.presence is not None:
        rows.append(
            {
                "name": "presence",
                "value": pct(d.presence.value),
                "limit": f">= {d.presence.min_pct}%",
                "verdict": verdict(d.presence.passed),
            }
        )
    if d.side_uptime is not None:
        su = d.side_uptime
        rows.append(
            {
                "name": "side uptime",
                "value": f"{pct(su.value)} (bid {pct(su.bid)}, ask {pct(su.ask)})",
                "limit": f">= {su.min_pct}%",
                "verdict": verdict(su.passed),
            }
        )
    if d.at_inside is not None:
        rows.append(
            {
                "name": "at inside",
                "value": pct(d.at_inside.value),
                "limit": f">= {d.at_inside.min_pct}%",
                "verdict": verdict(d.at_inside.passed),
            }
        )
    if d.downtime is not None:
        dt = d.downtime
        rows.append(
            {
                "name": "downtime",
                "value": f"{dt.live_hours}/{dt.hours} live hours, longest {dur(dt.longest_s)}",
                "limit": "live hours",
                "verdict": verdict(dt.passed),
            }
        )
    return rows


def data_quality(
    store: EventStore, start_ns: int, end_ns: int, tz: ZoneInfo, od: ObligationDay | None
) -> dict[str, Any]:
    alerts = store.con.execute(
        "SELECT ts, type, coalesce(symbol, '*'), coalesce(CAST(payload AS VARCHAR), '') "
        "FROM alerts WHERE type IN ('gap_detected', 'feed_stale') AND ts >= ? AND ts < ? "
        "ORDER BY ts LIMIT 50",
        [start_ns, end_ns],
    ).fetchall()
    late = store.con.execute(
        "SELECT symbol, count(*) FROM (SELECT symbol, ts, lag(ts) OVER (PARTITION BY file_id, "
        "symbol ORDER BY line) AS prev FROM quotes WHERE ts >= ? AND ts < ?) "
        "WHERE prev IS NOT NULL AND ts < prev GROUP BY symbol ORDER BY symbol",
        [start_ns, end_ns],
    ).fetchall()
    late_by_symbol = {str(sym): int(c) for sym, c in late}
    per_symbol = {}
    for sd in od.symbols if od is not None else ():
        ep = sd.result.breaches
        no_quote = (ep.mask.astype(np.int64) & Reason.NO_QUOTE.bit) != 0
        total = int((ep.end_ns - ep.start_ns)[no_quote].sum()) if len(ep) else 0
        per_symbol[sd.result.symbol] = {
            "no_quote": dur(total / NS),
            "late_rows": late_by_symbol.get(sd.result.symbol, 0),
        }
    return {
        "alerts": [
            {"time": _local(int(t), tz), "type": k, "symbol": s, "detail": p[:90]}
            for t, k, s, p in alerts
        ],
        "by_symbol": per_symbol,
    }


def evidence(
    store: EventStore,
    agreement: Agreement,
    start_ns: int,
    end_ns: int,
    figures: dict[str, Any],
    check_args: str,
    *,
    command: str | None = None,
    note: str = CHECK_NOTE,
) -> dict[str, Any]:
    """Provenance of the inputs, the figures' hash and how to reproduce them (`command`
    replaces the default `mmsla check ...` line)."""
    files = input_files(store, start_ns, end_ns)
    groups: dict[str, list[Any]] = {}
    for f in files:
        groups.setdefault(f.kind, [])
        groups[f.kind].append(f)
    cmd = [f"mmsla check --agreement {agreement.source or '<agreement file>'}"]
    for kind, flag in (
        ("quotes", "--quotes"),
        ("market", "--market"),
        ("states", "--states"),
        ("fills", "--fills"),
    ):
        if kind in groups:
            members = groups[kind]
            arg = (
                members[0].path
                if len(members) == 1
                else f"<the {len(members)} {kind} files, concatenated in ingest order>"
            )
            cmd.append(f"{flag} {arg}")
    cmd.append(check_args)
    return {
        "files": [
            {"kind": f.kind, "path": f.path, "sha256": f.sha256, "rows": f.rows} for f in files
        ],
        "kinds": [
            {
                "kind": kind,
                "files": len(members),
                "rows": sum(f.rows for f in members),
                "manifest_sha256": manifest_sha256([(f.sha256, f.path) for f in members]),
            }
            for kind, members in groups.items()
        ],
        "listed_inline": len(files) <= FILES_INLINE,
        "data_sha256": figures_sha256(figures),
        "command": command or " ".join(cmd),
        "note": note,
        "software": f"mmsla {__version__}",
    }


def manifest_sha256(entries: list[tuple[str, str]]) -> str:
    """sha256 of `sha256sum`-style lines `<sha256>  <path>\n` in the given (ingest) order."""
    text = "".join(f"{sha}  {path}\n" for sha, path in entries)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def daily_context(store: EventStore, od: ObligationDay) -> dict[str, Any]:
    a = od.agreement
    tz = ZoneInfo(a.timezone)
    t0, t1 = od.frame.start_ns, od.frame.end_ns
    ticks = hour_ticks(t0, t1, tz)
    instruments = []
    for sd in od.symbols:
        d = sd.result
        st = sd.timeline.stressed
        shade = list(
            zip(sd.timeline.start_ns[st].tolist(), sd.timeline.end_ns[st].tolist(), strict=True)
        )
        spread_svg, size_svg = _limit_chart(sd, a, t0, t1, ticks, _merge(shade))
        instruments.append(
            {
                "symbol": d.symbol,
                "verdict": verdict(d.passed),
                "eligible": dur(d.eligible_ns / NS),
                "valid": dur(d.valid_ns / NS),
                "presence": pct(d.presence_pct),
                "presence_plain": pct(sd.without_states.presence_pct),
                "eligible_plain": dur(sd.without_states.eligible_ns / NS),
                "verdict_plain": verdict(sd.without_states.passed),
                "tw_spread_bps": num(d.stats.tw_spread_bps),
                "tw_bid_qty": num(d.stats.tw_bid_qty, 0),
                "tw_ask_qty": num(d.stats.tw_ask_qty, 0),
                "obligations": _obligation_rows(sd),
                "terms": terms_lines(a.terms_for(d.symbol)),
                "timeline_svg": as_img(
                    status_timeline(
                        f"{d.symbol} status",
                        t0,
                        t1,
                        sd.timeline.start_ns,
                        sd.timeline.end_ns,
                        sd.timeline.valid,
                        ticks,
                    ),
                    "status timeline",
                ),
                "spread_svg": None if spread_svg is None else as_img(spread_svg, "spread chart"),
                "size_svg": None if size_svg is None else as_img(size_svg, "size chart"),
                "breaches": _breaches(sd, tz),
            }
        )
    figures = od.figures
    day = od.day.isoformat()
    return {
        "h": header(a, "Daily obligation report", day),
        "overall": verdict(all(sd.result.passed for sd in od.symbols)),
        "instruments": instruments,
        "states": [
            {
                "start": _local(s.start_ns, tz),
                "end": _local(s.end_ns, tz),
                "symbol": s.symbol or "*",
                "state": s.state,
                "reason": s.reason or "",
            }
            for s in od.states
        ],
        "quality": data_quality(store, t0, t1, tz, od),
        "evidence": evidence(store, a, t0, t1, figures, f"--from {day} --to {day} --format json"),
    }


def _merge(iv: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in iv:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def pnl_context(store: EventStore, p: PnlDay) -> dict[str, Any]:
    a = p.agreement
    tz = ZoneInfo(a.timezone)
    s = p.summary
    day = p.day.isoformat()
    ctx: dict[str, Any] = {"h": header(a, "Daily PnL report", day), "has_fills": s is not None}
    figures = p.figures
    if s is not None:
        t0, t1 = s.start_ns, max(s.end_ns, s.start_ns + 1)
        ticks = hour_ticks(t0, t1, tz)
        ctx["equity_svg"] = step_chart(
            "equity",
            t0,
            t1,
            [Series("PnL after fees", p.equity_ts, p.equity)],
            ticks,
            y_label="PnL",
        )
        biggest = sorted(p.inventory.items(), key=lambda kv: -float(np.max(np.abs(kv[1][1]))))[
            :INVENTORY_LINES
        ]
        ctx["inventory_note"] = (
            f"the {len(biggest)} largest of {len(p.inventory)} instruments by peak position"
            if len(p.inventory) > len(biggest)
            else ""
        )
        ctx["inventory_svg"] = as_img(
            step_chart(
                "inventory",
                t0,
                t1,
                [
                    Series(
                        sym,
                        ts,
                        pos,
                        dash=DASHES[k % len(DASHES)],
                        colour="#000" if k % 2 == 0 else "#666",
                    )
                    for k, (sym, (ts, pos)) in enumerate(sorted(biggest))
                ],
                ticks,
                y_label="position",
            ),
            "inventory chart",
        )
        ctx["equity_svg"] = as_img(ctx["equity_svg"], "PnL curve")
        ctx["rows"] = [
            ("fills", str(s.n_fills)),
            ("notional traded", money(s.notional_traded)),
            ("realised (FIFO)", money(s.realised)),
            ("unrealised at last mark", money(s.unrealised)),
            ("fees paid", money(s.fees.fees_paid)),
            ("rebates", money(s.fees.rebates)),
            ("net fees", money(s.fees.net)),
            ("total PnL", money(s.total)),
            ("max drawdown", num(s.max_drawdown.amount)),
            ("Sharpe (5-min intervals, annualised)", num(s.sharpe)),
            ("Sortino", num(s.sortino)),
            (
                "win rate (closing fills)",
                pct(None if s.win_rate_closes is None else s.win_rate_closes * 100),
            ),
            ("profit factor (closing fills)", num(s.profit_factor_closes)),
            ("spread capture (per unit)", num(s.spread_capture.per_unit, 4)),
            ("spread capture (total)", num(s.spread_capture.total)),
        ]
        ctx["markouts"] = [
            {
                "horizon": f"{m.horizon_s:g}s",
                "per_unit": num(m.per_unit, 4),
                "bps": num(m.bps),
                "total": num(m.total),
                "n": m.n,
            }
            for m in s.markouts
        ]
        ctx["by_symbol"] = [
            {
                "symbol": b.symbol,
                "position": f"{b.position.normalize():f}",
                "realised": money(b.realised),
                "unrealised": money(b.unrealised),
                "fees": money(b.net_fees),
                "total": money(b.total),
            }
            for b in s.by_symbol
        ]
    ctx["evidence"] = evidence(
        store,
        a,
        p.start_ns,
        p.end_ns,
        figures,
        "",
        command=f"mmsla report pnl --db {store.path} --agreement "
        f"{a.source or '<agreement file>'} --date {day} --out pnl.pdf",
        note=PNL_NOTE,
    )
    return ctx


def monthly_context(store: EventStore, m: MonthToDate) -> dict[str, Any]:
    a = m.agreement
    needs = {n.symbol: n for n in m.needs}
    rows = []
    for mr in m.check.months:
        n = needs.get(mr.symbol)
        if n is None or n.status == "final":
            need = "month complete"
        elif n.status == "secured":
            need = "secured: passes whatever the remaining days bring"
        elif n.status == "out_of_reach" and n.needed_days is not None:
            need = (
                f"out of reach: {n.needed_days} qualifying days needed, "
                f"{n.remaining_days} remaining"
            )
        elif n.status == "out_of_reach":
            need = (
                f"out of reach: would need {pct(n.needed_pct)} on each of "
                f"{n.remaining_days} remaining days"
            )
        elif n.needed_days is not None:
            need = f"{n.needed_days} of {n.remaining_days} remaining days must qualify"
        else:
            need = f"at least {pct(n.needed_pct)} on each of {n.remaining_days} remaining days"
        rows.append(
            {
                "symbol": mr.symbol,
                "mode": mr.mode,
                "value": pct(mr.value),
                "limit": f">= {mr.min_pct}%",
                "days": mr.days,
                "verdict": verdict(mr.passed),
                "need": need,
            }
        )
    days = [
        {
            "date": d.day.isoformat(),
            "symbol": d.symbol,
            "presence": pct(d.presence_pct),
            "breaches": len(d.breaches),
            "verdict": verdict(d.passed),
        }
        for d in m.check.days
    ]
    first = m.check.days[0].day.isoformat() if m.check.days else m.first.isoformat()
    tz = ZoneInfo(a.timezone)
    start = local_ns(tz, m.first, 0)
    end = local_ns(tz, m.through, 86400)
    return {
        "h": header(a, "Monthly obligation report", f"{m.month} (through {m.through})"),
        "rows": rows,
        "days": days,
        "remaining": ", ".join(d.isoformat() for d in m.remaining) or "none",
        "evidence": evidence(
            store,
            a,
            start,
            end,
            m.figures,
            f"--from {first} --to {m.through.isoformat()} --format json",
        ),
    }
