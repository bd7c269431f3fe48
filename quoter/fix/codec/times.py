"""UTCTimestamp text <-> UTC int nanoseconds, exact and cached per second.

Formats `YYYYMMDD-HH:MM:SS` with optional `.sss`, `.ssssss` or `.sssssssss`.
Both directions cache the last whole second, so the hot path is a slice and
an integer operation; parsing also remembers the last text (a burst of
messages carries the same SendingTime).
"""

from __future__ import annotations

import calendar
import time

_NS = 1_000_000_000

_fmt_cache: list[object] = [-1, ""]
_parse_cache: dict[str, int] = {}
_last_parsed: list[object] = [None, 0]  # the last text parsed and its value


def _second_text(sec: int) -> str:
    if _fmt_cache[0] != sec:
        _fmt_cache[0] = sec
        _fmt_cache[1] = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime(sec))
    return _fmt_cache[1]  # type: ignore[return-value]


def format_utc(ts_ns: int, precision: str = "ms") -> str:
    """`YYYYMMDD-HH:MM:SS[.fff]` for precision "s", "ms", "us" or "ns"."""
    sec, frac = divmod(ts_ns, _NS)
    text = _second_text(sec)
    if precision == "ms":
        return f"{text}.{frac // 1_000_000:03d}"
    if precision == "s":
        return text
    if precision == "us":
        return f"{text}.{frac // 1000:06d}"
    return f"{text}.{frac:09d}"


def parse_utc(text: str) -> int:
    """UTC nanoseconds of a UTCTimestamp; ValueError when malformed."""
    if text == _last_parsed[0]:  # messages of a burst share their SendingTime
        return _last_parsed[1]  # type: ignore[return-value]
    ns = _parse_utc(text)
    _last_parsed[0] = text
    _last_parsed[1] = ns
    return ns


def _parse_utc(text: str) -> int:
    head = text[:17]
    sec = _parse_cache.get(head)
    if sec is None:
        if len(head) != 17 or head[8] != "-" or head[11] != ":" or head[14] != ":":
            raise ValueError(f"bad UTCTimestamp {text!r}")
        sec = int(
            calendar.timegm(
                (
                    int(head[0:4]),
                    int(head[4:6]),
                    int(head[6:8]),
                    int(head[9:11]),
                    int(head[12:14]),
                    int(head[15:17]),
                    0,
                    0,
                    0,
                )
            )
        )
        if len(_parse_cache) > 4096:
            _parse_cache.clear()
        _parse_cache[head] = sec
    rest = text[17:]
    if not rest:
        return sec * _NS
    if rest[0] != "." or not rest[1:].isdigit() or len(rest) - 1 not in (3, 6, 9):
        raise ValueError(f"bad UTCTimestamp {text!r}")
    digits = rest[1:]
    scale: int = 10 ** (9 - len(digits))
    return sec * _NS + int(digits) * scale
