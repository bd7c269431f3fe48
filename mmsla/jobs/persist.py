"""Write job results into the store's job tables, replacing earlier runs of the same key.

Keys: (agreement id, version, day, symbol) for the daily tables and (agreement id,
version, month, symbol) for months. Each save deletes the key's rows and inserts
the new ones in one transaction, so re-running a job never duplicates. The
`figures` column holds each symbol's canonical JSON. Does not compute anything.
"""

from __future__ import annotations

from typing import Any

from mmsla.jobs.canonical import canonical_json
from mmsla.jobs.monthly import MonthToDate
from mmsla.jobs.obligation import ObligationDay, day_summary
from mmsla.jobs.pnl import PnlDay
from mmsla.store import EventStore


def save_obligation_day(store: EventStore, od: ObligationDay) -> int:
    """Store one row per symbol of `od`; returns the number of rows."""
    a = od.agreement
    tz_json = {d["symbol"]: d for d in od.figures["check"]["days"]}
    rows: list[list[Any]] = []
    for s in od.symbols:
        d = s.result
        figures = {
            "day": tz_json[d.symbol],
            "passed": d.passed,
            "without_states": day_summary(s.without_states),
        }
        rows.append(
            [
                a.id,
                a.version,
                od.day,
                d.symbol,
                d.passed,
                d.eligible_ns / 1e9,
                d.valid_ns / 1e9,
                d.presence_pct,
                len(d.breaches),
                canonical_json(figures),
            ]
        )
    with store.transaction():
        store.con.execute(
            "DELETE FROM job_obligation_days WHERE agreement_id = ? AND agreement_version = ? "
            "AND day = ?",
            [a.id, a.version, od.day],
        )
        if rows:
            store.con.executemany(
                "INSERT INTO job_obligation_days (agreement_id, agreement_version, day, symbol, "
                "passed, eligible_s, valid_s, presence_pct, breaches, figures) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
    return len(rows)


def save_pnl_day(store: EventStore, pd_: PnlDay) -> int:
    """Store one row per symbol and one for the whole book (symbol `*`)."""
    a = pd_.agreement
    rows: list[list[Any]] = []
    s = pd_.summary
    if s is not None:
        for sym in s.by_symbol:
            rows.append(
                [
                    a.id,
                    a.version,
                    pd_.day,
                    sym.symbol,
                    len(pd_.inventory[sym.symbol][0]) if sym.symbol in pd_.inventory else 0,
                    sym.realised,
                    sym.unrealised,
                    sym.net_fees,
                    sym.total,
                    canonical_json({"position": str(sym.position), "mark": str(sym.mark)}),
                ]
            )
        rows.append(
            [
                a.id,
                a.version,
                pd_.day,
                "*",
                s.n_fills,
                s.realised,
                s.unrealised,
                s.fees.net,
                s.total,
                canonical_json(s.to_dict()),
            ]
        )
    with store.transaction():
        store.con.execute(
            "DELETE FROM job_pnl_days WHERE agreement_id = ? AND agreement_version = ? AND day = ?",
            [a.id, a.version, pd_.day],
        )
        if rows:
            store.con.executemany(
                "INSERT INTO job_pnl_days (agreement_id, agreement_version, day, symbol, fills, "
                "realised, unrealised, net_fees, total, figures) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?)",
                rows,
            )
    return len(rows)


def save_month(store: EventStore, mtd: MonthToDate) -> int:
    a = mtd.agreement
    needs = {n.symbol: n for n in mtd.needs}
    rows: list[list[Any]] = []
    for m in mtd.check.months:
        if m.month != mtd.month:
            continue
        figures = {
            "month": m.to_json(),
            "through": mtd.through.isoformat(),
            "need": needs[m.symbol].to_json() if m.symbol in needs else None,
        }
        rows.append(
            [
                a.id,
                a.version,
                m.month,
                m.symbol,
                m.mode,
                m.value,
                m.passed,
                m.days,
                canonical_json(figures),
            ]
        )
    with store.transaction():
        store.con.execute(
            "DELETE FROM job_months WHERE agreement_id = ? AND agreement_version = ? AND month = ?",
            [a.id, a.version, mtd.month],
        )
        if rows:
            store.con.executemany(
                "INSERT INTO job_months (agreement_id, agreement_version, month, symbol, mode, "
                "value_pct, passed, days, figures) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
    return len(rows)
