"""The monitor's quote-log lines: the one-level shortcut writes what the shared layout writes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mmsla.io import quote_log_format
from mmsla.monitor.quotelog import quote_lines

cell = st.one_of(
    st.sampled_from(["100.00", "0", "99.5", "1e2", ""]), st.none(), st.just(Decimal("1.50"))
)
level = st.lists(cell, min_size=2, max_size=2)
side = st.lists(level, max_size=3)
row = st.tuples(
    st.integers(0, 2**62),
    st.sampled_from(["ABC", "X.Y"]),
    side,
    side,
    st.sampled_from([None, "quote", "fill", "stale", ""]),
)


@given(st.lists(row, max_size=20))
def test_one_level_lines_equal_the_shared_layout(rows: list[Any]) -> None:
    want = [quote_log_format.line(*r, 1) for r in rows]
    assert quote_lines(rows, 1) == want


def test_the_shortcut_drops_deeper_levels_and_blanks_an_empty_side() -> None:
    rows: Any = [(5, "ABC", [["1.0", "2"], ["0.9", "3"]], [], "fill")]
    assert quote_lines(rows, 1) == ["5,ABC,1.0,2,,,fill"]
    assert quote_lines(rows, 2) == ["5,ABC,1.0,2,,,0.9,3,,,fill"]
