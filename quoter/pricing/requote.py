"""The requote decision: replace a live order only when it is worth a message.

A live price is replaced when the target moved more than `tolerance_ticks`, or
the order is older than `max_age_s` (refresh, e.g. to keep queue-age rules or a
venue's order lifetime). This module decides; the order manager acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

NS_PER_S = 1_000_000_000


class Requote(StrEnum):
    """Why an order should change."""

    PLACE = "place"  # nothing live, a target exists
    CANCEL = "cancel"  # live, no target any more
    MOVED = "moved"  # target moved beyond tolerance
    AGED = "aged"  # order older than max_age_s


@dataclass(frozen=True, slots=True)
class RequotePolicy:
    """`tolerance_ticks`: keep the order while |target - live| <= this; `max_age_s` None = off."""

    tolerance_ticks: int = 0
    max_age_s: float | None = None

    def __post_init__(self) -> None:
        if self.tolerance_ticks < 0:
            raise ValueError("tolerance_ticks must be >= 0")

    def decide(
        self,
        live_px_ticks: int | None,
        target_px_ticks: int | None,
        placed_ts_ns: int | None,
        now_ns: int,
    ) -> Requote | None:
        """What to do with one side's order (None = leave it alone)."""
        if live_px_ticks is None:
            return None if target_px_ticks is None else Requote.PLACE
        if target_px_ticks is None:
            return Requote.CANCEL
        if abs(target_px_ticks - live_px_ticks) > self.tolerance_ticks:
            return Requote.MOVED
        if (
            self.max_age_s is not None
            and placed_ts_ns is not None
            and now_ns - placed_ts_ns > self.max_age_s * NS_PER_S
        ):
            return Requote.AGED
        return None
