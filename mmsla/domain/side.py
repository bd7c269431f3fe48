"""Order side."""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    """Side of an order or fill: `buy` rests on the bid, `sell` on the ask."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for buy, -1 for sell (position change per unit filled)."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY
