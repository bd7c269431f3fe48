"""UTCTimestamp text <-> ns: exact, and the caches never change an answer."""

from __future__ import annotations

import pytest

from quoter.fix.codec.times import format_utc, parse_utc

T0 = 1_750_000_000_123_456_789


def test_round_trip_each_precision() -> None:
    assert format_utc(T0, "s") == "20250615-15:06:40"
    assert parse_utc(format_utc(T0, "ms")) == T0 - 456_789
    assert parse_utc(format_utc(T0, "us")) == T0 - 789
    assert parse_utc(format_utc(T0, "ns")) == T0


@pytest.mark.parametrize(
    "bad", ["", "20250615-15:06:40.", "20250615-15:06:40.1234", "20250615 15:06:40", "x"]
)
def test_malformed_raises_even_right_after_a_good_one(bad: str) -> None:
    parse_utc("20250615-15:06:40.000")
    with pytest.raises(ValueError):
        parse_utc(bad)
    with pytest.raises(ValueError):  # and again: a failure is never remembered as a value
        parse_utc(bad)


def test_repeated_and_alternating_texts() -> None:
    a, b = format_utc(T0, "ms"), format_utc(T0 + 5_000_000, "ms")
    assert [parse_utc(t) for t in (a, a, b, a, b, b)] == [
        T0 - 456_789,
        T0 - 456_789,
        T0 + 5_000_000 - 456_789,
        T0 - 456_789,
        T0 + 5_000_000 - 456_789,
        T0 + 5_000_000 - 456_789,
    ]


def test_empty_text_is_malformed_in_a_fresh_process() -> None:
    import subprocess
    import sys

    code = (
        "from quoter.fix.codec.times import parse_utc\n"
        "try:\n    parse_utc('')\nexcept ValueError:\n    raise SystemExit(0)\n"
        "raise SystemExit(1)\n"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize(
    "bad", ["20250615-15:06:40x123", "20250615-15:06:40.12a", "20250615-15:06:40.+12"]
)
def test_malformed_fraction_after_the_same_second_raises(bad: str) -> None:
    # the second is cached from the good text: the fraction is still checked
    parse_utc("20250615-15:06:40.000")
    with pytest.raises(ValueError):
        parse_utc(bad)


def test_same_second_cache_agrees_with_a_fresh_parse() -> None:
    import calendar

    # seconds back and forth (same second, next, back again, a day later) and each
    # precision: every answer equals the calendar arithmetic done here from scratch
    for ts in (T0, T0 + 1, T0 + 999_999_999, T0 + 1_000_000_000, T0, T0 + 86_400 * 10**9):
        for prec in ("s", "ms", "us", "ns"):
            text = format_utc(ts, prec)
            head, _, frac = text.partition(".")
            fields = (head[0:4], head[4:6], head[6:8], head[9:11], head[12:14], head[15:17])
            sec = calendar.timegm((*map(int, fields), 0, 0, 0))
            expected = sec * 10**9 + (int(frac) * 10 ** (9 - len(frac)) if frac else 0)
            assert parse_utc(text) == expected
