"""Per-publisher sequence numbers and the subscriber's gap detection.

A publisher numbers its events 1, 2, 3, ... (`Sequencer`); a subscriber feeds
every `seq` it sees to `GapTracker`, which says which ranges went missing so
they can be replayed from the publisher's journal. A publisher restart is
visible as `seq` going back to 1 under a new `source` run id.
"""

from __future__ import annotations

from dataclasses import dataclass


class Sequencer:
    """Hands out consecutive sequence numbers, starting after `last`."""

    __slots__ = ("_next",)

    def __init__(self, last: int = 0) -> None:
        self._next = last + 1

    def next(self) -> int:
        seq = self._next
        self._next = seq + 1
        return seq

    @property
    def last(self) -> int:
        return self._next - 1


@dataclass(frozen=True, slots=True)
class Gap:
    """Sequence numbers `first..last` (inclusive) were not received."""

    first: int
    last: int

    @property
    def count(self) -> int:
        return self.last - self.first + 1


class GapTracker:
    """Tracks the highest contiguous `seq` seen and reports jumps.

    `observe(seq)` returns a `Gap` when `seq` skips ahead, None otherwise.
    Duplicates and late arrivals (a `seq` at or below the high mark) return
    None and are counted in `duplicates`, so a caller can drop them.
    """

    __slots__ = ("duplicates", "expected")

    def __init__(self, last: int = 0) -> None:
        self.expected = last + 1
        self.duplicates = 0

    def observe(self, seq: int) -> Gap | None:
        if seq == self.expected:
            self.expected = seq + 1
            return None
        if seq < self.expected:
            self.duplicates += 1
            return None
        gap = Gap(self.expected, seq - 1)
        self.expected = seq + 1
        return gap

    def is_new(self, seq: int) -> bool:
        """True when `seq` has not been seen (used before `observe`)."""
        return seq >= self.expected
