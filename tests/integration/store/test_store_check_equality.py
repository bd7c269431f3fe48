"""The obligation engine gives the same answer on store-loaded data as on the files themselves."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mmsla.agreement import load_agreement
from mmsla.io.tables import read_fills, read_market, read_quote_log, read_states
from mmsla.obligations import check
from mmsla.store import EventStore
from tests.conftest import FIXTURES, REPO

OBL = FIXTURES / "obligations"
EXAMPLES = sorted((REPO / "rules" / "examples").glob("*.yaml"))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> EventStore:
    db = tmp_path_factory.mktemp("eq") / "eq.duckdb"
    s = EventStore.open(db)
    with s.transaction():
        for kind in ("quotes", "market", "states", "fills"):
            s.ingest(kind, OBL / f"{kind}.csv")
    yield s  # type: ignore[misc]
    s.close()


@pytest.mark.parametrize("agreement_path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_whole_history_equal(store: EventStore, agreement_path: Path) -> None:
    agreement = load_agreement(agreement_path)
    from_files = check(
        agreement,
        read_quote_log(OBL / "quotes.csv"),
        market=read_market(OBL / "market.csv"),
        states=read_states(OBL / "states.csv"),
        fills=read_fills(OBL / "fills.csv"),
    )
    from_store = check(
        agreement,
        store.load_quotes(),
        market=store.load_market(),
        states=store.load_states(),
        fills=store.load_fills(),
    )
    assert from_store.days, "the fixture must produce evaluated days"
    assert from_store.to_json() == from_files.to_json()


def test_one_day_window_equal(store: EventStore) -> None:
    """A store query for one local day (plus the state carried in) equals the file check."""
    agreement = load_agreement(EXAMPLES[0])
    tz = ZoneInfo(agreement.timezone)
    all_days = check(agreement, read_quote_log(OBL / "quotes.csv")).days
    day: date = all_days[-1].day
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = start + timedelta(days=1)
    start_ns, end_ns = int(start.timestamp()) * 10**9, int(end.timestamp()) * 10**9
    quotes = store.load_quotes(start_ns=start_ns, end_ns=end_ns)
    everything = store.load_quotes()
    assert len({d.day for d in all_days}) >= 2  # the window really cuts something off
    assert sum(map(len, quotes.values())) < sum(map(len, everything.values()))
    assert all(int(q.ts_ns[1]) >= start_ns for q in quotes.values() if len(q) > 1)
    kwargs = {"first_day": day, "last_day": day}
    from_files = check(
        agreement,
        read_quote_log(OBL / "quotes.csv"),
        market=read_market(OBL / "market.csv"),
        states=read_states(OBL / "states.csv"),
        fills=read_fills(OBL / "fills.csv"),
        **kwargs,
    )
    from_store = check(
        agreement,
        quotes,
        market=store.load_market(start_ns=start_ns, end_ns=end_ns),
        states=store.load_states(start_ns=start_ns, end_ns=end_ns),
        fills=store.load_fills(start_ns=start_ns, end_ns=end_ns),
        **kwargs,
    )
    assert from_store.to_json() == from_files.to_json()


def test_record_breaches_is_idempotent_per_day(store: EventStore) -> None:
    agreement = load_agreement(EXAMPLES[0])
    result = check(
        agreement,
        store.load_quotes(),
        market=store.load_market(),
        states=store.load_states(),
        fills=store.load_fills(),
    )
    want = [
        (d.symbol, d.day, b.start_ns, b.end_ns, [r.value for r in b.reasons], b.forgiven)
        for d in result.days
        for b in d.breaches
    ]
    assert want, "the fixture must contain breaches"
    assert store.record_breaches(result, source="unit") == len(want)
    assert store.record_breaches(result, source="unit") == len(want)  # replaces, no dupes
    rows = store.con.execute(
        "SELECT symbol, day, ts_start, ts_end, reasons, forgiven FROM breaches "
        "WHERE agreement_id = ? ORDER BY symbol, ts_start",
        [agreement.id],
    ).fetchall()
    assert [tuple(r) for r in rows] == sorted([tuple(w) for w in want], key=lambda w: (w[0], w[2]))
