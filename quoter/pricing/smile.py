"""A per-expiry volatility smile: implied vols at strikes, interpolated in strike.

Linear interpolation of implied vol in strike between quoted strikes and flat
extrapolation beyond them (no arbitrage repair, no SVI fit). Prices off the
smile use Black's formula on the forward with the expiry's discount factor,
so no spot, rate or dividend assumption enters beyond (forward, discount).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from quoter.pricing.options import Greeks, bsm_greeks, bsm_price

F64 = npt.NDArray[np.float64]
ArrayLike = float | npt.ArrayLike


@dataclass(frozen=True)
class Smile:
    """`strikes` ascending with matching `ivs`; `t_y` years to expiry; `forward`, `discount`."""

    t_y: float
    forward: float
    discount: float
    strikes: F64
    ivs: F64

    def __post_init__(self) -> None:
        k = self.strikes
        if k.ndim != 1 or k.shape != self.ivs.shape or k.size == 0:
            raise ValueError("Smile needs equal-length, non-empty 1-D strikes and ivs")
        if (np.diff(k) <= 0).any() or not np.isfinite(self.ivs).all():
            raise ValueError("Smile strikes must be strictly increasing and ivs finite")
        if not (self.t_y > 0 and self.forward > 0 and self.discount > 0):
            raise ValueError("Smile needs t_y, forward and discount > 0")

    @classmethod
    def from_points(
        cls, t_y: float, forward: float, discount: float, strikes: ArrayLike, ivs: ArrayLike
    ) -> Smile:
        """Build from unsorted points, dropping NaN vols (duplicate strikes are averaged)."""
        k = np.asarray(strikes, dtype=np.float64)
        v = np.asarray(ivs, dtype=np.float64)
        keep = np.isfinite(k) & np.isfinite(v)
        uk, inv = np.unique(k[keep], return_inverse=True)
        sums = np.bincount(inv, weights=v[keep], minlength=uk.size)
        counts = np.bincount(inv, minlength=uk.size)
        return cls(t_y, forward, discount, uk, sums / counts)

    @property
    def rate(self) -> float:
        """The continuously compounded rate implied by the discount factor."""
        return -math.log(self.discount) / self.t_y

    def iv_at(self, k: ArrayLike) -> F64:
        """Implied vol at strike(s) k: linear between points, flat outside."""
        return np.asarray(np.interp(np.asarray(k, dtype=np.float64), self.strikes, self.ivs))

    def price(self, k: ArrayLike, call: ArrayLike = True) -> F64:
        """Theoretical price off the smile (Black on the forward, discounted)."""
        r = self.rate
        return bsm_price(self.forward, k, self.t_y, r, self.iv_at(k), q=r, call=call)

    def greeks(self, k: ArrayLike, call: ArrayLike = True) -> Greeks:
        """Greeks with respect to the forward (q = r makes BSM Black-76)."""
        r = self.rate
        return bsm_greeks(self.forward, k, self.t_y, r, self.iv_at(k), q=r, call=call)
