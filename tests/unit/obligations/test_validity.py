"""Per-instant rules: every reason code, each rule exactly at its limit and one tick over."""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np
import pytest

from mmsla.domain.agreement import (
    Depth,
    MaxSpread,
    MinSize,
    PriceBand,
    SizeDivergence,
    Terms,
)
from mmsla.domain.reasons import Reason, reasons_from_mask
from mmsla.obligations.validity import Book, MarketAt, validity_mask

D = Decimal


def book(
    bid: str | None,
    ask: str | None,
    bid_qty: str = "100",
    ask_qty: str = "100",
    *,
    px_scale: int = 4,
    qty_scale: int = 0,
    levels: list[tuple[str, str, str, str]] | None = None,
) -> Book:
    """One row; `levels` adds deeper levels (bid, bid_qty, ask, ask_qty)."""
    rows = [(bid, bid_qty, ask, ask_qty), *(levels or [])]

    def arr(i: int, scale: int) -> np.ndarray:
        vals = []
        for r in rows:
            side_px = r[0] if i in (0, 1) else r[2]
            v = r[i]
            vals.append(0 if (v is None or side_px is None) else int(D(v).scaleb(scale)))
        return np.asarray([vals], np.int64)

    return Book(
        arr(0, px_scale),
        arr(1, qty_scale),
        arr(2, px_scale),
        arr(3, qty_scale),
        px_scale,
        qty_scale,
    )


def reasons(b: Book, terms: Terms, **kw: object) -> list[Reason]:
    return reasons_from_mask(int(validity_mask(b, terms, **kw)[0]))  # type: ignore[arg-type]


def mkt(bid: str, ask: str, scale: int = 4) -> MarketAt:
    return MarketAt(
        np.asarray([int(D(bid).scaleb(scale))]),
        np.asarray([int(D(ask).scaleb(scale))]),
        np.asarray([True]),
        np.asarray([True]),
    )


PCT1 = Terms(max_spread=MaxSpread(D("1.00"), "pct", "own_mid"))


@pytest.mark.parametrize(
    ("bid", "ask", "ok"),
    [
        ("99.50", "100.50", True),  # exactly 1.00% of own mid 100
        ("99.50", "100.51", False),  # one tick wider
        ("0.9950", "1.0050", True),  # exactly 1.00% of own mid 1.00
        ("0.9950", "1.0051", False),
        ("0.9949", "1.0050", False),
    ],
)
def test_spread_pct_own_mid_boundary(bid: str, ask: str, ok: bool) -> None:
    assert (reasons(book(bid, ask), PCT1) == []) is ok
    if not ok:
        assert reasons(book(bid, ask), PCT1) == [Reason.SPREAD_TOO_WIDE]


def test_spread_bps_abs_ticks_and_references() -> None:
    # bps of own mid: 99.95/100.05 is 10 bps
    assert reasons(book("99.95", "100.05"), Terms(max_spread=MaxSpread(D(10), "bps"))) == []
    assert reasons(book("99.95", "100.06"), Terms(max_spread=MaxSpread(D(10), "bps"))) != []
    # abs
    assert reasons(book("10.00", "10.05"), Terms(max_spread=MaxSpread(D("0.05"), "abs"))) == []
    assert reasons(book("10.00", "10.0501"), Terms(max_spread=MaxSpread(D("0.05"), "abs"))) != []
    # ticks of 0.005
    ticks = Terms(max_spread=MaxSpread(D(3), "ticks"))
    assert reasons(book("10.000", "10.015"), ticks, tick_size=D("0.005")) == []
    assert reasons(book("10.000", "10.020"), ticks, tick_size=D("0.005")) != []
    # pct of our bid: 1% of 100 = 1.00
    of_bid = Terms(max_spread=MaxSpread(D(1), "pct", "bid"))
    assert reasons(book("100", "101"), of_bid) == []
    assert reasons(book("100", "101.0001"), of_bid) != []
    # pct of our ask: 1% of 101 = 1.01
    of_ask = Terms(max_spread=MaxSpread(D(1), "pct", "ask"))
    assert reasons(book("99.99", "101"), of_ask) == []
    assert reasons(book("99.9899", "101"), of_ask) != []
    # market mid 200: 1% = 2.00 even though our own mid is 101
    mm = Terms(max_spread=MaxSpread(D(1), "pct", "market_mid"))
    assert reasons(book("100", "102"), mm, market=mkt("199", "201")) == []
    assert reasons(book("100", "102.0001"), mm, market=mkt("199", "201")) != []
    # no market reference known: the market-referenced term fails
    assert reasons(book("100", "101"), mm) == [Reason.SPREAD_TOO_WIDE]


