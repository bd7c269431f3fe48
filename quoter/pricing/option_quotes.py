"""Quote an option chain around theoretical values from a smile, in exact ticks.

Theo comes from the expiry's `Smile` (Black on the parity forward). Each
option's half-spread is measured in vol points and converted to price with its
vega, so it widens where price risk per vol point is larger, plus extra vol
points with distance from the money (|ln(K/F)|), where the smile is least
certain:

    half_px = base_ticks * tick + (vol_pts + money_pts * |ln(K/F)|) * vega_per_pt

An optional price skew moves each option's quote against our position in it by
`skew_pts_per_lot` vol points per lot. Bids round down and asks round up to the
tick (see `ticks.py`); a bid that would be <= 0 is absent. Not here: the
obligation clamp, risk checks and order handling (the strategy and risk modules).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from quoter.pricing.smile import Smile

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class ChainQuoteSpec:
    """Half-spread terms (see the module doc); `skew_pts_per_lot` None = no skew."""

    base_ticks: float
    vol_pts: float
    money_pts: float = 0.0
    skew_pts_per_lot: float | None = None

    def __post_init__(self) -> None:
        if min(self.base_ticks, self.vol_pts, self.money_pts) < 0:
            raise ValueError("ChainQuoteSpec terms must be non-negative")


@dataclass(frozen=True)
class ChainQuotes:
    """Per option: theo (float), vega per vol point, and bid/ask in integer ticks.

    `has_bid` is False where the bid would not be a positive price; the bid tick
    there is 0 and must not be sent.
    """

    theo: F64
    vega_per_pt: F64
    bid_ticks: I64
    ask_ticks: I64
    has_bid: B


def quote_chain(
    smile: Smile,
    strike: F64,
    is_call: B,
    tick: Decimal,
    spec: ChainQuoteSpec,
    position_lots: F64 | None = None,
) -> ChainQuotes:
    """Two-sided quotes for every (strike, call/put) of one expiry."""
    t = float(tick)
    if not t > 0:
        raise ValueError("tick must be positive")
    theo = smile.price(strike, is_call)
    vega = smile.greeks(strike, is_call).vega_per_pt
    money = np.abs(np.log(strike / smile.forward))
    half = spec.base_ticks * t + (spec.vol_pts + spec.money_pts * money) * vega
    centre = theo
    if spec.skew_pts_per_lot is not None and position_lots is not None:
        centre = theo - spec.skew_pts_per_lot * position_lots * vega
    x_bid = (centre - half) / t
    x_ask = (centre + half) / t
    eps_b = 1e-9 + np.abs(x_bid) * 1e-12
    eps_a = 1e-9 + np.abs(x_ask) * 1e-12
    bid = np.floor(x_bid + eps_b).astype(np.int64)
    ask = np.ceil(x_ask - eps_a).astype(np.int64)
    ask = np.maximum(ask, bid + 1)  # never locked or crossed
    has_bid = bid > 0
    return ChainQuotes(theo, vega, np.where(has_bid, bid, 0), ask, has_bid)
