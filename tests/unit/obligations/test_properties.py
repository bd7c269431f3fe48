"""Property tests: the engine against a brute-force per-second reference, bookkeeping
identities, snapshot vs time-weighted, input order, and batch vs streaming drivers."""

from __future__ import annotations

import logging
import random
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmsla.io.tables import StateInterval, read_quote_log
from mmsla.obligations import StreamingEvaluator, check
from tests.unit.obligations.builders import NS, agreement, market, quotes, ts

DAY = date(2026, 11, 24)
W0, W1 = 1800, 5400  # window 00:30-01:30 UTC, in seconds after midnight
TERMS: dict[str, Any] = {
    "max_spread": {"value": 1.0, "unit": "pct"},
    "min_size": {"qty": 50},
    "max_size_divergence": {"pct": 50, "denominator": "smaller"},
    "presence": {"min_pct": 50},
    "refresh_after_fill": {"grace_s": 3},
}
WINDOW = {"start": "00:30", "end": "01:30", "exclude": [{"start": "01:00", "end": "01:05"}]}

price = st.integers(min_value=9900, max_value=10100).map(lambda c: f"{Decimal(c) / 100:.2f}")
size = st.sampled_from(["0", "10", "49", "50", "75", "100", "150"])
row = st.tuples(
    st.integers(min_value=W0 - 300, max_value=W1 + 60),
    st.one_of(st.none(), price),
    size,
    st.one_of(st.none(), price),
    size,
    st.sampled_from(["quote", "quote", "fill", "cancel"]),
)
rows_st = st.lists(row, min_size=0, max_size=40)
states_st = st.lists(
    st.tuples(
        st.integers(min_value=W0 - 100, max_value=W1),
        st.integers(min_value=1, max_value=900),
        st.sampled_from(["halt", "stressed", "auction"]),
    ),
    max_size=3,
)


