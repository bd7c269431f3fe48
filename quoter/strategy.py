"""The quoting decision for one symbol (pure): book -> fair value -> spread -> skew -> ladder.

`fair_value(method, own, tops, weights)` picks mid, microprice or a weighted mid
of several symbols' mids. `SymbolStrategy` keeps the EWMA volatility of the
fair value, asks the configured spread model (`quoter.pricing.spread`) for a
reservation price and half-spread, multiplies the half-spread by a `widen`
factor (control command), moves the quote against inventory (`InventorySkew`,
when configured), snaps to the tick (bids down, asks up, never locked) and lays
the ladder out behind the best prices.

Not here: the agreement (`quoter.clamp` clamps what this returns), risk,
orders, I/O, clocks (time is an argument).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

from quoter.config import LadderConfig, PricingConfig
from quoter.intents import Instrument
from quoter.pricing.fair_value import microprice
from quoter.pricing.ladder import Ladder, LadderSpec, LevelSpec, build_ladder
from quoter.pricing.spread import QuoteInputs, VolScaledSpread
from quoter.pricing.ticks import snap_quote
from quoter.pricing.volatility import NS_PER_S, EwmaVolatility

__all__ = ["SymbolStrategy", "TopOfBook", "fair_value", "ladder_spec"]


class TopOfBook(NamedTuple):
    """The market's best bid and offer in integer ticks/lots (None = side empty).

    A NamedTuple (immutable) rather than a frozen dataclass: one is built for
    every book update used, and a frozen dataclass's `__init__` costs twice as much.
    """

    bid_ticks: int | None
    bid_lots: int
    ask_ticks: int | None
    ask_lots: int

    @property
    def two_sided(self) -> bool:
        return self.bid_ticks is not None and self.ask_ticks is not None

    def mid_ticks(self) -> float | None:
        if self.bid_ticks is None or self.ask_ticks is None:
            return None
        return (self.bid_ticks + self.ask_ticks) / 2.0


def fair_value(
    method: str,
    own: TopOfBook,
    tick: float,
    tops: Mapping[str, tuple[TopOfBook, float]] | None = None,
    weights: Mapping[str, float] | None = None,
) -> float | None:
    """Fair value in price units, or None when the inputs are not two-sided.

    `mid`: plain mid; `microprice`: size-weighted mid; `weighted`: the weighted
    mean of the mids of `weights`' symbols, looked up in `tops` (symbol ->
    (book, tick)); symbols without a two-sided book are left out.
    """
    if method == "weighted":
        num = den = 0.0
        for sym, w in (weights or {}).items():
            entry = (tops or {}).get(sym)
            if entry is None or w <= 0:
                continue
            book, t = entry
            m = book.mid_ticks()
            if m is None:
                continue
            num += w * m * t
            den += w
        return None if den <= 0 else num / den
    if own.bid_ticks is None or own.ask_ticks is None:
        return None
    if method == "microprice":
        return (
            microprice(
                float(own.bid_ticks), float(own.bid_lots), float(own.ask_ticks), float(own.ask_lots)
            )
            * tick
        )
    return (own.bid_ticks + own.ask_ticks) * tick / 2.0


def _snap(bid_px: float, ask_px: float, tick_f: float, min_width_ticks: int) -> tuple[int, int]:
    """`quoter.pricing.ticks.snap_quote` with the tick already a float (the same
    float operations in the same order, so the same answer; `min_width_ticks` >= 1)."""
    x = bid_px / tick_f
    y = ask_px / tick_f
    b = math.floor(x + (1e-9 + abs(x) * 1e-12))
    a = math.ceil(y - (1e-9 + abs(y) * 1e-12))
    if a - b >= min_width_ticks:
        return b, a
    centre = (x + y) / 2.0
    b = math.floor(centre - min_width_ticks / 2.0 + (1e-9 + abs(centre) * 1e-12))
    return b, b + min_width_ticks


def ladder_spec(ladder: LadderConfig, instrument: Instrument) -> LadderSpec:
    """The configured ladder in this instrument's ticks and lots (sizes checked by the config)."""
    levels = []
    for n in range(ladder.levels):
        qty = ladder.qty + n * ladder.qty_step
        levels.append(LevelSpec(n * ladder.step_ticks, int(qty // instrument.lot)))
    return LadderSpec(tuple(levels))


class SymbolStrategy:
    """One symbol's pricing state (volatility) and its desired ladder."""

    __slots__ = (
        "_ladders",
        "_pricing",
        "_spec",
        "_tick",
        "_vol_scaled",
        "instrument",
        "last_fair_px",
        "tick_f",
        "vol",
    )

    def __init__(
        self, instrument: Instrument, pricing: PricingConfig, ladder: LadderConfig
    ) -> None:
        self.instrument = instrument
        self._pricing = pricing
        self._tick = instrument.tick
        # the volatility-scaled model is asked for its half spread alone (hot path)
        self._vol_scaled = pricing.spread if type(pricing.spread) is VolScaledSpread else None
        self.tick_f = float(instrument.tick)  # (fair value and snapping work in floats)
        self._spec = ladder_spec(ladder, instrument)
        self.vol = EwmaVolatility(pricing.volatility)
        self.last_fair_px: float | None = None
        # laid-out ladders by best (bid, ask) ticks: immutable, and the same few recur
        self._ladders: dict[tuple[int, int], Ladder] = {}

    def observe(self, ts_ns: int, fair_px: float) -> None:
        """Feed one fair-value observation to the volatility estimator."""
        if fair_px > 0:
            self.vol.update(ts_ns, fair_px)
            self.last_fair_px = fair_px

    def time_left_s(self, now_ns: int) -> float | None:
        """Avellaneda-Stoikov T - t: the horizon restarts every `horizon_s` seconds."""
        h = self._pricing.horizon_s
        if h is None:
            return None
        return h - (now_ns / NS_PER_S) % h

    def desired(
        self, fair_px: float, inventory_lots: int, now_ns: int, widen: float = 1.0
    ) -> Ladder:
        """The ladder the strategy wants (before the obligation clamp)."""
        p = self._pricing
        sigma = self.vol.sigma_px_per_s or 0.0
        if self._vol_scaled is not None:  # (the same figures as its `target`)
            r = fair_px
            half = self._vol_scaled.half_spread(sigma, self.tick_f) * widen
        else:
            h = p.horizon_s  # (`time_left_s`, inline)
            t_left = None if h is None else h - (now_ns / NS_PER_S) % h
            target = p.spread.target(
                QuoteInputs(fair_px, sigma, float(inventory_lots), self.tick_f, t_left)
            )
            half = target.half_spread * widen
            r = target.reservation_px
        if p.skew is not None:  # `InventorySkew.apply`, without building its target
            r += p.skew.offset_ticks(float(inventory_lots)) * self.tick_f
        if p.min_width_ticks >= 1:
            b, a = _snap(r - half, r + half, self.tick_f, p.min_width_ticks)
        else:  # (raises: a quote may not lock or cross)
            b, a = snap_quote(r - half, r + half, self._tick, p.min_width_ticks)
        if b < 1:  # a price must stay positive: keep the width, move up
            a += 1 - b
            b = 1
        ladders = self._ladders
        ladder = ladders.get((b, a))
        if ladder is None:
            if len(ladders) >= 4096:
                ladders.clear()
            ladder = ladders[(b, a)] = build_ladder(b, a, self._spec)
        return ladder
