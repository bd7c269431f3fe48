"""The obligation clamp at the agreement's limits, checked against `validity_mask` itself."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from mmsla.domain.agreement import MaxSpread, MinSize, StatesPolicy, Terms
from mmsla.obligations.validity import Book, MarketAt, validity_mask
from quoter.clamp import ObligationClamp
from quoter.intents import Instrument
from quoter.pricing.ladder import Ladder

TICK = Decimal("0.01")
ABC = Instrument("ABC", TICK, Decimal(1))
STATES = StatesPolicy(stressed_spread_multiplier=Decimal(2), stressed_size_multiplier=Decimal(3))


def _clamp(
    terms: Terms, inst: Instrument = ABC, tick_size: Decimal | None = TICK
) -> ObligationClamp:
    return ObligationClamp(terms, STATES, inst, tick_size)


def _mask(
    ladder: Ladder,
    terms: Terms,
    inst: Instrument = ABC,
    *,
    stressed: bool = False,
    market: tuple[int, int] | None = None,
    tick_size: Decimal | None = TICK,
) -> int:
    """The checker's verdict on one quote (prices at 2 decimals, sizes at 0 decimals x lot)."""
    assert inst.tick == TICK
    lot = int(inst.lot)

    def arr(values: list[int]) -> np.ndarray:
        return np.array([values], dtype=np.int64)

    n = max(len(ladder.bids), len(ladder.asks))
    bp = [p for p, _ in ladder.bids] + [0] * (n - len(ladder.bids))
    bq = [q * lot for _, q in ladder.bids] + [0] * (n - len(ladder.bids))
    ap = [p for p, _ in ladder.asks] + [0] * (n - len(ladder.asks))
    aq = [q * lot for _, q in ladder.asks] + [0] * (n - len(ladder.asks))
    book = Book(arr(bp), arr(bq), arr(ap), arr(aq), px_scale=2, qty_scale=0)
    mk = None
    if market is not None:
        mk = MarketAt(
            np.array([market[0]]), np.array([market[1]]), np.array([True]), np.array([True])
        )
    m = validity_mask(
        book,
        terms,
        tick_size=tick_size,
        market=mk,
        stressed=np.array([stressed]),
        spread_multiplier=STATES.stressed_spread_multiplier,
        size_multiplier=STATES.stressed_size_multiplier,
    )
    return int(m[0])


BPS20 = Terms(
    max_spread=MaxSpread(Decimal(20), "bps", "own_mid"), min_size=MinSize(qty=Decimal(100))
)


def test_exactly_at_max_spread_is_left_alone() -> None:
    # 99.90 / 100.10: spread 0.20 = exactly 20 bps of the mid 100.00
    lad = Ladder(((9990, 100),), ((10010, 100),))
    res = _clamp(BPS20).apply(lad)
    assert res.actions == () and res.ladder == lad
    assert _mask(lad, BPS20) == 0


def test_one_tick_over_is_clamped_to_the_widest_valid_spread() -> None:
    lad = Ladder(((9990, 100), (9988, 150)), ((10011, 100), (10013, 150)))
    assert _mask(lad, BPS20) != 0
    res = _clamp(BPS20).apply(lad)
    assert [a.kind for a in res.actions] == ["spread"]
    out = res.ladder
    assert _mask(out, BPS20) == 0
    b, a = out.bids[0][0], out.asks[0][0]
    assert a - b == 20
    # one tick wider in either direction would be invalid: the clamp stops at the limit
    assert _mask(Ladder(((b - 1, 100),), ((a, 100),)), BPS20) != 0
    assert _mask(Ladder(((b, 100),), ((a + 1, 100),)), BPS20) != 0
    # deeper levels keep their distance to the best
    assert out.bids[0][0] - out.bids[1][0] == 2 and out.asks[1][0] - out.asks[0][0] == 2


