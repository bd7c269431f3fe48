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
_last_second: list[object] = [None, 0]  # the last `YYYYMMDD-HH:MM:SS` parsed and its ns
_SCALE = {3: 1_000_000, 6: 1000, 9: 1}  # fraction digits -> ns per unit


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
    # one body (no inner call): every message's SendingTime comes through here
    head = text[:17]
    if head == _last_second[0]:  # the usual case: the same second as the last text
        sec_ns: int = _last_second[1]  # type: ignore[assignment]
    else:
        sec_ns = _second_ns(head, text)
        _last_second[0] = head
        _last_second[1] = sec_ns
    digits = text[18:]
    n = len(digits)
    if n:
        if text[17] != "." or (n != 3 and n != 6 and n != 9) or not digits.isdigit():
            raise ValueError(f"bad UTCTimestamp {text!r}")
        ns = sec_ns + int(digits) * _SCALE[n]
    elif len(text) == 17:
        ns = sec_ns
    else:  # a 18th character and nothing after it
        raise ValueError(f"bad UTCTimestamp {text!r}")
    _last_parsed[0] = text
    _last_parsed[1] = ns
    return ns


def _second_ns(head: str, text: str) -> int:
    """UTC ns of the whole second `YYYYMMDD-HH:MM:SS` (`head`, the start of `text`)."""
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
    return sec * _NS