def test_stressed_spread_multiplier() -> None:
    b = book("99", "101")  # 2% of own mid
    stressed = np.asarray([True])
    assert reasons(b, PCT1, stressed=stressed, spread_multiplier=D(2)) == []
    assert reasons(b, PCT1, stressed=np.asarray([False]), spread_multiplier=D(2)) != []
    assert reasons(book("99", "101.0001"), PCT1, stressed=stressed, spread_multiplier=D(2)) != []


def test_no_quote_one_sided_crossed() -> None:
    t = Terms()
    assert reasons(book(None, None), t) == [Reason.NO_QUOTE]
    assert reasons(book("1", None), t) == [Reason.ONE_SIDED]
    assert reasons(book(None, "1"), t) == [Reason.ONE_SIDED]
    assert reasons(book("1", "1"), t) == [Reason.CROSSED]  # locked counts as crossed
    assert reasons(book("1.0001", "1"), t) == [Reason.CROSSED]
    assert reasons(book("1", "1.0001"), t) == []
    assert reasons(book("1", None), Terms(two_sided=False)) == []
    no_row = Book(*(np.zeros((1, 1), np.int64),) * 4, 4, 0, np.asarray([False]))
    assert reasons(no_row, t) == [Reason.NO_QUOTE]


def test_min_size_qty_and_notional() -> None:
    qty = Terms(min_size=MinSize(qty=D(500)))
    assert reasons(book("10", "11", "500", "500"), qty) == []
    assert reasons(book("10", "11", "499", "500"), qty) == [Reason.SIZE_BELOW_MIN]
    assert reasons(book("10", "11", "500", "499"), qty) == [Reason.SIZE_BELOW_MIN]
    # stressed size multiplier 2 -> 1000 needed
    assert reasons(
        book("10", "11", "999", "1000"), qty, stressed=np.asarray([True]), size_multiplier=D(2)
    ) == [Reason.SIZE_BELOW_MIN]
    # notional 10000 at our best price: qty = ceil(10000 / 33) = 304 on the bid, 301 at 33.3
    notional = Terms(min_size=MinSize(notional=D(10000)))
    assert reasons(book("33", "33.3", "304", "301"), notional) == []
    assert reasons(book("33", "33.3", "303", "301"), notional) == [Reason.SIZE_BELOW_MIN]
    assert reasons(book("33", "33.3", "304", "300"), notional) == [Reason.SIZE_BELOW_MIN]
    # fractional sizes (crypto): 0.5 BTC at 20000 = exactly 10000
    frac = book("20000", "20001", "0.5", "0.5", qty_scale=8)
    assert reasons(frac, notional) == []
    assert reasons(book("20000", "20001", "0.49999999", "0.5", qty_scale=8), notional) != []


@pytest.mark.parametrize(
    ("denominator", "bid_qty", "ask_qty", "ok"),
    [
        ("smaller", "100", "150", True),  # |50| <= 50% of 100
        ("smaller", "100", "151", False),
        ("larger", "100", "200", True),  # |100| <= 50% of 200
        ("larger", "100", "201", False),
        ("mean", "100", "166", False),  # |66| > 50% of 133
        ("mean", "100", "300", False),  # |200| > 50% of the mean 200
    ],
)
def test_size_divergence(denominator: str, bid_qty: str, ask_qty: str, ok: bool) -> None:
    t = Terms(max_size_divergence=SizeDivergence(D(50), denominator))
    got = reasons(book("10", "11", bid_qty, ask_qty), t)
    expected_ok = ok
    if denominator == "mean":
        # independent check with fractions: |b - a| <= 0.5 * (b + a) / 2
        b, a = D(bid_qty), D(ask_qty)
        expected_ok = abs(b - a) * 4 <= b + a
    assert (got == []) is expected_ok
    if not expected_ok:
        assert got == [Reason.SIZE_DIVERGENCE]


def test_size_divergence_mean_exact_boundary() -> None:
    t = Terms(max_size_divergence=SizeDivergence(D(50), "mean"))
    # |b - a| = 0.25 * (b + a) exactly: 300 vs 500 -> 200 = 0.25 * 800
    assert reasons(book("10", "11", "300", "500"), t) == []
    assert reasons(book("10", "11", "299", "500"), t) == [Reason.SIZE_DIVERGENCE]


