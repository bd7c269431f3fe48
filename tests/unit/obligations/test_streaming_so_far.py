"""The streaming driver's incremental presence (`so_far`) against the O(day) evaluation.

Rows, market rows and states are fed as a live monitor feeds them (states still
in force given as open, pushed once they end) and at random instants the
incremental figures must equal `day_so_far` on everything buffered, exactly;
the finished day must still equal `mmsla check`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmsla.io.tables import MarketArrays, QuoteArrays, StateInterval
from mmsla.obligations import StreamingEvaluator, check
from tests.unit.obligations.builders import agreement, market, quotes, ts

DAY = date(2026, 11, 24)
W0, W1 = 1800, 5400  # window 00:30-01:30 UTC, in seconds after midnight
TERMS: dict[str, Any] = {
    "max_spread": {"value": 1.0, "unit": "pct"},
    "min_size": {"qty": 50},
    "presence": {"min_pct": 50},
    "refresh_after_fill": {"grace_s": 3},
}
WINDOW = {"start": "00:30", "end": "01:30", "exclude": [{"start": "01:00", "end": "01:05"}]}
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

price = st.integers(min_value=9900, max_value=10100).map(lambda c: f"{Decimal(c) / 100:.2f}")
size = st.sampled_from(["0", "49", "50", "100"])
# instants cluster around the window start and the 01:00-01:05 exclusion so stretches,
# grace periods and snapshot samples straddle the calls often
second = st.builds(
    lambda base, off: base + off, st.sampled_from([W0, 3600, 3900]), st.integers(-8, 12)
)
event = st.sampled_from(["quote", "fill", "fill", "cancel"])
# half the rows are a valid quote, so invalid stretches start (at fills, too) often
good = st.tuples(second, st.just("99.95"), st.just("100"), st.just("100.05"), st.just("100"), event)
row = st.one_of(
    good,
    st.tuples(second, st.one_of(st.none(), price), size, st.one_of(st.none(), price), size, event),
)
# one interval per state name at most (a monitor has one open interval per name)
states_st = st.dictionaries(
    st.sampled_from(["halt", "stressed", "auction"]),
    st.tuples(second, st.integers(1, 12)),
    max_size=3,
)
mrow = st.one_of(
    st.tuples(second, st.just("99.96"), st.just("100.04")),
    st.tuples(second, st.one_of(st.none(), price), st.one_of(st.none(), price)),
)


def _drive(
    ev: StreamingEvaluator,
    q: QuoteArrays,
    m: MarketArrays | None,
    states: list[StateInterval],
    stops: list[int],
) -> int:
    """Feed everything up to each stop, then compare `so_far` with `day_so_far`."""
    qi = mi = 0
    pushed: set[int] = set()
    checked = 0
    for stop in sorted(stops):
        now = ts(DAY, stop)
        qj = int(np.searchsorted(q.ts_ns, now, side="right"))
        if qj > qi:
            sl = slice(qi, qj)
            ev.push_quotes(
                q.ts_ns[sl], q.bid_px[sl], q.bid_qty[sl], q.ask_px[sl], q.ask_qty[sl], q.is_fill[sl]
            )
            qi = qj
        if m is not None:
            mj = int(np.searchsorted(m.ts_ns, now, side="right"))
            if mj > mi:
                sl = slice(mi, mj)
                ev.push_market(m.ts_ns[sl], m.bid_px[sl], m.ask_px[sl], m.bid_ok[sl], m.ask_ok[sl])
                mi = mj
        open_states = {}
        for k, s in enumerate(states):
            if s.end_ns <= now and k not in pushed:
                ev.push_state(s)
                pushed.add(k)
            elif s.start_ns <= now < s.end_ns:
                open_states[s.state] = s.start_ns
        got = ev.so_far(DAY, now, open_states)
        want = ev.day_so_far(DAY, now, open_states)
        assert (got.eligible_ns, got.valid_ns) == (want.eligible_ns, want.valid_ns), stop
        assert (got.samples_eligible, got.samples_valid) == (
            want.samples_eligible,
            want.samples_valid,
        ), stop
        assert got.presence_pct == want.presence_pct
        checked += 1
    return checked


def _rows(raw: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    out = sorted(raw, key=lambda r: r[0])
    return [(ts(DAY, r[0]), *r[1:]) for r in out]


def _states(raw: dict[str, tuple[int, int]]) -> list[StateInterval]:
    return [StateInterval(ts(DAY, a), ts(DAY, a + n), None, s) for s, (a, n) in raw.items()]


@FAST
@given(st.lists(row, max_size=40), states_st, st.lists(second, min_size=1, max_size=25))
def test_incremental_presence_equals_the_day_so_far(
    raw: list[tuple[Any, ...]], raw_states: dict[str, tuple[int, int]], stops: list[int]
) -> None:
    a = agreement(TERMS, window=WINDOW)
    q = quotes("X", _rows(raw))
    sts = _states(raw_states)
    ev = StreamingEvaluator(a, "X", px_scale=q.px_scale, qty_scale=q.qty_scale)
    assert _drive(ev, q, None, sts, [*stops, W1 + 60]) >= 2
    for s in sts:
        if s.end_ns > ts(DAY, W1 + 60):
            ev.push_state(s)
    (batch_day,) = check(a, {"X": q}, states=sts, first_day=DAY, last_day=DAY).days
    assert ev.close_day(DAY) == batch_day


@FAST
@given(
    st.lists(row, max_size=30),
    st.lists(mrow, max_size=15),
    states_st,
    st.lists(second, min_size=1, max_size=20),
)
def test_incremental_snapshot_presence_with_market_equals_the_day_so_far(
    raw: list[tuple[Any, ...]],
    mraw: list[tuple[int, str | None, str | None]],
    raw_states: dict[str, tuple[int, int]],
    stops: list[int],
) -> None:
    terms = {**TERMS, "max_spread": {"value": 1.0, "unit": "pct", "reference": "market_mid"}}
    a = agreement(terms, window=WINDOW, measurement={"mode": "snapshot", "interval_s": 2})
    q = quotes("X", _rows(raw))
    m = market("X", [(ts(DAY, t), b, k) for t, b, k in sorted(mraw, key=lambda r: r[0])])
    ev = StreamingEvaluator(a, "X", px_scale=q.px_scale, qty_scale=q.qty_scale)
    assert _drive(ev, q, m, _states(raw_states), stops) >= 1


@pytest.mark.parametrize("snapshot", [False, True])
def test_grace_of_a_stretch_open_across_calls_is_decided_when_it_ends(snapshot: bool) -> None:
    # a fill at 00:40:00 leaves one side empty; the refresh comes 2 s or 5 s later (grace 3 s)
    extra = {"measurement": {"mode": "snapshot", "interval_s": 2}} if snapshot else {}
    a = agreement(TERMS, window=WINDOW, **extra)
    base = 2400  # a sample instant (600 s after the window start)
    for gap, forgiven in ((2, True), (5, False)):
        q = quotes(
            "X",
            [
                (ts(DAY, W0), "99.90", "100", "100.10", "100", "quote"),
                (ts(DAY, base), "99.90", "100", None, None, "fill"),
                (ts(DAY, base + gap), "99.90", "100", "100.10", "100", "quote"),
            ],
        )
        ev = StreamingEvaluator(a, "X", px_scale=q.px_scale, qty_scale=q.qty_scale)
        ev.push_quotes(
            q.ts_ns[:2], q.bid_px[:2], q.bid_qty[:2], q.ask_px[:2], q.ask_qty[:2], q.is_fill[:2]
        )
        one = ev.so_far(DAY, ts(DAY, base + 1))
        assert one.presence_num == one.presence_den  # within grace so far: counted valid
        ev.push_quotes(
            q.ts_ns[2:], q.bid_px[2:], q.bid_qty[2:], q.ask_px[2:], q.ask_qty[2:], q.is_fill[2:]
        )
        two = ev.so_far(DAY, ts(DAY, base + 10))
        assert two == ev.so_far(DAY, ts(DAY, base + 10))  # asking again changes nothing
        want = ev.day_so_far(DAY, ts(DAY, base + 10))
        assert (two.presence_num, two.presence_den) == (want.presence_num, want.presence_den)
        lost = 0 if forgiven else (3 if snapshot else gap * 1_000_000_000)  # samples +0, +2, +4
        assert two.presence_num == two.presence_den - lost


def test_a_row_before_the_last_call_starts_the_tally_over() -> None:
    a = agreement(TERMS, window=WINDOW)
    q = quotes(
        "X",
        [
            (ts(DAY, W0), "99.90", "100", "100.10", "100", "quote"),
            (ts(DAY, W0 + 10), "99.90", "100", None, None, "quote"),
        ],
    )
    ev = StreamingEvaluator(a, "X", px_scale=q.px_scale, qty_scale=q.qty_scale)
    ev.push_quotes(q.ts_ns[:1], q.bid_px[:1], q.bid_qty[:1], q.ask_px[:1], q.ask_qty[:1])
    assert ev.so_far(DAY, ts(DAY, W0 + 60)).valid_ns == 60 * 1_000_000_000
    # a late row for 00:30:10 (before the last call at 00:31:00): still exact
    ev.push_quotes(q.ts_ns[1:], q.bid_px[1:], q.bid_qty[1:], q.ask_px[1:], q.ask_qty[1:])
    assert ev.so_far(DAY, ts(DAY, W0 + 60)).valid_ns == 10 * 1_000_000_000