def test_stressed_multiplier_allows_twice_the_spread() -> None:
    lad = Ladder(((9980, 300),), ((10020, 300),))  # 40 bps
    c = _clamp(BPS20)
    assert c.apply(lad, stressed=True).actions == ()
    assert _mask(lad, BPS20, stressed=True) == 0
    unstressed = c.apply(lad, stressed=False)
    assert unstressed.actions and _mask(unstressed.ladder, BPS20) == 0


def test_stressed_size_multiplier_raises_min_size() -> None:
    lad = Ladder(((9995, 100),), ((10005, 100),))
    res = _clamp(BPS20).apply(lad, stressed=True)
    assert res.ladder.bids[0][1] == 300 and res.ladder.asks[0][1] == 300
    assert _mask(res.ladder, BPS20, stressed=True) == 0
    assert _mask(lad, BPS20, stressed=True) != 0


def test_notional_min_size_is_ceil_notional_over_price() -> None:
    terms = Terms(min_size=MinSize(notional=Decimal(10000)))
    lad = Ladder(((9999, 1),), ((10000, 1),))
    res = _clamp(terms).apply(lad)
    # independent: ceil(10000 / 99.99) = 101, 10000 / 100.00 = 100 exactly
    assert res.ladder.bids[0][1] == math.ceil(Fraction(10000) / Fraction("99.99")) == 101
    assert res.ladder.asks[0][1] == 100
    assert _mask(res.ladder, terms) == 0
    assert _mask(Ladder(((9999, 100),), ((10000, 100),)), terms) != 0  # 100 x 99.99 < 10000


def test_min_size_rounds_up_to_whole_lots() -> None:
    inst = Instrument("ABC", TICK, Decimal(10))
    terms = Terms(min_size=MinSize(qty=Decimal(105)))
    res = ObligationClamp(terms, STATES, inst, TICK).apply(Ladder(((9990, 1),), ((10010, 1),)))
    assert res.ladder.bids[0][1] == 11 and res.ladder.asks[0][1] == 11
    assert _mask(res.ladder, terms, inst) == 0


@pytest.mark.parametrize(
    ("spread", "wide", "expected_w"),
    [
        (MaxSpread(Decimal(10), "ticks"), (9990, 10011), 10),
        (MaxSpread(Decimal("0.07"), "abs"), (9990, 10011), 7),
        (MaxSpread(Decimal("0.5"), "pct", "bid"), (9000, 9100), 45),  # 0.5% of 90.00 = 0.45
        (MaxSpread(Decimal(30), "bps", "ask"), (9990, 10040), 30),
    ],
)
def test_units_and_references(spread: MaxSpread, wide: tuple[int, int], expected_w: int) -> None:
    terms = Terms(max_spread=spread)
    lad = Ladder(((wide[0], 1),), ((wide[1], 1),))
    assert _mask(lad, terms) != 0
    out = _clamp(terms).apply(lad).ladder
    assert _mask(out, terms) == 0
    b, a = out.bids[0][0], out.asks[0][0]
    assert abs((a - b) - expected_w) <= 1
    assert _mask(Ladder(((b - 1, 1),), ((a, 1),)), terms) != 0


def test_market_mid_reference_uses_the_market() -> None:
    terms = Terms(max_spread=MaxSpread(Decimal(10), "bps", "market_mid"))
    lad = Ladder(((9980, 1),), ((10020, 1),))
    market = (19990, 20010)  # market mid 200.00: 10 bps = 0.20 = 20 ticks
    out = _clamp(terms).apply(lad, market=market).ladder
    assert out.asks[0][0] - out.bids[0][0] == 20
    assert _mask(out, terms, market=market) == 0


def test_ticks_unit_without_agreement_tick_size_matches_the_checker() -> None:
    terms = Terms(max_spread=MaxSpread(Decimal(10), "ticks"))
    lad = Ladder(((9000, 1),), ((9100, 1),))
    out = _clamp(terms, tick_size=None).apply(lad).ladder
    assert _mask(out, terms, tick_size=None) == 0


