"""Spread models behind one interface: fixed, volatility-scaled, Avellaneda-Stoikov, GLFT.

Every model maps `QuoteInputs` (fair value, volatility, inventory, time left) to a
`SpreadTarget`: a reservation price and a half-spread, so bid = r - h and ask =
r + h in float price units. Units: prices and spreads in price units, sigma in
price units per sqrt(second), time in seconds, inventory in the model's lots;
gamma is per (price unit * lot), k per price unit, A per second.

Models do not snap to the tick, clamp to an agreement or apply risk limits;
`skew.py`, `ticks.py` and the strategy do that.

Formulas:
- Avellaneda-Stoikov (2008): r = s - q*gamma*sigma^2*(T-t);
  total spread = gamma*sigma^2*(T-t) + (2/gamma)*ln(1 + gamma/k).
- GLFT (Gueant, Lehalle, Fernandez-Tapia 2013, infinite horizon, asymptotic
  closed form with xi = gamma and order size Delta):
  c1 = ln(1 + xi*Delta/k) / (xi*Delta),
  c2 = sqrt(gamma / (2*A*Delta*k) * (1 + xi*Delta/k)^(k/(xi*Delta) + 1)),
  half-spread = c1 + Delta/2 * sigma * c2, skew per lot = sigma * c2,
  bid depth = half + skew*q, ask depth = half - skew*q (both from the mid).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class QuoteInputs:
    """What a spread model may look at. `time_left_s` is None for open-ended quoting."""

    fair_px: float
    sigma_px_per_s: float
    inventory: float
    tick: float
    time_left_s: float | None = None


@dataclass(frozen=True, slots=True)
class SpreadTarget:
    """A model's answer: quote `reservation_px -/+ half_spread` (float price units)."""

    reservation_px: float
    half_spread: float

    @property
    def bid_px(self) -> float:
        return self.reservation_px - self.half_spread

    @property
    def ask_px(self) -> float:
        return self.reservation_px + self.half_spread

    @property
    def spread(self) -> float:
        return 2.0 * self.half_spread


class SpreadModel(Protocol):
    """The one interface every spread model implements."""

    def target(self, inputs: QuoteInputs) -> SpreadTarget: ...


@dataclass(frozen=True, slots=True)
class FixedSpread:
    """A constant spread around the fair value: set exactly one of `spread_bps`, `spread_ticks`."""

    spread_bps: float | None = None
    spread_ticks: float | None = None

    def __post_init__(self) -> None:
        if (self.spread_bps is None) == (self.spread_ticks is None):
            raise ValueError("FixedSpread needs exactly one of spread_bps, spread_ticks")
        value = self.spread_bps if self.spread_bps is not None else self.spread_ticks
        assert value is not None
        if value < 0:
            raise ValueError("FixedSpread spread must be non-negative")

    def target(self, inputs: QuoteInputs) -> SpreadTarget:
        if self.spread_bps is not None:
            spread = inputs.fair_px * self.spread_bps / 10_000.0
        else:
            assert self.spread_ticks is not None
            spread = self.spread_ticks * inputs.tick
        return SpreadTarget(inputs.fair_px, spread / 2.0)


@dataclass(frozen=True, slots=True)
class VolScaledSpread:
    """spread = base_ticks * tick + vol_mult * sigma_px_per_s, capped at `max_ticks` if set.

    `vol_mult` has units of sqrt(seconds): vol_mult = 2*sqrt(10) quotes two
    standard deviations of a 10-second move.
    """

    base_ticks: float
    vol_mult: float
    max_ticks: float | None = None

    def target(self, inputs: QuoteInputs) -> SpreadTarget:
        return SpreadTarget(inputs.fair_px, self.half_spread(inputs.sigma_px_per_s, inputs.tick))

    def half_spread(self, sigma_px_per_s: float, tick: float) -> float:
        """`target(...).half_spread` from the only inputs it reads (the strategy's hot
        path calls this without building `QuoteInputs`/`SpreadTarget`); the
        reservation price is the fair value."""
        spread = self.base_ticks * tick + self.vol_mult * sigma_px_per_s
        if self.max_ticks is not None:
            spread = min(spread, self.max_ticks * tick)
        return spread / 2.0


def as_reservation_px(s: float, q: float, gamma: float, sigma: float, tau: float) -> float:
    """Avellaneda-Stoikov reservation price r = s - q*gamma*sigma^2*tau."""
    return s - q * gamma * sigma * sigma * tau


def as_total_spread(gamma: float, sigma: float, tau: float, k: float) -> float:
    """Avellaneda-Stoikov optimal total spread gamma*sigma^2*tau + (2/gamma)*ln(1+gamma/k)."""
    return gamma * sigma * sigma * tau + (2.0 / gamma) * math.log1p(gamma / k)


@dataclass(frozen=True, slots=True)
class AvellanedaStoikov:
    """Finite-horizon A-S quotes; `QuoteInputs.time_left_s` must be set (T - t)."""

    gamma: float
    k: float

    def __post_init__(self) -> None:
        if not (self.gamma > 0 and self.k > 0):
            raise ValueError("AvellanedaStoikov needs gamma > 0 and k > 0")

    def target(self, inputs: QuoteInputs) -> SpreadTarget:
        tau = inputs.time_left_s
        if tau is None or tau < 0:
            raise ValueError("AvellanedaStoikov needs time_left_s >= 0")
        sig = inputs.sigma_px_per_s
        r = as_reservation_px(inputs.fair_px, inputs.inventory, self.gamma, sig, tau)
        return SpreadTarget(r, as_total_spread(self.gamma, sig, tau, self.k) / 2.0)


def glft_coefficients(
    gamma: float, a: float, k: float, xi: float, delta: float
) -> tuple[float, float]:
    """GLFT (c1, c2): half-spread = c1 + delta/2*sigma*c2, skew per lot = sigma*c2."""
    x = xi * delta
    c1 = math.log1p(x / k) / x
    c2 = math.sqrt(gamma / (2.0 * a * delta * k) * (1.0 + x / k) ** (k / x + 1.0))
    return c1, c2


@dataclass(frozen=True, slots=True)
class Glft:
    """GLFT infinite-horizon closed form; `xi` defaults to gamma, `delta_lots` = order size."""

    gamma: float
    a: float
    k: float
    xi: float | None = None
    delta_lots: float = 1.0

    def __post_init__(self) -> None:
        if not (self.gamma > 0 and self.a > 0 and self.k > 0 and self.delta_lots > 0):
            raise ValueError("Glft needs gamma, a, k and delta_lots > 0")

    def coefficients(self) -> tuple[float, float]:
        xi = self.gamma if self.xi is None else self.xi
        return glft_coefficients(self.gamma, self.a, self.k, xi, self.delta_lots)

    def target(self, inputs: QuoteInputs) -> SpreadTarget:
        c1, c2 = self.coefficients()
        sig = inputs.sigma_px_per_s
        half = c1 + self.delta_lots / 2.0 * sig * c2
        skew = sig * c2
        # bid = s - (half + skew*q), ask = s + (half - skew*q): centred on s - skew*q.
        return SpreadTarget(inputs.fair_px - skew * inputs.inventory, half)
