"""Jobs over a real DuckDB store: figures equal `check` on the files, idempotent saves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from mmsla.agreement import load_agreement
from mmsla.domain.agreement import Agreement
from mmsla.errors import InputError
from mmsla.io.tables import read_fills, read_market, read_quote_log, read_states
from mmsla.jobs import (
    run_month,
    run_obligation_day,
    run_pnl_day,
    save_month,
    save_obligation_day,
    save_pnl_day,
)
from mmsla.obligations import CheckResult, check
from mmsla.store import EventStore
from tests.conftest import REPO

DATA = REPO / "fixtures" / "obligations"
AGREEMENT = REPO / "rules" / "examples" / "xetra-designated-sponsor.yaml"
D1, D2 = date(2026, 11, 23), date(2026, 11, 24)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventStore]:
    s = EventStore.open(tmp_path_factory.mktemp("jobs") / "store.duckdb")
    with s.transaction():
        for kind in ("quotes", "market", "states", "fills"):
            s.ingest(kind, DATA / f"{kind}.csv")
    yield s
    s.close()


@pytest.fixture(scope="module")
def agreement() -> Agreement:
    return load_agreement(str(AGREEMENT))


def file_check(agreement: Agreement, first: date, last: date, states: bool = True) -> CheckResult:
    return check(
        agreement,
        read_quote_log(str(DATA / "quotes.csv")),
        market=read_market(str(DATA / "market.csv")),
        states=read_states(str(DATA / "states.csv")) if states else [],
        fills=read_fills(str(DATA / "fills.csv")),
        first_day=first,
        last_day=last,
    )


@pytest.mark.parametrize("day", [D1, D2])
def test_daily_figures_equal_check_on_the_files(
    store: EventStore, agreement: Agreement, day: date
) -> None:
    od = run_obligation_day(store, agreement, day)
    assert od.check.to_json() == file_check(agreement, day, day).to_json()
    assert od.without_states.to_json() == file_check(agreement, day, day, False).to_json()
    assert [s.result.symbol for s in od.symbols] == ["ABC"]
    # the chart timeline covers exactly the eligible time the engine counted
    tl = od.symbols[0].timeline
    assert int((tl.end_ns - tl.start_ns).sum()) == od.check.days[0].eligible_ns
    # ... and its valid segments (forgiven refresh-after-fill stretches included) add up
    # to the engine's valid time
    assert int((tl.end_ns - tl.start_ns)[tl.valid].sum()) == od.check.days[0].valid_ns


def test_obligation_save_is_idempotent(store: EventStore, agreement: Agreement) -> None:
    od = run_obligation_day(store, agreement, D1)
    q = (
        "SELECT agreement_id, agreement_version, day, symbol, passed, presence_pct, breaches, "
        "CAST(figures AS VARCHAR) FROM job_obligation_days ORDER BY day, symbol"
    )
    save_obligation_day(store, od)
    first = store.con.execute(q).fetchall()
    save_obligation_day(store, run_obligation_day(store, agreement, D1))
    assert store.con.execute(q).fetchall() == first
    d = od.check.days[0]
    rows = [r for r in first if r[2] == D1]
    assert len(rows) == 1
    assert rows[0][4] is d.passed and rows[0][5] == d.presence_pct
    assert rows[0][6] == len(d.breaches)


def test_pnl_job_and_idempotent_save(store: EventStore, agreement: Agreement) -> None:
    p = run_pnl_day(store, agreement, D1)
    assert p.summary is not None
    lines = (DATA / "fills.csv").read_text().splitlines()[1:]
    assert p.summary.n_fills == sum(1 for ln in lines if ln.startswith("2026-11-23"))
    fees = sum(Fraction(ln.split(",")[5]) for ln in lines if ln.startswith("2026-11-23"))
    assert Fraction(p.summary.fees.net) == fees
    assert p.summary.total == p.summary.realised + p.summary.unrealised - p.summary.fees.net
    q = "SELECT day, symbol, fills, total FROM job_pnl_days ORDER BY day, symbol"
    save_pnl_day(store, p)
    once = store.con.execute(q).fetchall()
    save_pnl_day(store, run_pnl_day(store, agreement, D1))
    assert store.con.execute(q).fetchall() == once
    assert [r[1] for r in once] == ["*", "ABC", "XYZ"]
    assert once[0][3] == p.summary.total


def test_month_equals_check_and_needs(store: EventStore, agreement: Agreement) -> None:
    mtd = run_month(store, agreement, "2026-11")
    ref = file_check(agreement, D1, D2)
    assert [m.to_json() for m in mtd.check.months] == [m.to_json() for m in ref.months]
    assert mtd.through == D2
    # trading days left in November after the 24th: 25, 26, 27, 30
    assert [d.isoformat() for d in mtd.remaining] == [
        "2026-11-25",
        "2026-11-26",
        "2026-11-27",
        "2026-11-30",
    ]
    # mean_of_daily: needed x on each of r days: (sum + r x) / (n + r) = 90%
    done = [Fraction(d.presence_num, d.presence_den) for d in ref.days]
    needed = (Fraction(90, 100) * (len(done) + 4) - sum(done)) / 4
    (need,) = mtd.needs
    assert need.needed_pct == pytest.approx(float(needed * 100))
    assert need.status == ("out_of_reach" if needed > 1 else "open")
    save_month(store, mtd)
    save_month(store, mtd)
    rows = store.con.execute("SELECT month, symbol, value_pct FROM job_months").fetchall()
    assert rows == [("2026-11", "ABC", ref.months[0].value)]


def test_unknown_and_non_trading_days_are_input_errors(
    store: EventStore, agreement: Agreement
) -> None:
    with pytest.raises(InputError, match="no quotes on 2026-11-30"):
        run_obligation_day(store, agreement, date(2026, 11, 30))
    with pytest.raises(InputError, match="not a trading day"):
        run_obligation_day(store, agreement, date(2026, 11, 22))
    with pytest.raises(InputError, match="no quotes in 2026-10"):
        run_month(store, agreement, "2026-10")
    with pytest.raises(InputError, match="not a month"):
        run_month(store, agreement, "2026-13")


def test_fixture_path_exists() -> None:
    assert isinstance(DATA, Path) and (DATA / "quotes.csv").is_file()


def test_pnl_equals_analytics_on_every_mid_row(store: EventStore, agreement: Agreement) -> None:
    """Dropping repeated mids (a speed-up) leaves every PnL figure unchanged."""
    from zoneinfo import ZoneInfo

    from mmsla.analytics import summarise
    from mmsla.jobs import pnl
    from mmsla.obligations.calendar import local_ns

    tz = ZoneInfo(agreement.timezone)
    start, end = local_ns(tz, D2, 0), local_ns(tz, D2, 86400)
    every = pnl._mids(store, start, end)
    assert len(pnl.mid_changes(every)) < len(every)  # the fixture has repeated mids
    ref = summarise(pnl._fills(store, start, end), every, interval_ns=pnl.INTERVAL_NS)
    got = run_pnl_day(store, agreement, D2).summary
    assert got is not None and got.to_dict() == ref.to_dict()


@pytest.mark.parametrize(
    "monthly",
    [
        "monthly: {mode: pooled_time, min_pct: 30}",
        "monthly: {mode: qualifying_days, daily_min_pct: 40, min_days_pct: 50}",
    ],
)
def test_month_needs_other_modes(store: EventStore, tmp_path: Path, monthly: str) -> None:
    text = AGREEMENT.read_text()
    head = text[: text.index("monthly:")]
    path = tmp_path / "agreement.yaml"
    path.write_text(head + monthly + "\n")
    agreement = load_agreement(str(path))
    mtd = run_month(store, agreement, "2026-11")
    ref = file_check(agreement, D1, D2)
    assert [m.to_json() for m in mtd.check.months] == [m.to_json() for m in ref.months]
    (need,) = mtd.needs
    assert need.remaining_days == 4
    if agreement.monthly is not None and agreement.monthly.mode == "pooled_time":
        # 4 remaining days of 09:00-17:30 minus two 2-minute exclusions (no DST change)
        rest_ns = 4 * (8 * 3600 + 26 * 60) * 10**9
        valid = sum(d.valid_ns for d in ref.days)
        eligible = sum(d.eligible_ns for d in ref.days)
        needed = (Fraction(30, 100) * (eligible + rest_ns) - valid) / rest_ns
        assert need.needed_pct == pytest.approx(float(needed * 100))
        assert need.status == "open"
    else:
        # the 23rd qualifies (42.2% >= 40), the 24th does not: 50% of 6 days = 3, so 2 more
        assert [d.presence_pct is not None and d.presence_pct >= 40 for d in ref.days] == [
            True,
            False,
        ]
        assert need.needed_days == 2 and need.status == "open"


def test_run_daily_and_last_quoted_day(store: EventStore, tmp_path: Path) -> None:
    from mmsla.jobs import last_quoted_day, run_daily

    db = tmp_path / "s.duckdb"
    with EventStore.open(db) as s, s.transaction():
        for kind in ("quotes", "market", "states", "fills"):
            s.ingest(kind, DATA / f"{kind}.csv")
    day = last_quoted_day(db, AGREEMENT)
    assert day == D2
    paths = run_daily(db, AGREEMENT, day, tmp_path / "out", html=True)
    assert [p.name for p in paths] == [
        f"xetra-ds-abc-{D2}-obligations.html",
        f"xetra-ds-abc-{D2}-pnl.html",
    ]
    assert "Daily obligation report" in paths[0].read_text()
    with EventStore.open(db) as s:
        rows = s.con.execute("SELECT count(*) FROM job_obligation_days").fetchall()
        pnl_rows = s.con.execute("SELECT count(*) FROM job_pnl_days").fetchall()
    assert rows == [(1,)] and pnl_rows == [(3,)]
