"""Fair value of an instrument from a book: mid, microprice, weighted mid across sources.

Works on plain floats (prices in any unit, usually ticks or price units) and on
NumPy arrays of equal shape, so the same function serves the live quoter and a
batch study. It does not decide which venue or symbol to trust: callers pass the
inputs and weights they want.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
P = TypeVar("P", float, FloatArray)


def mid(bid_px: P, ask_px: P) -> P:
    """Plain mid price (bid + ask) / 2."""
    return (bid_px + ask_px) / 2.0


def microprice(bid_px: P, bid_qty: P, ask_px: P, ask_qty: P) -> P:
    """Size-weighted mid: (bid * ask_qty + ask * bid_qty) / (bid_qty + ask_qty).

    A heavy bid (large `bid_qty`) pulls the fair value toward the ask, the side
    more likely to trade next. With both sizes zero this returns the plain mid.
    """
    total = bid_qty + ask_qty
    if isinstance(total, np.ndarray):
        safe = np.where(total > 0, total, 1.0)
        weighted = (bid_px * ask_qty + ask_px * bid_qty) / safe
        return np.where(total > 0, weighted, (bid_px + ask_px) / 2.0)
    if total <= 0:
        return (bid_px + ask_px) / 2.0
    return (bid_px * ask_qty + ask_px * bid_qty) / total


def weighted_mid(mids: Sequence[float], weights: Sequence[float]) -> float:
    """Weighted average of several reference mids (venues, related symbols).

    Each mid must already be expressed in this instrument's price (apply any
    basis or ratio first). Weights need not sum to 1; they must be non-negative
    with a positive sum, and the lengths must match (`ValueError` otherwise).
    """
    if len(mids) != len(weights) or not mids:
        raise ValueError("weighted_mid needs one weight per mid and at least one mid")
    w = np.asarray(weights, dtype=np.float64)
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError("weighted_mid weights must be non-negative with a positive sum")
    return float(np.dot(np.asarray(mids, dtype=np.float64), w) / w.sum())
