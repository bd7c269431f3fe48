"""Inventory skew by price: move the whole quote against the position.

Long inventory lowers both bid and ask (sell more readily, buy less); short
raises them. This is a price skew; size skew, if wanted, is the ladder's job.
Models that already skew (Avellaneda-Stoikov, GLFT) need no extra skew.
"""

from __future__ import annotations

from dataclasses import dataclass

from quoter.pricing.spread import SpreadTarget


@dataclass(frozen=True, slots=True)
class InventorySkew:
    """Shift the reservation price by -ticks_per_lot * q ticks, at most `max_ticks` either way."""

    ticks_per_lot: float
    max_ticks: float | None = None

    def offset_ticks(self, inventory: float) -> float:
        off = -self.ticks_per_lot * inventory
        if self.max_ticks is not None:
            off = max(-self.max_ticks, min(self.max_ticks, off))
        return off

    def apply(self, target: SpreadTarget, inventory: float, tick: float) -> SpreadTarget:
        """The same half-spread around a reservation price moved by `offset_ticks`."""
        shift = self.offset_ticks(inventory) * tick
        return SpreadTarget(target.reservation_px + shift, target.half_spread)
