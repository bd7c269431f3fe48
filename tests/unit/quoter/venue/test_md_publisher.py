"""Market-data increments (against a brute-force book rebuild) and the venue dictionary."""

from __future__ import annotations

import random

from quoter.fix.codec.framing import encode, parse
from quoter.fix.dictionary import Dictionary
from quoter.fix.validation import validate
from quoter.venue.md_publisher import (
    CHANGE,
    DELETE,
    NEW,
    _level_updates,
    entry_time,
    venue_dictionary,
)


def _random_top(rng: random.Random, depth: int, ascending: bool) -> tuple[tuple[int, int], ...]:
    n = rng.randint(0, depth)
    pxs = sorted(rng.sample(range(100, 112), n), reverse=not ascending)
    return tuple((p, rng.randint(1, 4)) for p in pxs)


def test_level_updates_rebuild_the_new_book_in_any_order_of_application() -> None:
    rng = random.Random(11)
    for _ in range(3000):
        ascending = rng.random() < 0.5
        old = _random_top(rng, 5, ascending)
        new = _random_top(rng, 5, ascending)
        updates = _level_updates(old, new)
        book = dict(old)
        seen_non_delete = False
        for action, px, qty, level in updates:
            if action == DELETE:
                assert not seen_non_delete, "deletes come first"
                assert book.pop(px) is not None
                assert old[level - 1][0] == px  # position before the update
            else:
                seen_non_delete = True
                assert (action == NEW) == (px not in dict(old))
                if action == CHANGE:
                    assert dict(old)[px] != qty
                book[px] = qty
                assert new[level - 1] == (px, qty)  # position after the update
            assert len(book) <= max(len(old), len(new))
        assert book == dict(new)
        if old == new:
            assert updates == []


def test_entry_time_is_utc_date_and_microseconds() -> None:
    assert entry_time(1_340_285_400_123_456_789) == ("20120621", "13:30:00.123456")


def test_venue_dictionary_accepts_what_the_venue_sends_and_leaves_the_base_alone() -> None:
    dd = venue_dictionary()
    header = [(34, "2"), (49, "VENUE"), (52, "20120621-13:30:00.000000"), (56, "MM1")]
    x_body = [(262, "md"), (268, "1"), (279, "0"), (269, "2"), (55, "ABC"), (270, "1.5")]
    x_body += [(271, "2"), (272, "20120621"), (273, "13:30:00.000001"), (1023, "1"), (2446, "1")]
    f_body = [(55, "ABC"), (326, "2"), (60, "20120621-13:30:00.000001"), (20001, "Y")]
    for mt, body in (("X", x_body), ("f", f_body)):
        msg = parse(encode("FIX.4.4", mt, header, body))
        assert validate(msg, dd) is None
        assert validate(msg, Dictionary.fix44()) is not None  # the compact base lacks them
    bad = parse(encode("FIX.4.4", "f", header, [*f_body[:3], (20001, "maybe")]))
    assert validate(bad, dd) is not None
    assert 1023 not in Dictionary.fix44().fields
