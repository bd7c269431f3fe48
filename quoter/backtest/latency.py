"""Latency models of the backtester: how long a message takes, in integer nanoseconds.

- `ConstantLatency(ns)`: every message takes exactly `ns`.
- `LogNormalLatency(median_ns, sigma, seed)`: each message draws its own delay
  from a seeded lognormal (`median_ns * exp(sigma * Z)`), rounded to whole ns;
  the same seed gives the same sequence of draws.

`draw()` is called once per message in send order. Keeping a channel in order
(a later message never overtakes an earlier one) is the link's job, not this
module's. Not here: clocks, queues, messages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

__all__ = ["ZERO_LATENCY", "ConstantLatency", "LatencyModel", "LogNormalLatency"]


class LatencyModel(Protocol):
    def draw(self) -> int:
        """The delay of the next message in ns (>= 0)."""
        ...


@dataclass(frozen=True, slots=True)
class ConstantLatency:
    ns: int

    def __post_init__(self) -> None:
        if self.ns < 0:
            raise ValueError("latency must be >= 0 ns")

    def draw(self) -> int:
        return self.ns


ZERO_LATENCY = ConstantLatency(0)


@dataclass(slots=True)
class LogNormalLatency:
    """Per-message lognormal delays (seeded); drawn in blocks for speed."""

    median_ns: int
    sigma: float
    seed: int = 0
    _rng: np.random.Generator = field(init=False, repr=False)
    _block: list[int] = field(init=False, repr=False, default_factory=list)
    _i: int = field(init=False, repr=False, default=0)

    def __post_init__(self) -> None:
        if self.median_ns <= 0:
            raise ValueError("median latency must be > 0 ns")
        if not (self.sigma >= 0 and math.isfinite(self.sigma)):
            raise ValueError("sigma must be a finite number >= 0")
        self._rng = np.random.default_rng(self.seed)

    def draw(self) -> int:
        if self._i >= len(self._block):
            z = self._rng.standard_normal(4096)
            self._block = np.rint(self.median_ns * np.exp(self.sigma * z)).astype(np.int64).tolist()
            self._i = 0
        v = self._block[self._i]
        self._i += 1
        return v
