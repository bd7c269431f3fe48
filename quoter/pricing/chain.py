"""Option chain analysis for one expiry: parity forward, implied vols, smile, vendor check.

Input is plain arrays for one quote date and one expiry (strike, call/put flag,
bid, ask, the vendor's implied vol when there is one). Output is data. The
forward and the discount factor come from the chain itself: regressing
C - P = D*(F - K) over near-the-money strikes gives D (minus the slope) and F,
so no rate or dividend assumption is needed. Implied vols use Black's formula
on that forward. Reading files is the caller's job (`mmsla.research.option_chain`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from quoter.pricing.options import implied_vol
from quoter.pricing.smile import Smile

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class ParityFit:
    """Forward and discount factor fitted from call - put mids; residual in price units."""

    forward: float
    discount: float
    rate: float
    n_strikes: int
    rms_residual: float


def mids(bid: F64, ask: F64) -> F64:
    """Mid prices; NaN where a side is missing (<= 0) or the quote is crossed."""
    ok = (bid > 0) & (ask > 0) & (ask >= bid)
    return np.where(ok, (bid + ask) / 2.0, np.nan)


def parity_forward(
    strike: F64, is_call: B, mid: F64, t_y: float, *, band: float = 0.05, min_strikes: int = 3
) -> ParityFit | None:
    """Fit (forward, discount) from strikes quoted on both sides within `band` of the money.

    The money is first located at the strike where |C - P| is smallest; strikes
    with |K / F0 - 1| <= band enter a least-squares fit of C - P on K. Returns
    None with fewer than `min_strikes` usable strikes or t_y <= 0.
    """
    if t_y <= 0:
        return None
    calls = {
        float(k): float(m)
        for k, m, c in zip(strike, mid, is_call, strict=True)
        if c and np.isfinite(m)
    }
    puts = {
        float(k): float(m)
        for k, m, c in zip(strike, mid, is_call, strict=True)
        if not c and np.isfinite(m)
    }
    common = np.array(sorted(set(calls) & set(puts)))
    if common.size < min_strikes:
        return None
    diff = np.array([calls[k] - puts[k] for k in common])
    f0 = float(common[np.argmin(np.abs(diff))])
    near = np.abs(common / f0 - 1.0) <= band
    if near.sum() < min_strikes:
        return None
    k, y = common[near], diff[near]
    slope, intercept = np.polyfit(k, y, 1)
    discount = -float(slope)
    if not discount > 0:
        return None
    forward = float(intercept) / discount
    resid = y - (intercept + slope * k)
    return ParityFit(
        forward=forward,
        discount=discount,
        rate=-math.log(discount) / t_y,
        n_strikes=int(k.size),
        rms_residual=float(np.sqrt(np.mean(resid**2))),
    )


@dataclass(frozen=True, slots=True)
class IvComparison:
    """Our IVs minus the vendor's over the selected options (vol units, 0.01 = 1 point)."""

    n: int
    median_abs_diff: float
    mean_diff: float
    p90_abs_diff: float
    max_abs_diff: float


@dataclass(frozen=True)
class ExpiryAnalysis:
    """One quote date and expiry: fit, per-option IVs (NaN = no solution), smile, vendor check."""

    t_y: float
    fit: ParityFit
    strike: F64
    is_call: B
    mid: F64
    iv: F64
    smile: Smile
    liquid_ntm: B
    vs_vendor: IvComparison | None


def compare_ivs(ours: F64, vendor: F64, select: B) -> IvComparison | None:
    """Summary of ours - vendor where both exist and `select` holds."""
    m = select & np.isfinite(ours) & np.isfinite(vendor) & (vendor > 0)
    if not m.any():
        return None
    d = ours[m] - vendor[m]
    a = np.abs(d)
    return IvComparison(
        n=int(m.sum()),
        median_abs_diff=float(np.median(a)),
        mean_diff=float(d.mean()),
        p90_abs_diff=float(np.quantile(a, 0.9)),
        max_abs_diff=float(a.max()),
    )


def analyse_expiry(
    strike: F64,
    is_call: B,
    bid: F64,
    ask: F64,
    t_y: float,
    vendor_iv: F64 | None = None,
    *,
    ntm_band: float = 0.05,
    max_rel_spread: float = 0.10,
) -> ExpiryAnalysis | None:
    """Forward, IVs from mids, the out-of-the-money smile, and a vendor comparison.

    `liquid_ntm` marks options with both sides quoted, a relative spread
    (ask - bid) / mid <= `max_rel_spread`, and |ln(K/F)| <= `ntm_band`; the
    vendor comparison uses those. The smile takes puts below the forward and
    calls at or above it (the liquid, out-of-the-money side). None if the
    parity fit fails (expiry reached, too few two-sided strikes).
    """
    mid = mids(bid, ask)
    fit = parity_forward(strike, is_call, mid, t_y)
    if fit is None:
        return None
    r = fit.rate
    iv = implied_vol(mid, fit.forward, strike, t_y, r, q=r, call=is_call)
    otm = np.where(is_call, strike >= fit.forward, strike < fit.forward)
    smile = Smile.from_points(t_y, fit.forward, fit.discount, strike[otm], iv[otm])
    rel_spread = np.where(np.isfinite(mid), (ask - bid) / np.where(mid > 0, mid, 1.0), np.inf)
    liquid = np.isfinite(mid) & (rel_spread <= max_rel_spread)
    liquid &= np.abs(np.log(strike / fit.forward)) <= ntm_band
    cmp = None if vendor_iv is None else compare_ivs(iv, vendor_iv, liquid)
    return ExpiryAnalysis(t_y, fit, strike, is_call, mid, iv, smile, liquid, cmp)
