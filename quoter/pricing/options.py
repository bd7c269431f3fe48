"""Black-Scholes-Merton prices, analytic greeks and implied volatility, vectorised over a chain.

European options on an underlying with continuous dividend yield `q` (use q = 0
for none; for an index, or to price off a forward, pass the implied yield).
Every function takes scalars or NumPy arrays that broadcast together: `s` spot,
`k` strike, `t_y` time to expiry in years, `r` continuously compounded rate,
`sigma` annual volatility, `call` True for calls / False for puts.

Greek units: delta and gamma per unit of underlying; `vega_per_pt` per 1 vol
point (0.01); `theta_per_day` per calendar day (annual theta / 365); `rho_per_pt`
per 1 rate point (0.01).

Implied volatility returns NaN where no volatility reproduces the price: a
price outside the no-arbitrage bounds (at or below the discounted intrinsic
value, at or above the upper bound), expiry not in the future, or a non-finite
input. `implied_vol_one` gives the same answer as `float | None`.

Not here: American exercise, discrete dividends, volatility surfaces (see
`smile.py`), day-count conventions (callers compute `t_y`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr  # type: ignore[import-untyped]

F64 = npt.NDArray[np.float64]
ArrayLike = float | npt.ArrayLike

_INV_SQRT_2PI = 0.3989422804014327
IV_LOW = 1e-6
IV_HIGH = 10.0


def _pdf(x: F64) -> F64:
    return np.asarray(_INV_SQRT_2PI * np.exp(-0.5 * x * x), dtype=np.float64)


def _cdf(x: F64) -> F64:
    return np.asarray(ndtr(x), dtype=np.float64)


def _arrays(*xs: ArrayLike) -> list[F64]:
    return [np.asarray(x, dtype=np.float64) for x in np.broadcast_arrays(*xs)]


def _d1_d2(s: F64, k: F64, t: F64, r: F64, q: F64, sigma: F64) -> tuple[F64, F64, F64]:
    vol_t = sigma * np.sqrt(np.maximum(t, 0.0))
    safe = np.where(vol_t > 0, vol_t, 1.0)
    d1 = (np.log(s / k) + (r - q + 0.5 * sigma * sigma) * t) / safe
    return d1, d1 - safe, vol_t


def bsm_price(
    s: ArrayLike,
    k: ArrayLike,
    t_y: ArrayLike,
    r: ArrayLike,
    sigma: ArrayLike,
    q: ArrayLike = 0.0,
    call: ArrayLike = True,
) -> F64:
    """BSM price. With zero volatility or expiry the discounted intrinsic forward value."""
    s_, k_, t, r_, sig, q_, c = _arrays(s, k, t_y, r, sigma, q, call)
    is_call = c.astype(bool)
    d1, d2, vol_t = _d1_d2(s_, k_, t, r_, q_, sig)
    df_q = np.exp(-q_ * np.maximum(t, 0.0))
    df_r = np.exp(-r_ * np.maximum(t, 0.0))
    fs, fk = s_ * df_q, k_ * df_r
    call_px = fs * _cdf(d1) - fk * _cdf(d2)
    put_px = fk * _cdf(-d2) - fs * _cdf(-d1)
    px = np.where(is_call, call_px, put_px)
    intrinsic = np.where(is_call, np.maximum(fs - fk, 0.0), np.maximum(fk - fs, 0.0))
    return np.asarray(np.where(vol_t > 0, px, intrinsic), dtype=np.float64)


@dataclass(frozen=True)
class Greeks:
    """Analytic BSM greeks, arrays of the broadcast input shape (units in the module doc)."""

    delta: F64
    gamma: F64
    vega_per_pt: F64
    theta_per_day: F64
    rho_per_pt: F64


def bsm_greeks(
    s: ArrayLike,
    k: ArrayLike,
    t_y: ArrayLike,
    r: ArrayLike,
    sigma: ArrayLike,
    q: ArrayLike = 0.0,
    call: ArrayLike = True,
) -> Greeks:
    """Delta, gamma, vega, theta, rho. Requires t_y > 0 and sigma > 0 (NaN otherwise)."""
    s_, k_, t, r_, sig, q_, c = _arrays(s, k, t_y, r, sigma, q, call)
    is_call = c.astype(bool)
    ok = (t > 0) & (sig > 0)
    t = np.where(ok, t, 1.0)
    sig = np.where(ok, sig, 1.0)
    d1, d2, vol_t = _d1_d2(s_, k_, t, r_, q_, sig)
    sqrt_t = np.sqrt(t)
    df_q, df_r = np.exp(-q_ * t), np.exp(-r_ * t)
    pdf1 = _pdf(d1)
    nd1, nd2 = _cdf(d1), _cdf(d2)
    delta = np.where(is_call, df_q * nd1, df_q * (nd1 - 1.0))
    gamma = df_q * pdf1 / (s_ * vol_t)
    vega = s_ * df_q * pdf1 * sqrt_t
    decay = -s_ * df_q * pdf1 * sig / (2.0 * sqrt_t)
    theta_call = decay - r_ * k_ * df_r * nd2 + q_ * s_ * df_q * nd1
    theta_put = decay + r_ * k_ * df_r * (1.0 - nd2) - q_ * s_ * df_q * (1.0 - nd1)
    theta = np.where(is_call, theta_call, theta_put)
    rho = np.where(is_call, k_ * t * df_r * nd2, -k_ * t * df_r * (1.0 - nd2))

    def out(x: F64) -> F64:
        return np.asarray(np.where(ok, x, np.nan), dtype=np.float64)

    return Greeks(out(delta), out(gamma), out(vega / 100.0), out(theta / 365.0), out(rho / 100.0))


def no_arbitrage_bounds(
    s: ArrayLike,
    k: ArrayLike,
    t_y: ArrayLike,
    r: ArrayLike,
    q: ArrayLike = 0.0,
    call: ArrayLike = True,
) -> tuple[F64, F64]:
    """(lower, upper) price bounds of a European option: the value at zero and at infinite vol."""
    s_, k_, t, r_, q_, c = _arrays(s, k, t_y, r, q, call)
    is_call = c.astype(bool)
    fs, fk = s_ * np.exp(-q_ * t), k_ * np.exp(-r_ * t)
    lower = np.where(is_call, np.maximum(fs - fk, 0.0), np.maximum(fk - fs, 0.0))
    upper = np.where(is_call, fs, fk)
    return lower, upper


def implied_vol(
    price: ArrayLike,
    s: ArrayLike,
    k: ArrayLike,
    t_y: ArrayLike,
    r: ArrayLike,
    q: ArrayLike = 0.0,
    call: ArrayLike = True,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> F64:
    """Implied volatility by a bracketed Newton solver, vectorised; NaN = no solution.

    The bracket [IV_LOW, IV_HIGH] (1e-6 to 1000% vol) shrinks every step
    (price is increasing in vol); a Newton step that leaves the bracket, or a
    vega too small to trust, is replaced by bisection, so every element either
    converges or is reported as no solution.
    """
    arrays = _arrays(price, s, k, t_y, r, q, call)
    shape = arrays[0].shape
    p, s_, k_, t, r_, q_, c = (x.ravel() for x in arrays)
    lower, upper = no_arbitrage_bounds(s_, k_, t, r_, q_, c)
    finite = np.isfinite(p) & np.isfinite(s_) & np.isfinite(k_) & np.isfinite(t)
    valid = finite & (t > 0) & (s_ > 0) & (k_ > 0) & (p > lower) & (p < upper)
    t_ok = np.where(valid, t, 1.0)
    lo = np.full(p.shape, IV_LOW)
    hi = np.full(p.shape, IV_HIGH)
    valid &= (bsm_price(s_, k_, t_ok, r_, lo, q_, c) <= p) & (
        bsm_price(s_, k_, t_ok, r_, hi, q_, c) >= p
    )
    # Start from the Brenner-Subrahmanyam at-the-money guess, clipped into the bracket.
    fs = s_ * np.exp(-q_ * t_ok)
    guess = np.sqrt(2.0 * np.pi / t_ok) * p / np.where(fs > 0, fs, 1.0)
    sig = np.clip(np.where(valid, guess, 0.2), 0.01, 3.0)
    active = valid.copy()
    for _ in range(max_iter):
        i = np.nonzero(active)[0]
        if i.size == 0:
            break
        sg, tt, si, ki, ri, qi, pi = sig[i], t[i], s_[i], k_[i], r_[i], q_[i], p[i]
        diff = bsm_price(si, ki, tt, ri, sg, qi, c[i]) - pi
        d1, _, _ = _d1_d2(si, ki, tt, ri, qi, sg)
        vega = si * np.exp(-qi * tt) * _pdf(d1) * np.sqrt(tt)
        lo_i = np.where(diff < 0, sg, lo[i])
        hi_i = np.where(diff > 0, sg, hi[i])
        usable = vega > 1e-300
        newton = sg - diff / np.where(usable, vega, 1.0)
        inside = usable & (newton > lo_i) & (newton < hi_i)
        nxt = np.where(inside, newton, 0.5 * (lo_i + hi_i))
        done = (np.abs(diff) <= tol * np.maximum(1.0, pi)) | (hi_i - lo_i < 1e-15)
        sig[i] = np.where(done, sg, nxt)
        lo[i], hi[i] = lo_i, hi_i
        active[i] = ~done
    out = np.where(valid & ~active, sig, np.nan)
    return np.asarray(out.reshape(shape), dtype=np.float64)


def implied_vol_one(
    price: float, s: float, k: float, t_y: float, r: float, q: float = 0.0, call: bool = True
) -> float | None:
    """Scalar implied vol, or None when no volatility reproduces `price`."""
    v = float(implied_vol(price, s, k, t_y, r, q, call))
    return None if np.isnan(v) else v
