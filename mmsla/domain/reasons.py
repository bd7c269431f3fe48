"""Reason codes for an invalid quote (DESIGN.md section 6, normative)."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a quote fails the agreement at an instant. Order is the report order."""

    NO_QUOTE = "NO_QUOTE"
    ONE_SIDED = "ONE_SIDED"
    CROSSED = "CROSSED"
    SPREAD_TOO_WIDE = "SPREAD_TOO_WIDE"
    SIZE_BELOW_MIN = "SIZE_BELOW_MIN"
    SIZE_DIVERGENCE = "SIZE_DIVERGENCE"
    DEPTH_BELOW_MIN = "DEPTH_BELOW_MIN"
    OUT_OF_BAND = "OUT_OF_BAND"
    UNKNOWN = "UNKNOWN"  # monitor only: an interval whose events were lost and not recovered

    @property
    def bit(self) -> int:
        """A distinct bit per reason, so a reason set packs into one integer mask."""
        return 1 << list(Reason).index(self)


def reasons_from_mask(mask: int) -> list[Reason]:
    """Unpack a bit mask (see `Reason.bit`) into reasons, in report order."""
    return [r for r in Reason if mask & r.bit]
