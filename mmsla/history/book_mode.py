"""Book mode: a public order book as the quoting subject of an agreement.

`book_inputs(market, depth)` turns a `RecordedMarket` (from `mmsla.io.books.read_book`)
into the engine's inputs: the quote log is the book's top `depth` levels after each
event (so spread, size, depth-in-band and presence measure the whole visible book),
and the market reference is the same book's best bid/offer. Ticks and lots become
integer units of the tick's and lot's own decimals (`units = ticks * tick * 10**scale`,
an exact integer product). Every row is a plain book update (no fills), so the
refresh-after-fill grace never applies. Does not read files or evaluate.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from mmsla.domain.book import RecordedMarket
from mmsla.errors import InputError
from mmsla.io.tables import MarketArrays, QuoteArrays


def _scale_and_factor(step: Decimal) -> tuple[int, int]:
    """(decimals of `step`, integer units of 10**-decimals in one step)."""
    exp = step.normalize().as_tuple().exponent
    assert isinstance(exp, int)
    scale = max(0, -exp)
    factor = step.scaleb(scale)
    assert factor == factor.to_integral_value()
    return scale, int(factor)


def book_inputs(
    market: RecordedMarket, depth: int | None = None
) -> tuple[dict[str, QuoteArrays], dict[str, MarketArrays]]:
    """({symbol: the book's top levels as quotes}, {symbol: its best bid/offer})."""
    b = market.book
    if len(b) == 0:
        raise InputError("--book", "the book has no rows")
    n = b.depth if depth is None else depth
    if n < 1:
        raise InputError("--depth", "depth must be at least 1")
    n = min(n, b.depth)
    px_scale, px_f = _scale_and_factor(b.tick)
    qty_scale, qty_f = _scale_and_factor(b.lot)
    bid_px, ask_px = b.bid_px[:, :n] * px_f, b.ask_px[:, :n] * px_f
    bid_qty, ask_qty = b.bid_qty[:, :n] * qty_f, b.ask_qty[:, :n] * qty_f
    quotes = QuoteArrays(
        b.symbol,
        b.ts_ns,
        np.ascontiguousarray(bid_px),
        np.ascontiguousarray(bid_qty),
        np.ascontiguousarray(ask_px),
        np.ascontiguousarray(ask_qty),
        np.zeros(len(b), bool),
        px_scale,
        qty_scale,
    )
    ref = MarketArrays(
        b.symbol,
        b.ts_ns,
        bid_px[:, 0].copy(),
        ask_px[:, 0].copy(),
        bid_qty[:, 0].copy(),
        ask_qty[:, 0].copy(),
        b.bid_qty[:, 0] > 0,
        b.ask_qty[:, 0] > 0,
        px_scale,
        qty_scale,
    )
    return {b.symbol: quotes}, {b.symbol: ref}