def test_depth_band_edge_counts() -> None:
    t = Terms(depth=Depth(D(2), D(10000), "market_mid"))
    m = mkt("99.99", "100.01")  # market mid 100: band [98, 102]

    def deep(bid_lvl2: str, ask_lvl2: str, ask_qty2: str) -> Book:
        # level 1: 100 @ 99.99 (9999) and 1 @ 100.01; level 2 on/near the band edges
        return book("99.99", "100.01", "100", "1", levels=[(bid_lvl2, "1", ask_lvl2, ask_qty2)])

    # bid: 9999 + 98 * 1 = 10097; ask: 100.01 + 102 * 97 = 9994.01 -> ask short
    assert reasons(deep("98", "102", "97"), t, market=m) == [Reason.DEPTH_BELOW_MIN]
    # ask: 100.01 + 102 * 98 = 10096.01; the level exactly on the band edge counts
    assert reasons(deep("98", "102", "98"), t, market=m) == []
    # one tick outside the band does not count, on either side
    assert reasons(deep("98", "102.0001", "98"), t, market=m) == [Reason.DEPTH_BELOW_MIN]
    assert reasons(deep("97.9999", "102", "98"), t, market=m) == [Reason.DEPTH_BELOW_MIN]
    # exactly the minimum notional is enough (inclusive); a hair less is not
    exact = book("100", "101", "100", "99.0100", qty_scale=4)  # 10000 and 10000.01
    assert reasons(exact, t, market=m) == []
    short = book("100", "101", "100", "99.0099", qty_scale=4)  # ask 9999.9999
    assert reasons(short, t, market=m) == [Reason.DEPTH_BELOW_MIN]
    short_bid = book("100", "101", "99.9999", "100", qty_scale=4)
    assert reasons(short_bid, t, market=m) == [Reason.DEPTH_BELOW_MIN]


def test_depth_own_mid_and_missing_market() -> None:
    t = Terms(depth=Depth(D(2), D(1000), "own_mid"))
    assert reasons(book("99", "101", "11", "10"), t) == []  # 1089 and 1010
    assert reasons(book("99", "101", "10", "10"), t) == [Reason.DEPTH_BELOW_MIN]  # 990
    mt = Terms(depth=Depth(D(2), D(1000), "market_mid"))
    assert reasons(book("99", "101", "11", "10"), mt) == [Reason.DEPTH_BELOW_MIN]


def test_price_band() -> None:
    t = Terms(price_band=PriceBand(D(8), "market_mid"))
    m = mkt("99", "101")  # mid 100 -> [92, 108]
    assert reasons(book("92", "108"), t, market=m) == []
    assert reasons(book("91.9999", "108"), t, market=m) == [Reason.OUT_OF_BAND]
    assert reasons(book("92", "108.0001"), t, market=m) == [Reason.OUT_OF_BAND]
    own = Terms(price_band=PriceBand(D(8), "own_mid"))
    assert reasons(book("92", "108"), own) == []


def test_all_reasons_combine_in_one_mask() -> None:
    t = Terms(
        max_spread=MaxSpread(D(1)),
        min_size=MinSize(qty=D(10)),
        max_size_divergence=SizeDivergence(D(10)),
        depth=Depth(D(1), D(1_000_000), "own_mid"),
        price_band=PriceBand(D(1), "market_mid"),
    )
    got = reasons(book("90", "110", "1", "5"), t, market=mkt("99", "101"))
    assert got == [
        Reason.SPREAD_TOO_WIDE,
        Reason.SIZE_BELOW_MIN,
        Reason.SIZE_DIVERGENCE,
        Reason.DEPTH_BELOW_MIN,
        Reason.OUT_OF_BAND,
    ]


def test_huge_values_stay_exact() -> None:
    # 18-digit prices and sizes overflow int64 products: the engine falls back to exact ints
    b = book(
        "123456789.12345678",
        "123456789.12345679",
        "99999999.99999999",
        "99999999.99999999",
        px_scale=8,
        qty_scale=8,
    )
    # bid notional is exactly 123456789.12345678 * 99999999.99999999:
    with localcontext() as ctx:
        ctx.prec = 60
        edge = D("123456789.12345678") * D("99999999.99999999")
        over = edge + D("1e-16")
        assert edge == D("12345678912345676.7654321087654322")
    t = Terms(
        max_spread=MaxSpread(D("0.00000001"), "abs"),
        min_size=MinSize(notional=edge),
        depth=Depth(D(1), edge, "own_mid"),
    )
    assert reasons(b, t) == []
    t2 = Terms(min_size=MinSize(notional=over), depth=Depth(D(1), over, "own_mid"))
    assert reasons(b, t2) == [Reason.SIZE_BELOW_MIN, Reason.DEPTH_BELOW_MIN]
