"""A seeded synthetic market: random-walk mid, Avellaneda-Stoikov taker flow, background makers.

Drives a `MatchingEngine` symbol as two system members:
- `synthetic-maker` keeps a background book of `bg_levels` orders of
  `bg_qty_lots` per side around the mid (first level `bg_offset_ticks` away,
  then every `bg_spacing_ticks`), re-centred whenever the mid moves and topped
  up after every taker, so the book is never empty (a level is re-entered
  once fully taken; a partly taken level is left as it is until then);
- `synthetic-taker` sends immediate-or-cancel orders. On each side takers
  arrive as a Poisson process of rate A; each has a *reach* delta drawn from an
  exponential law of rate k (price units), so takers reaching at least delta
  arrive at rate A*exp(-k*delta), the Avellaneda-Stoikov intensity. A buy
  taker trades against every ask at or below mid + delta (a sell taker: bids at
  or above mid - delta); `taker_qty_lots` caps its size (None = it takes all
  liquidity within its reach, which makes the fill rate of *any* resting order
  at distance delta exactly A*exp(-k*delta)).

The mid moves every `dt_ms` by a Gaussian step of `sigma_px_per_sqrt_s`
(per sqrt second) plus Poisson jumps (`jump_rate_per_s`, Gaussian sizes of
`jump_sigma_px`). The market is stressed while the realised volatility over
the last `stress_window_s` exceeds `stress_vol_px_per_sqrt_s` (announced by
the engine as a PhaseChanged with the stressed flag).

Event-time driven: `next_event_ns()` says when the next mid step or taker is
due; `step(now_ns)` processes everything due up to `now_ns` and returns the
engine events. Deterministic for a seed (one numpy Generator, no clock).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from mmsla.domain import Side
from quoter.venue.events import Accepted, Event
from quoter.venue.matching import MatchingEngine

MAKER = "synthetic-maker"
TAKER = "synthetic-taker"
NS_PER_S = 1_000_000_000


@dataclass(frozen=True)
class SyntheticParams:
    """Synthetic market parameters (prices in the symbol's currency, not ticks)."""

    mid_px: Decimal
    intensity_a_per_s: float = 1.0
    intensity_k_per_px: float = 100.0
    taker_qty_lots: int | None = None
    sigma_px_per_sqrt_s: float = 0.0
    jump_rate_per_s: float = 0.0
    jump_sigma_px: float = 0.0
    dt_ms: int = 100
    bg_levels: int = 5
    bg_qty_lots: int = 10
    bg_offset_ticks: int = 1
    bg_spacing_ticks: int = 1
    stress_vol_px_per_sqrt_s: float | None = None
    stress_window_s: float = 60.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.intensity_a_per_s <= 0 or self.intensity_k_per_px <= 0:
            raise ValueError("intensity A and k must be positive")
        if self.dt_ms <= 0 or self.bg_offset_ticks < 1 or self.bg_spacing_ticks < 1:
            raise ValueError("dt_ms, bg_offset_ticks and bg_spacing_ticks must be >= 1")
        if self.taker_qty_lots is not None and self.taker_qty_lots <= 0:
            raise ValueError("taker_qty_lots must be positive or None")


class SyntheticMarket:
    """One symbol's synthetic flow against `engine` (which must list MAKER and TAKER
    as system members), starting at `start_ns`."""

    def __init__(
        self, engine: MatchingEngine, symbol: str, params: SyntheticParams, start_ns: int
    ) -> None:
        self.engine = engine
        self.symbol = symbol
        self.params = params
        tick = engine.spec(symbol).tick
        self._tick_px = float(tick)
        self._mid = float(params.mid_px / tick)  # in ticks
        self._rng = np.random.default_rng(params.seed)
        self._dt_ns = params.dt_ms * 1_000_000
        dt_s = params.dt_ms / 1000
        self._step_sd = params.sigma_px_per_sqrt_s / self._tick_px * math.sqrt(dt_s)
        self._jump_p = params.jump_rate_per_s * dt_s
        self._jump_sd = params.jump_sigma_px / self._tick_px
        self._reach_scale = 1.0 / (params.intensity_k_per_px * self._tick_px)  # mean reach, ticks
        self._gap_scale_ns = NS_PER_S / params.intensity_a_per_s
        self._next_mid = start_ns + self._dt_ns
        self._next_buy = start_ns + self._gap()
        self._next_sell = start_ns + self._gap()
        self._bg: dict[int, dict[int, int]] = {1: {}, -1: {}}  # side -> px -> order id
        self._moves: deque[tuple[int, float]] = deque()  # (ts, squared mid step in ticks^2)
        self._moves_sq = 0.0
        self.stressed = False
        self.arrivals = 0  # takers generated (including those that found nothing in reach)
        self._started = False
        self._start_ns = start_ns

    @property
    def mid_ticks(self) -> float:
        return self._mid

    def next_event_ns(self) -> int:
        return min(self._next_mid, self._next_buy, self._next_sell)

    def step(self, now_ns: int) -> list[Event]:
        """Process every mid step and taker due at or before `now_ns`, in time order."""
        events: list[Event] = []
        if not self._started:
            self._started = True
            self._refresh(self._start_ns, events)
        while True:
            t = min(self._next_mid, self._next_buy, self._next_sell)
            if t > now_ns:
                return events
            if t == self._next_mid:
                self._next_mid += self._dt_ns
                self._move(t, events)
            elif t == self._next_buy:
                self._next_buy += self._gap()
                self._taker(Side.BUY, t, events)
            else:
                self._next_sell += self._gap()
                self._taker(Side.SELL, t, events)

    # ------------------------------------------------------------------ internals
    def _gap(self) -> int:
        return max(1, int(self._rng.exponential(self._gap_scale_ns)))

    def _move(self, t: int, events: list[Event]) -> None:
        step = 0.0
        if self._step_sd:
            step += float(self._rng.normal(0.0, self._step_sd))
        if self._jump_p:
            n = int(self._rng.poisson(self._jump_p))
            if n:
                step += float(self._rng.normal(0.0, self._jump_sd * math.sqrt(n)))
        if step:
            self._mid = max(self._mid + step, float(self.params.bg_offset_ticks + 1))
            self._refresh(t, events)
        if self.params.stress_vol_px_per_sqrt_s is not None:
            self._check_stress(t, step * step, events)

    def _check_stress(self, t: int, sq: float, events: list[Event]) -> None:
        p = self.params
        assert p.stress_vol_px_per_sqrt_s is not None
        window_ns = int(p.stress_window_s * NS_PER_S)
        self._moves.append((t, sq))
        self._moves_sq += sq
        while self._moves and self._moves[0][0] <= t - window_ns:
            self._moves_sq -= self._moves.popleft()[1]
        vol = math.sqrt(max(self._moves_sq, 0.0) / p.stress_window_s) * self._tick_px
        stressed = vol > p.stress_vol_px_per_sqrt_s
        if stressed != self.stressed:
            self.stressed = stressed
            reason = f"realised vol {vol:.6g} per sqrt(s) over {p.stress_window_s:g} s"
            events += self.engine.set_phase(
                self.symbol, self.engine.phase(self.symbol), t, stressed=stressed, reason=reason
            )

    def _taker(self, side: Side, t: int, events: list[Event]) -> None:
        self.arrivals += 1
        reach = float(self._rng.exponential(self._reach_scale))
        book = self.engine.book(self.symbol)
        if side is Side.BUY:
            limit = math.floor(self._mid + reach)
            opp = book.asks
        else:
            limit = math.ceil(self._mid - reach)
            opp = book.bids
        if limit < 1:
            return
        best = opp.best()
        if best is None or (best > limit if side is Side.BUY else best < limit):
            return
        qty = self.params.taker_qty_lots
        if qty is None:
            qty = 0
            for key in reversed(opp.keys):
                lv = opp.levels[key]
                if (lv.px > limit) if side is Side.BUY else (lv.px < limit):
                    break
                qty += lv.qty
        events += self.engine.submit(TAKER, self.symbol, side, limit, qty, t, ioc=True)
        self._refresh(t, events)

    def _refresh(self, t: int, events: list[Event]) -> None:
        """Re-centre the background book: withdraw stale levels, then fill missing ones."""
        p = self.params
        top_bid = math.ceil(self._mid) - p.bg_offset_ticks
        top_ask = math.floor(self._mid) + p.bg_offset_ticks
        want = {
            1: {top_bid - i * p.bg_spacing_ticks for i in range(p.bg_levels)},
            -1: {top_ask + i * p.bg_spacing_ticks for i in range(p.bg_levels)},
        }
        engine = self.engine
        for s, have in self._bg.items():
            for px, oid in list(have.items()):
                if px not in want[s]:
                    if engine.order(oid) is not None:
                        events += engine.cancel(MAKER, oid, t)
                    del have[px]
                elif engine.order(oid) is None:
                    del have[px]  # filled: replaced below
        for s, have in self._bg.items():
            side = Side.BUY if s == 1 else Side.SELL
            for px in sorted(want[s], reverse=s == 1):
                if px in have or px < 1:
                    continue
                new = engine.submit(MAKER, self.symbol, side, px, p.bg_qty_lots, t)
                events += new
                acc = new[0]
                if isinstance(acc, Accepted) and engine.order(acc.order_id) is not None:
                    have[px] = acc.order_id