def _rows(raw: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    out = sorted(raw, key=lambda r: r[0])  # stable: equal times keep their order
    return [(ts(DAY, r[0]), r[1], r[2], r[3], r[4], r[5]) for r in out]


def _states(raw: list[tuple[int, int, str]]) -> list[StateInterval]:
    return [StateInterval(ts(DAY, a), ts(DAY, a + n), None, s) for a, n, s in raw]


def _valid_at(r: tuple[Any, ...] | None, stressed: bool) -> bool:
    """Independent per-instant check with Decimals, straight from DESIGN.md section 6."""
    if r is None:
        return False
    bid = Decimal(r[1]) if r[1] is not None and Decimal(r[2]) > 0 else None
    ask = Decimal(r[3]) if r[3] is not None and Decimal(r[4]) > 0 else None
    if bid is None or ask is None or bid >= ask:
        return False
    bq, aq = Decimal(r[2]), Decimal(r[4])
    limit = Decimal("1.0") * (2 if stressed else 1)
    if (ask - bid) / ((ask + bid) / 2) * 100 > limit:
        return False
    if bq < 50 or aq < 50:
        return False
    return abs(bq - aq) <= min(bq, aq) / 2


def _brute_force(raw: list[tuple[Any, ...]], states: list[tuple[int, int, str]]) -> tuple[int, int]:
    """(eligible seconds, valid seconds) sampled each second (all inputs on whole seconds)."""
    ordered = sorted(raw, key=lambda r: r[0])
    eligible = valid = 0
    for t in range(W0, W1):
        if 3600 <= t < 3900:
            continue
        if any(s in ("halt", "auction") and a <= t < a + n for a, n, s in states):
            continue
        stressed = any(s == "stressed" and a <= t < a + n for a, n, s in states)
        current = None
        for r in ordered:
            if r[0] <= t:
                current = r
        eligible += 1
        valid += _valid_at(current, stressed)
    return eligible, valid


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(rows_st, states_st)
def test_matches_brute_force_and_identities(raw: list[tuple[Any, ...]], states: list[Any]) -> None:
    no_grace = agreement(
        {k: v for k, v in TERMS.items() if k != "refresh_after_fill"}, window=WINDOW
    )
    res = check(
        no_grace,
        {"X": quotes("X", _rows(raw))},
        states=_states(states),
        first_day=DAY,
        last_day=DAY,
    )
    (d,) = res.days
    eligible_s, valid_s = _brute_force(raw, states)
    assert d.eligible_ns == eligible_s * NS
    assert d.valid_ns == valid_s * NS
    # valid + invalid (breach episodes) = eligible
    assert d.valid_ns + sum(b.end_ns - b.start_ns for b in d.breaches) == d.eligible_ns
    # episodes are disjoint, ordered, non-empty, and touching ones differ in reasons
    for b1, b2 in pairwise(d.breaches):
        assert b1.end_ns <= b2.start_ns
        assert b1.end_ns < b2.start_ns or b1.reasons != b2.reasons
    assert all(b.reasons and b.end_ns > b.start_ns for b in d.breaches)


@FAST
@given(rows_st, states_st)
def test_grace_only_forgives_and_identity_holds(
    raw: list[tuple[Any, ...]], states: list[Any]
) -> None:
    with_grace = agreement(TERMS, window=WINDOW)
    q = {"X": quotes("X", _rows(raw))}
    kw = {"states": _states(states), "first_day": DAY, "last_day": DAY}
    (d,) = check(with_grace, q, **kw).days  # type: ignore[arg-type]
    unforgiven = sum(b.end_ns - b.start_ns for b in d.breaches if not b.forgiven)
    assert d.valid_ns + unforgiven == d.eligible_ns
    assert all(b.end_ns - b.start_ns <= 3 * NS for b in d.breaches if b.forgiven)
    plain = agreement({k: v for k, v in TERMS.items() if k != "refresh_after_fill"}, window=WINDOW)
    (p,) = check(plain, q, **kw).days  # type: ignore[arg-type]
    assert p.valid_ns <= d.valid_ns


@FAST
@given(rows_st, states_st)
def test_snapshot_converges_to_time_weighted(raw: list[tuple[Any, ...]], states: list[Any]) -> None:
    tw = agreement(TERMS, window=WINDOW)
    kw = {"states": _states(states), "first_day": DAY, "last_day": DAY}
    q = {"X": quotes("X", _rows(raw))}
    (d,) = check(tw, q, **kw).days  # type: ignore[arg-type]
    errors = []
    for interval in ("60", "10", "1", "0.5"):
        snap = agreement(
            TERMS, window=WINDOW, measurement={"mode": "snapshot", "interval_s": Decimal(interval)}
        )
        (s,) = check(snap, q, **kw).days  # type: ignore[arg-type]
        assert s.valid_ns == d.valid_ns and s.eligible_ns == d.eligible_ns
        if d.eligible_ns == 0:
            assert s.samples_eligible == 0
            continue
        errors.append(abs(s.presence_num / s.presence_den - d.valid_ns / d.eligible_ns))
    if errors:
        # with every event on a whole second, 1 s and 0.5 s samples are exact
        assert errors[2] == 0 and errors[3] == 0
        assert errors[0] <= 1.0


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(row, min_size=1, max_size=30, unique_by=lambda r: r[0]),
    st.randoms(use_true_random=False),
)
def test_shuffled_input_gives_the_same_answer(
    tmp_path: Path, raw: list[tuple[Any, ...]], rnd: random.Random
) -> None:
    a = agreement(TERMS, window=WINDOW)

    def write(name: str, rows: list[tuple[Any, ...]]) -> Path:
        path = tmp_path / name
        lines = ["ts,symbol,bid_px,bid_qty,ask_px,ask_qty,event"]
        for r in rows:
            bid, bq = ("", "") if r[1] is None else (r[1], r[2])
            ask, aq = ("", "") if r[3] is None else (r[3], r[4])
            lines.append(f"{ts(DAY, r[0])},X,{bid},{bq},{ask},{aq},{r[5]}")
        path.write_text("\n".join(lines) + "\n")
        return path

    ordered = sorted(raw, key=lambda r: r[0])
    shuffled = list(raw)
    rnd.shuffle(shuffled)
    kw = {"first_day": DAY, "last_day": DAY}
    one = check(a, read_quote_log(write("a.csv", ordered)), **kw).to_json()  # type: ignore[arg-type]
    two = check(a, read_quote_log(write("b.csv", shuffled)), **kw).to_json()  # type: ignore[arg-type]
    assert one == two


def test_out_of_order_rows_warn_once(tmp_path: Path, caplog: Any) -> None:
    path = tmp_path / "q.csv"
    path.write_text(
        "ts,symbol,bid_px,bid_qty,ask_px,ask_qty\n3,X,1,1,2,1\n1,X,1,1,2,1\n2,Y,1,1,2,1\n1,Y,1,1,2,1\n"
    )
    with caplog.at_level(logging.WARNING, logger="mmsla.io"):
        got = read_quote_log(path)
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert got["X"].ts_ns.tolist() == [1, 3] and got["Y"].ts_ns.tolist() == [1, 2]


