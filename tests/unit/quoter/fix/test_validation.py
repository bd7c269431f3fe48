"""Validation reports the same first problem QuickFIX's DataDictionary does."""

from __future__ import annotations

import pytest

from quoter.fix.codec.framing import encode, parse
from quoter.fix.dictionary import Dictionary
from quoter.fix.validation import validate

HDR = [(34, "2"), (49, "TW44"), (52, "20250101-00:00:00"), (56, "ISLD")]
ORDER = [
    (11, "ID"),
    (21, "1"),
    (40, "1"),
    (54, "1"),
    (38, "200"),
    (55, "INTC"),
    (60, "20250101-00:00:00"),
]


def _check(msg_type: str, header: list[tuple[int, str]], body: list[tuple[int, str]]) -> object:
    r = validate(parse(encode("FIX.4.4", msg_type, header, body)), Dictionary.fix44())
    return None if r is None else (r.reason, r.tag, r.text)


def test_valid_order() -> None:
    assert _check("D", HDR, ORDER) is None


@pytest.mark.parametrize(
    ("msg_type", "header", "body", "expected"),
    [
        ("0", HDR, [(999, "HI")], (0, 999, "Invalid tag number")),
        ("0", HDR, [(-1, "HI")], (0, -1, "Invalid tag number")),
        ("0", HDR[:3], [], (1, 56, "Required tag missing")),
        ("D", HDR, ORDER[1:], (1, 11, "Required tag missing")),
        ("0", HDR, [(55, "MSFT")], (2, 55, "Tag not defined for this message type")),
        ("0", [*HDR[:3], (56, "")], [], (4, 56, "Tag specified without a value")),
        (
            "D",
            HDR,
            [*ORDER[:2], (167, "BOO"), *ORDER[2:]],
            (5, 167, "Value is incorrect (out of range) for this tag"),
        ),
        ("D", HDR, [(38, "+200.00"), *ORDER], (6, 38, "Incorrect data format for value")),
        ("D", [HDR[0]], [*ORDER, *HDR[1:]], (14, 49, "Tag specified out of required order")),
        ("D", HDR, [*ORDER, (40, "2")], (13, 40, "Tag appears more than once")),
        (
            "D",
            HDR,
            [*ORDER, (386, "3"), (336, "A"), (336, "B")],
            (16, 386, "Incorrect NumInGroup count for repeating group"),
        ),
        ("*", HDR, [], (11, None, "Invalid MsgType")),
    ],
)
def test_first_problem(msg_type: str, header: list, body: list, expected: tuple) -> None:
    assert _check(msg_type, header, body) == expected


def test_group_with_zero_count_is_valid() -> None:
    body = [(320, "R"), (322, "1"), (323, "6"), (55, "TBS"), (454, "0")]
    assert _check("d", HDR, body) is None
