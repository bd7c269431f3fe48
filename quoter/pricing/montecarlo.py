"""Monte Carlo pricer for European options under geometric Brownian motion (antithetic, seeded).

Draws the terminal price S_T = S exp((r - q - sigma^2/2) t + sigma sqrt(t) Z)
for Z and -Z; each antithetic pair's average payoff is one independent sample,
so the reported standard error is honest (it accounts for the pairing). Same
seed, same answer. It exists to check the closed form and to price payoffs the
closed form cannot; it is not a path simulator (no barriers, no early exercise).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class McResult:
    """Discounted mean payoff, its standard error, and the number of antithetic pairs."""

    price: float
    stderr: float
    n_pairs: int


def mc_price(
    s: float,
    k: float,
    t_y: float,
    r: float,
    sigma: float,
    q: float = 0.0,
    call: bool = True,
    *,
    n_pairs: int = 100_000,
    seed: int = 0,
    payoff: Callable[[F64], F64] | None = None,
) -> McResult:
    """Price a European payoff of S_T (default: vanilla call/put at strike k)."""
    if n_pairs < 2 or t_y <= 0 or sigma < 0 or s <= 0:
        raise ValueError("mc_price needs n_pairs >= 2, t_y > 0, sigma >= 0 and s > 0")
    z = np.random.default_rng(seed).standard_normal(n_pairs)
    drift = (r - q - 0.5 * sigma * sigma) * t_y
    vol = sigma * math.sqrt(t_y)
    up = s * np.exp(drift + vol * z)
    down = s * np.exp(drift - vol * z)
    if payoff is None:
        sign = 1.0 if call else -1.0

        def vanilla(st: F64) -> F64:
            return np.maximum(sign * (st - k), 0.0)

        payoff = vanilla
    pairs = 0.5 * (payoff(up) + payoff(down))
    df = math.exp(-r * t_y)
    return McResult(
        price=df * float(pairs.mean()),
        stderr=df * float(pairs.std(ddof=1)) / math.sqrt(n_pairs),
        n_pairs=n_pairs,
    )