@FAST
@given(rows_st, states_st, st.lists(st.integers(min_value=0, max_value=40), max_size=6))
def test_streaming_gives_the_batch_day(
    raw: list[tuple[Any, ...]], states: list[Any], cuts: list[int]
) -> None:
    a = agreement(TERMS, window=WINDOW)
    q = quotes("X", _rows(raw))
    sts = _states(states)
    (batch_day,) = check(a, {"X": q}, states=sts, first_day=DAY, last_day=DAY).days
    ev = StreamingEvaluator(a, "X", px_scale=q.px_scale, qty_scale=q.qty_scale)
    for s in sts:
        ev.push_state(s)
    bounds = sorted({0, len(q), *(min(c, len(q)) for c in cuts)})
    for lo, hi in pairwise(bounds):
        ev.push_quotes(
            q.ts_ns[lo:hi],
            q.bid_px[lo:hi],
            q.bid_qty[lo:hi],
            q.ask_px[lo:hi],
            q.ask_qty[lo:hi],
            q.is_fill[lo:hi],
        )
    assert ev.close_day(DAY) == batch_day


def test_streaming_status_and_next_day_after_trim() -> None:
    a = agreement(TERMS, window={"start": "00:30", "end": "01:30"})
    day2 = date(2026, 11, 25)
    q = quotes(
        "X",
        [
            (ts(DAY, 1800), "99.50", "100", "100.50", "100", "quote"),
            (ts(DAY, 2400), "99.50", "100", None, None, "cancel"),
            (ts(DAY, 3000), "99.50", "100", "100.50", "100", "quote"),
            (ts(day2, 2000), "99.00", "100", "100.50", "100", "quote"),
        ],
    )
    ev = StreamingEvaluator(a, "X", px_scale=q.px_scale, qty_scale=q.qty_scale)
    ev.push_quotes(q.ts_ns[:2], q.bid_px[:2], q.bid_qty[:2], q.ask_px[:2], q.ask_qty[:2])
    st_now = ev.status(DAY, ts(DAY, 2700))
    assert not st_now.valid and [r.value for r in st_now.reasons] == ["ONE_SIDED"]
    assert st_now.eligible and not ev.status(DAY, ts(DAY, 5400)).eligible  # 01:30 = window end
    assert st_now.presence_pct == pytest.approx(200 / 3)  # 600 s valid of 900 s so far
    ev.push_quotes(q.ts_ns[2:], q.bid_px[2:], q.bid_qty[2:], q.ask_px[2:], q.ask_qty[2:])
    assert ev.valid_now(ts(DAY, 3001))[0]
    first = ev.close_day(DAY)
    second = ev.close_day(day2)
    batch = check(a, {"X": q}).days
    assert (first, second) == batch
    assert np.array_equal(ev.quotes().ts_ns, q.ts_ns[3:])


mrow = st.tuples(
    st.integers(min_value=W0 - 300, max_value=W1 + 60),
    st.one_of(st.none(), price),
    st.one_of(st.none(), price),
)


@FAST
@given(rows_st, st.lists(mrow, max_size=20), states_st, st.lists(st.integers(0, 40), max_size=4))
def test_streaming_with_market_gives_the_batch_day(
    raw: list[tuple[Any, ...]],
    mraw: list[tuple[int, str | None, str | None]],
    states: list[Any],
    cuts: list[int],
) -> None:
    terms = {
        **TERMS,
        "max_spread": {"value": 1.0, "unit": "pct", "reference": "market_mid"},
        "price_band": {"pct": 1, "reference": "market_mid"},
        "at_inside": {"min_pct": 10, "mode": "avg_sides"},
    }
    a = agreement(terms, window=WINDOW, measurement={"mode": "snapshot", "interval_s": 7})
    q = quotes("X", _rows(raw))
    m = market("X", [(ts(DAY, t), b, k) for t, b, k in sorted(mraw, key=lambda r: r[0])])
    sts = _states(states)
    (batch_day,) = check(a, {"X": q}, market={"X": m}, states=sts, first_day=DAY, last_day=DAY).days
    ev = StreamingEvaluator(a, "X", px_scale=q.px_scale, qty_scale=q.qty_scale)
    for s in sts:
        ev.push_state(s)
    bounds = sorted({0, len(q), *(min(c, len(q)) for c in cuts)})
    for lo, hi in pairwise(bounds):
        ev.push_quotes(
            q.ts_ns[lo:hi],
            q.bid_px[lo:hi],
            q.bid_qty[lo:hi],
            q.ask_px[lo:hi],
            q.ask_qty[lo:hi],
            q.is_fill[lo:hi],
        )
    half = len(m) // 2
    for sl in (slice(0, half), slice(half, len(m))):
        ev.push_market(m.ts_ns[sl], m.bid_px[sl], m.ask_px[sl], m.bid_ok[sl], m.ask_ok[sl])
    assert ev.close_day(DAY) == batch_day
