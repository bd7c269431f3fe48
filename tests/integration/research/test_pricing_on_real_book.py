"""The pricing pieces composed on a real book (LOBSTER AMZN level 1): every quote is sane.

mid/microprice -> EWMA vol -> GLFT (with intensity fitted on the same data) ->
tick snap -> ladder -> exact Decimal levels, for every book event of the day.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

import numpy as np

from mmsla.io.lobster import read_lobster
from mmsla.research.intensity import calibrate
from quoter.pricing.fair_value import microprice
from quoter.pricing.ladder import LadderSpec, build_ladder
from quoter.pricing.spread import Glft, QuoteInputs
from quoter.pricing.ticks import snap_quote
from quoter.pricing.volatility import EwmaConfig, ewma_sigma_series
from tests.conftest import shared_path


def test_glft_quotes_on_amzn_are_two_sided_on_tick_and_around_fair_value() -> None:
    market = read_lobster(
        shared_path("data", "lobster", "LOBSTER_SampleFile_AMZN_2012-06-21_1.zip")
    )
    book, trades = market.book, market.trades
    tick = float(book.tick)
    ok = (book.bid_qty[:, 0] > 0) & (book.ask_qty[:, 0] > 0)
    ts = book.ts_ns[ok]
    bid = book.bid_px[ok, 0] * tick
    ask = book.ask_px[ok, 0] * tick
    fair = microprice(
        bid, book.bid_qty[ok, 0].astype(float), ask, book.ask_qty[ok, 0].astype(float)
    )
    assert ((fair >= bid) & (fair <= ask)).all()

    sigma_ret = ewma_sigma_series(ts, (bid + ask) / 2, EwmaConfig(half_life_s=60.0))
    sigma_px = sigma_ret * (bid + ask) / 2
    warm = np.isfinite(sigma_px)
    assert warm.mean() > 0.99
    # a liquid large cap: per-second vol of a few basis points
    assert 1e-5 < float(np.nanmedian(sigma_ret)) < 1e-3

    mid = np.where(ok, (book.bid_px[:, 0] + book.ask_px[:, 0]) / 2 * tick, np.nan)
    fit = calibrate(trades.ts_ns, trades.px * tick, trades.side, book.ts_ns, mid, step_px=0.01)
    model = Glft(gamma=0.01, a=fit.a_per_s, k=fit.k_per_px)
    step = LadderSpec.uniform(3, step_ticks=100, qty_lots=100)  # 3 levels, one cent apart
    tick_d = Decimal(str(book.tick))
    rng = np.random.default_rng(0)
    for i in np.flatnonzero(warm)[::50]:
        q = float(rng.integers(-5, 6))
        tgt = model.target(QuoteInputs(float(fair[i]), float(sigma_px[i]), q, tick))
        b, a = snap_quote(tgt.bid_px, tgt.ask_px, tick_d)
        assert b < a
        assert b * tick <= tgt.bid_px + 1e-9 and a * tick >= tgt.ask_px - 1e-9
        assert (a - b) * tick < tgt.spread + 2 * tick + 1e-9
        lad = build_ladder(b, a, step)
        bids, asks = lad.to_levels(tick_d, Decimal(1))
        assert bids[0].px == b * tick_d and asks[0].px == a * tick_d
        assert bids[0].px < asks[0].px
        assert all(x.px > y.px for x, y in itertools.pairwise(bids))
        # long inventory quotes below fair value, short above
        centre = (tgt.bid_px + tgt.ask_px) / 2
        if q > 0:
            assert centre < fair[i]
        elif q < 0:
            assert centre > fair[i]
