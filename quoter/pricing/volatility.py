"""EWMA volatility of mid log-returns with a half-life in seconds, for irregular time steps.

Each observed return r over dt seconds is one sample of the per-second variance
r**2 / dt; the sample gets weight alpha = 1 - 2**(-dt / half_life_s), so an update
after a long gap counts more than one after a microsecond, and the estimate's
memory is a fixed span of clock time, not a fixed number of ticks.

`sigma_per_s` is the volatility of log returns per sqrt(second); `sigma_px_per_s`
multiplies by the last mid to give price units per sqrt(second), the unit the
Avellaneda-Stoikov and GLFT spread models expect. Not a forecaster: no mean
reversion, no jumps filter, no intraday seasonality.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

NS_PER_S = 1_000_000_000


@dataclass(frozen=True, slots=True)
class EwmaConfig:
    """`half_life_s`: seconds for a sample's weight to halve; `initial_sigma_per_s` seeds it.

    `min_dt_s` guards against zero or tiny steps: an update closer than this to the
    last accepted one is skipped (its move is counted in the next accepted return).
    """

    half_life_s: float
    initial_sigma_per_s: float | None = None
    min_dt_s: float = 1e-6

    def __post_init__(self) -> None:
        if not self.half_life_s > 0:
            raise ValueError("half_life_s must be positive")


class EwmaVolatility:
    """Streaming EWMA estimator; feed it `(ts_ns, mid)` in time order."""

    __slots__ = ("_cfg", "_last_mid", "_last_ts_ns", "_var_per_s", "count")

    def __init__(self, config: EwmaConfig) -> None:
        self._cfg = config
        self._last_ts_ns: int | None = None
        self._last_mid: float | None = None
        s0 = config.initial_sigma_per_s
        self._var_per_s: float | None = None if s0 is None else s0 * s0
        self.count = 0

    def update(self, ts_ns: int, mid_px: float) -> float | None:
        """Add one mid observation; returns the current `sigma_per_s` (None until known)."""
        if not mid_px > 0:
            raise ValueError(f"mid must be positive, got {mid_px}")
        if self._last_ts_ns is None or self._last_mid is None:
            self._last_ts_ns, self._last_mid = ts_ns, mid_px
            return self.sigma_per_s
        if ts_ns < self._last_ts_ns:
            raise ValueError("EwmaVolatility.update called with a timestamp in the past")
        dt_s = (ts_ns - self._last_ts_ns) / NS_PER_S
        if dt_s < self._cfg.min_dt_s:
            # Too close to the last accepted observation to be a variance sample:
            # skip it; the next return is measured from the last accepted one, so
            # the price move is not lost, only folded into the next sample.
            return self.sigma_per_s
        r = math.log(mid_px / self._last_mid)
        sample = r * r / dt_s
        alpha = 1.0 - 2.0 ** (-dt_s / self._cfg.half_life_s)
        if self._var_per_s is None:
            self._var_per_s = sample
        else:
            self._var_per_s += alpha * (sample - self._var_per_s)
        self._last_ts_ns, self._last_mid = ts_ns, mid_px
        self.count += 1
        return math.sqrt(self._var_per_s)  # (`sigma_per_s`, inline: set just above)

    @property
    def sigma_per_s(self) -> float | None:
        """Volatility of log returns per sqrt(second), or None before the first return."""
        return None if self._var_per_s is None else math.sqrt(self._var_per_s)

    @property
    def sigma_px_per_s(self) -> float | None:
        """Volatility in price units per sqrt(second) at the last mid."""
        var, mid = self._var_per_s, self._last_mid  # (`sigma_per_s`, inline)
        return None if var is None or mid is None else math.sqrt(var) * mid


def ewma_sigma_series(
    ts_ns: npt.NDArray[np.int64], mid_px: npt.NDArray[np.float64], config: EwmaConfig
) -> npt.NDArray[np.float64]:
    """Batch form: sigma_per_s after each observation (NaN while unknown).

    Same recursion as `EwmaVolatility` (a first-order recursion, so a plain loop;
    fine for studies, not meant for the hot path).
    """
    est = EwmaVolatility(config)
    out = np.full(ts_ns.shape[0], np.nan)
    for i in range(ts_ns.shape[0]):
        s = est.update(int(ts_ns[i]), float(mid_px[i]))
        if s is not None:
            out[i] = s
    return out