def test_clamped_quotes_are_valid_over_random_ladders() -> None:
    rng = random.Random(3)
    terms_list = [
        BPS20,
        Terms(
            max_spread=MaxSpread(Decimal("0.37"), "pct"), min_size=MinSize(notional=Decimal(2500))
        ),
        Terms(max_spread=MaxSpread(Decimal(7), "ticks"), min_size=MinSize(qty=Decimal(33))),
    ]
    for _ in range(300):
        terms = rng.choice(terms_list)
        stressed = rng.random() < 0.3
        mid = rng.randrange(500, 50_000)
        b = mid - rng.randrange(1, 400)
        a = mid + rng.randrange(1, 400)
        lad = Ladder(((b, rng.randrange(1, 200)),), ((a, rng.randrange(1, 200)),))
        res = _clamp(terms).apply(lad, stressed=stressed)
        assert _mask(res.ladder, terms, stressed=stressed) == 0, (terms, lad, res)
        if _mask(lad, terms, stressed=stressed) == 0:
            assert res.ladder == lad


def test_buffer_keeps_the_next_level_valid_when_the_best_is_taken() -> None:
    # ladder step 2 ticks: with buffer 2, losing either best level must not breach
    lad = Ladder(((9985, 100), (9983, 150)), ((10015, 100), (10017, 150)))
    clamp = ObligationClamp(BPS20, STATES, ABC, TICK, buffer_ticks=2)
    out = clamp.apply(lad).ladder
    b, a = out.bids[0][0], out.asks[0][0]
    assert _mask(out, BPS20) == 0
    # the best bid filled: the second bid is now our best, and the quote is still valid
    assert _mask(Ladder(out.bids[1:], out.asks), BPS20) == 0
    assert _mask(Ladder(out.bids, out.asks[1:]), BPS20) == 0
    # and the buffer is tight: two more ticks beyond the next level would breach
    assert a - b + 2 < 20  # the buffer costs width
    assert _mask(Ladder(((b - 3, 100),), ((a, 100),)), BPS20) != 0
    # a quote already inside the buffered limit is left alone
    inner = Ladder(((9993, 100),), ((10007, 100),))
    assert clamp.apply(inner).actions == ()


def test_buffer_that_cannot_fit_falls_back_to_the_plain_limit() -> None:
    tiny = Terms(max_spread=MaxSpread(Decimal(2), "ticks", "own_mid"))
    lad = Ladder(((9990, 100),), ((9995, 100),))
    out = ObligationClamp(tiny, STATES, ABC, TICK, buffer_ticks=5).apply(lad).ladder
    assert out.asks[0][0] - out.bids[0][0] == 2
    assert _mask(out, tiny) == 0
    with pytest.raises(ValueError, match="buffer_ticks"):
        ObligationClamp(tiny, STATES, ABC, TICK, buffer_ticks=-1)


def test_one_clamp_reused_gives_what_a_fresh_one_gives() -> None:
    # the clamp memoises its spread fix: reuse across quotes, stress flags and markets
    # must answer exactly like a fresh clamp (market_mid: the market is part of the key)
    rng = random.Random(11)
    for terms in (
        BPS20,
        Terms(max_spread=MaxSpread(Decimal(10), "bps", "market_mid")),
        Terms(max_spread=MaxSpread(Decimal(7), "ticks"), min_size=MinSize(qty=Decimal(33))),
    ):
        reused = _clamp(terms)
        for _ in range(400):
            b = 10_000 - rng.randrange(1, 40)
            a = 10_000 + rng.randrange(1, 40)
            lad = Ladder(((b, rng.randrange(1, 200)),), ((a, rng.randrange(1, 200)),))
            stressed = rng.random() < 0.3
            m = 10_000 + rng.randrange(-30, 30)
            market = (m - rng.randrange(1, 5), m + rng.randrange(1, 5))
            got = reused.apply(lad, stressed=stressed, market=market)
            assert got == _clamp(terms).apply(lad, stressed=stressed, market=market)
