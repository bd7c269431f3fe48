"""Sequence numbers and gap detection."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mmsla.events import GapTracker, Sequencer
from mmsla.events.sequence import Gap


def test_sequencer_continues_after_last() -> None:
    s = Sequencer(last=41)
    assert [s.next(), s.next()] == [42, 43]
    assert s.last == 43


def test_gap_tracker_reports_jump_and_ignores_duplicates() -> None:
    g = GapTracker()
    assert g.observe(1) is None
    assert g.observe(2) is None
    assert g.observe(6) == Gap(3, 5)
    assert g.observe(4) is None  # late arrival of a missing one: not new
    assert g.duplicates == 1
    assert g.observe(7) is None


@given(st.sets(st.integers(min_value=1, max_value=300), min_size=1))
def test_gaps_plus_seen_cover_everything(seen: set[int]) -> None:
    g = GapTracker()
    missing: set[int] = set()
    for seq in sorted(seen):
        gap = g.observe(seq)
        if gap is not None:
            missing.update(range(gap.first, gap.last + 1))
    assert missing | seen == set(range(1, max(seen) + 1))
    assert not missing & seen
