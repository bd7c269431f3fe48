"""Ladders: N price levels per side, each with its own distance and size, in integer ticks/lots.

Level i sits `offset_ticks` behind the best price of its side (level 0 usually at
offset 0). The ladder does not price: it takes snapped best prices from
`ticks.snap_quote` and lays levels out behind them; `to_levels` turns the
result into the domain's exact `Level` values.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

from mmsla.domain.quote import Level


@dataclass(frozen=True, slots=True)
class LevelSpec:
    """One ladder rung: distance behind the best price (ticks, >= 0) and size (lots, > 0)."""

    offset_ticks: int
    qty_lots: int

    def __post_init__(self) -> None:
        if self.offset_ticks < 0 or self.qty_lots <= 0:
            raise ValueError("LevelSpec needs offset_ticks >= 0 and qty_lots > 0")


@dataclass(frozen=True, slots=True)
class LadderSpec:
    """Rungs in order, strictly increasing offsets."""

    levels: tuple[LevelSpec, ...]

    def __post_init__(self) -> None:
        offs = [lv.offset_ticks for lv in self.levels]
        if not offs or any(b <= a for a, b in itertools.pairwise(offs)):
            raise ValueError("LadderSpec needs at least one level and strictly increasing offsets")

    @classmethod
    def uniform(cls, n: int, step_ticks: int, qty_lots: int, qty_step_lots: int = 0) -> LadderSpec:
        """n levels `step_ticks` apart; size grows by `qty_step_lots` per level."""
        if n < 1 or step_ticks < 1:
            raise ValueError("uniform ladder needs n >= 1 and step_ticks >= 1")
        return cls(tuple(LevelSpec(i * step_ticks, qty_lots + i * qty_step_lots) for i in range(n)))


@dataclass(frozen=True, slots=True)
class Ladder:
    """(px_ticks, qty_lots) per level, best first: bids descending, asks ascending."""

    bids: tuple[tuple[int, int], ...]
    asks: tuple[tuple[int, int], ...]

    def to_levels(self, tick: Decimal, lot: Decimal) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
        """Exact Decimal levels for the quote log and the FIX layer."""
        return (
            tuple(Level(px * tick, qty * lot) for px, qty in self.bids),
            tuple(Level(px * tick, qty * lot) for px, qty in self.asks),
        )


def build_ladder(
    best_bid_ticks: int,
    best_ask_ticks: int,
    bid_spec: LadderSpec,
    ask_spec: LadderSpec | None = None,
) -> Ladder:
    """Lay out both sides behind the best prices; `ask_spec` defaults to `bid_spec`.

    Bid levels at non-positive prices are dropped (a price must stay above zero).
    """
    if best_bid_ticks >= best_ask_ticks:
        raise ValueError(f"crossed or locked best prices {best_bid_ticks} >= {best_ask_ticks}")
    aspec = bid_spec if ask_spec is None else ask_spec
    bids = tuple(
        (best_bid_ticks - lv.offset_ticks, lv.qty_lots)
        for lv in bid_spec.levels
        if best_bid_ticks - lv.offset_ticks > 0
    )
    asks = tuple((best_ask_ticks + lv.offset_ticks, lv.qty_lots) for lv in aspec.levels)
    return Ladder(bids, asks)
