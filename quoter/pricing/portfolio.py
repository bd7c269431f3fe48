"""Portfolio greeks: aggregate per-option greeks over a book of positions, and a vega limit check.

Positions are signed quantities in contracts; `multiplier` converts contracts to
units of the underlying (100 for SPX options). Totals are in the greeks' own
units (see `options.py`): delta in underlying units, vega per vol point, theta
per calendar day, rho per rate point, all in currency per the underlying's price
unit times the multiplier. Mixing expiries and strikes is fine; mixing
underlyings is not (delta would add apples and oranges).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from quoter.pricing.options import Greeks

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PortfolioGreeks:
    """Summed exposures of a book on one underlying."""

    delta: float
    gamma: float
    vega_per_pt: float
    theta_per_day: float
    rho_per_pt: float

    def __add__(self, other: PortfolioGreeks) -> PortfolioGreeks:
        return PortfolioGreeks(
            self.delta + other.delta,
            self.gamma + other.gamma,
            self.vega_per_pt + other.vega_per_pt,
            self.theta_per_day + other.theta_per_day,
            self.rho_per_pt + other.rho_per_pt,
        )


def aggregate(
    greeks: Greeks, position: F64, multiplier: float = 1.0, underlying_qty: float = 0.0
) -> PortfolioGreeks:
    """Sum position * multiplier * greek over the options, plus any underlying held (delta 1).

    NaN greeks (expired options) with a zero position are ignored; with a
    non-zero position they make the total NaN, so a stale book cannot look flat.
    """
    pos = np.asarray(position, dtype=np.float64) * multiplier

    def total(x: F64) -> float:
        held = pos != 0
        return float(np.sum(pos[held] * np.asarray(x, dtype=np.float64)[held]))

    return PortfolioGreeks(
        delta=total(greeks.delta) + underlying_qty,
        gamma=total(greeks.gamma),
        vega_per_pt=total(greeks.vega_per_pt),
        theta_per_day=total(greeks.theta_per_day),
        rho_per_pt=total(greeks.rho_per_pt),
    )


def vega_after(
    book: PortfolioGreeks, option_vega_per_pt: float, qty: float, multiplier: float = 1.0
) -> float:
    """Book vega if `qty` more contracts (signed) of an option were filled."""
    return book.vega_per_pt + qty * multiplier * option_vega_per_pt


def within_vega_limit(
    book: PortfolioGreeks,
    option_vega_per_pt: float,
    qty: float,
    max_abs_vega_per_pt: float,
    multiplier: float = 1.0,
) -> bool:
    """True when the fill would leave |vega| <= the limit, or would reduce |vega| anyway."""
    after = vega_after(book, option_vega_per_pt, qty, multiplier)
    return abs(after) <= max_abs_vega_per_pt or abs(after) < abs(book.vega_per_pt)
