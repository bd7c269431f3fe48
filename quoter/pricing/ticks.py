"""Tick snapping: model prices (floats) to exact integer ticks and Decimals.

Bids round down and asks round up, so snapping never narrows the model's spread,
and a snapped quote is never crossed or locked. A small tolerance absorbs binary
float noise (1.15 / 0.01 = 114.99999999999999 must be tick 115).
"""

from __future__ import annotations

import math
from decimal import Decimal


def _in_ticks(px: float, tick: Decimal) -> float:
    if tick <= 0:
        raise ValueError("tick must be positive")
    return px / float(tick)


def _eps(x: float) -> float:
    return 1e-9 + abs(x) * 1e-12


def snap_bid(px: float, tick: Decimal) -> int:
    """Largest tick count whose price is <= px (float noise tolerated)."""
    x = _in_ticks(px, tick)
    return math.floor(x + _eps(x))


def snap_ask(px: float, tick: Decimal) -> int:
    """Smallest tick count whose price is >= px (float noise tolerated)."""
    x = _in_ticks(px, tick)
    return math.ceil(x - _eps(x))


def snap_quote(
    bid_px: float, ask_px: float, tick: Decimal, min_width_ticks: int = 1
) -> tuple[int, int]:
    """(bid_ticks, ask_ticks), bid down and ask up, at least `min_width_ticks` apart.

    If the model's own prices are narrower than that (or crossed), the quote is
    re-centred on the model's midpoint: bid = floor(centre - w/2), ask = bid + w.
    """
    if min_width_ticks < 1:
        raise ValueError("min_width_ticks must be >= 1 (a quote may not lock or cross)")
    b, a = snap_bid(bid_px, tick), snap_ask(ask_px, tick)
    if a - b >= min_width_ticks:
        return b, a
    centre = (_in_ticks(bid_px, tick) + _in_ticks(ask_px, tick)) / 2.0
    b = math.floor(centre - min_width_ticks / 2.0 + _eps(centre))
    return b, b + min_width_ticks


def ticks_to_px(ticks: int, tick: Decimal) -> Decimal:
    """Exact price of `ticks` ticks."""
    return ticks * tick


def px_to_ticks(px: Decimal, tick: Decimal) -> int:
    """Exact tick count of a Decimal price; `ValueError` if it is not on the grid."""
    q, r = divmod(px, tick)
    if r != 0:
        raise ValueError(f"price {px} is not a multiple of tick {tick}")
    return int(q)
