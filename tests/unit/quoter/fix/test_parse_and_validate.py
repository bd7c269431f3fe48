"""The compiled per-shape fast path gives exactly what parse + validate give."""

from __future__ import annotations

import dataclasses
import itertools
import random
import re

import pytest

from quoter.fix.codec.framing import GarbledFrame, encode, parse
from quoter.fix.dictionary import Dictionary
from quoter.fix.validation import (
    _value_pattern,
    parse_and_validate,
    validate,
    validate_full,
)

HDR = [(34, "2"), (49, "TW44"), (52, "20250101-00:00:00.000"), (56, "ISLD")]
ORDER = [
    (11, "ID1"),
    (1, "ACC"),
    (18, "1 2"),
    (64, "20250102"),
    (55, "INTC"),
    (200, "202503"),
    (54, "1"),
    (60, "20250101-00:00:00"),
    (38, "200"),
    (40, "2"),
    (44, "12.5"),
    (59, "0"),
    (126, "20250101-01:00:00.123456"),
]
# a MarketDataIncrementalRefresh with two NoMDEntries (268) instances
MD_INC = [
    (262, "md"),
    (268, "2"),
    (279, "0"),
    (269, "0"),
    (55, "ABC"),
    (270, "100.5"),
    (271, "5"),
    (272, "20250101"),
    (273, "12:00:00.000"),
    (279, "2"),
    (269, "1"),
    (55, "ABC"),
    (270, "101"),
]

# values chosen to sit on the edges of every format and enum rule
TRICKY = [
    "",
    "0",
    "1",
    "12",
    "-1",
    "--1",
    "-",
    "1.5",
    ".5",
    "5.",
    ".",
    "1e5",
    "1 ",
    " 1",
    "1 2",
    "1  2",
    "A",
    "AB",
    "A B",
    "Y",
    "N",
    "Y N",
    "20250101",
    "20251301",
    "20250132",
    "202501",
    "202501w3",
    "202501w6",
    "20250101-12:00:00",
    "20250101-24:00:00",
    "20250101-12:00:60",
    "20250101-12:00:00.123",
    "20250101-12:00:00.123456789",
    "20250101-12:00:00.1234",
    "12:00:00",
    "12:00:00.5",
    "12:00:00.500",
    "1\uff12:00:00",  # a fullwidth digit: Unicode \d (UTCTIMEONLY), not ASCII
    "202\uff150101",  # a fullwidth digit in an ASCII-only date
    "\u0661\u0662",
    "\u00b2",
    "\udc80",  # an undecodable byte kept by surrogateescape
    "\u00e9",
    "a=b",
]


def _fresh() -> Dictionary:
    """A private copy of the built-in dictionary, with empty memos and its own
    checks (rebuilt from the field types), so a test may change them."""
    return dataclasses.replace(Dictionary.fix44(), checks={}, enums={})


def _accepts(dd: Dictionary, tag: int, value: str) -> bool:
    """What `validate` accepts for one value, spelled out from its rules."""
    check = dd.checks.get(tag)
    enums = dd.enums.get(tag)
    if not value or (check is not None and not check(value)):
        return False
    if enums is None or value in enums:
        return True
    return " " in value and all(v in enums for v in value.split(" "))


def test_value_patterns_accept_exactly_what_the_checks_accept() -> None:
    dd = _fresh()
    compiled = 0
    for tag in sorted(dd.fields):
        pattern = _value_pattern(dd, tag)
        if pattern is None:
            continue
        compiled += 1
        enums = sorted(dd.enums.get(tag) or [])
        candidates = [*TRICKY, *enums, *(f"{a} {b}" for a in enums[:4] for b in enums[-4:])]
        rx = re.compile(f"({pattern})\x01")
        for value in candidates:
            got = rx.fullmatch(value + "\x01") is not None
            assert got == _accepts(dd, tag, value), (tag, value)
    assert compiled == len(dd.fields), "every built-in field has a pattern"


def test_custom_check_is_left_to_the_plain_path() -> None:
    dd = _fresh()
    dd.checks[55] = lambda v: v.isupper()
    assert _value_pattern(dd, 55) is None
    frame = encode("FIX.4.4", "D", HDR, ORDER)
    for _ in range(3):
        assert parse_and_validate(frame, dd) == (parse(frame), None)
    assert not dd.memo.shapes, "a shape with an unknown check is never compiled"
    bad = encode("FIX.4.4", "D", HDR, [(t, "intc" if t == 55 else v) for t, v in ORDER])
    assert parse_and_validate(bad, dd)[1] == validate_full(parse(bad), dd) is not None


def test_a_repeated_shape_is_compiled_and_used() -> None:
    dd = _fresh()
    frame = encode("FIX.4.4", "D", HDR, ORDER)
    assert parse_and_validate(frame, dd) == (parse(frame), None)
    assert not dd.memo.shapes, "not compiled after one sighting"
    parse_and_validate(frame, dd)
    [(matcher, tags)] = dd.memo.shapes["D"]
    assert tags == tuple(t for t, _ in parse(frame).fields)
    assert matcher(frame.decode()) is not None
    other = encode("FIX.4.4", "D", [(34, "3"), *HDR[1:]], [(11, "ID2"), *ORDER[1:]])
    assert parse_and_validate(other, dd) == (parse(other), None)


def _mutations(rng: random.Random, body: list[tuple[int, str]]) -> list[tuple[int, str]]:
    out = list(body)
    kind = rng.randrange(6)
    i = rng.randrange(len(out))
    if kind <= 2:  # a tricky value, or another field's enum value
        pool = TRICKY if kind < 2 else ["1", "2", "0", "Z", "1 Z", "D", "e", "a b", "02", "3"]
        out[i] = (out[i][0], rng.choice(pool))
    elif kind == 3:
        del out[i]
    elif kind == 4:
        out.insert(i, rng.choice([(55, "MSFT"), (112, "X"), (9999, "1"), (43, "Y"), (0, "1")]))
    else:
        out[i], out[-1] = out[-1], out[i]
    return out


@pytest.mark.parametrize("msg_type", ["D", "0", "AB", "X"])
def test_fuzzed_messages_agree_with_the_plain_path(msg_type: str) -> None:
    rng = random.Random(4)
    dd = _fresh()
    base = {"D": ORDER, "0": [(112, "T1")], "AB": [(55, "X")], "X": MD_INC}[msg_type]
    valid = encode("FIX.4.4", msg_type, HDR, base)
    for _ in range(3):  # learn the shape
        parse_and_validate(valid, dd)
    assert dd.memo.shapes.get(msg_type), "the base shape is compiled"
    fast = 0
    for n in range(1500):
        header = _mutations(rng, HDR) if n % 5 == 0 else HDR
        frame = encode("FIX.4.4", msg_type, header, _mutations(rng, base))
        try:
            expected = parse(frame)
        except GarbledFrame:
            with pytest.raises(GarbledFrame):
                parse_and_validate(frame, dd)
            continue
        got_msg, got_rej = parse_and_validate(frame, dd)
        assert got_msg == expected
        assert got_rej == validate_full(expected, dd) == validate(expected, dd), frame
        fast += got_rej is None
    assert fast > 100, "enough valid messages went through the compiled path"


def test_raw_oddities_agree_with_the_plain_path() -> None:
    dd = _fresh()
    valid = encode("FIX.4.4", "D", HDR, ORDER)
    for _ in range(3):
        parse_and_validate(valid, dd)
    text = valid.decode()
    odd = [
        text.replace("\x0155=INTC\x01", "\x0155=IN=TC\x01"),  # '=' inside a value
        text.replace("\x0155=INTC\x01", "\x0155\x01"),  # a field without '='
        text.replace("\x0155=INTC\x01", "\x01055=INTC\x01"),  # tag with a leading zero
        text.replace("\x0155=INTC\x01", "\x0155=\xe9\x01"),
        text.replace("35=D", "35=D\x0135=D"),
        text + "junk",
    ]
    for t in odd:
        frame = t.encode("utf-8", "surrogateescape")
        try:
            expected = parse(frame)
        except GarbledFrame:
            with pytest.raises(GarbledFrame):
                parse_and_validate(frame, dd)
            continue
        assert parse_and_validate(frame, dd) == (expected, validate_full(expected, dd)), t
    undecodable = valid.replace(b"=INTC", b"=IN\xffC")
    assert parse_and_validate(undecodable, dd) == (parse(undecodable), None)


def test_compiling_is_bounded_per_dictionary() -> None:
    from quoter.fix.validation import _MAX_COMPILED

    dd = _fresh()
    dd.memo.compiled = _MAX_COMPILED - 1
    first = encode("FIX.4.4", "D", HDR, ORDER)
    second = encode("FIX.4.4", "D", HDR, [*ORDER, (58, "note")])
    for frame in (first, first, second, second, second):
        assert parse_and_validate(frame, dd) == (parse(frame), None)
    assert [tags[-2] for _, tags in dd.memo.shapes["D"]] == [126], "only the first shape"
    assert dd.memo.compiled == _MAX_COMPILED


def test_shapes_per_type_are_bounded_and_evicted_ones_relearnt() -> None:
    from quoter.fix.validation import _SHAPES_PER_TYPE

    dd = _fresh()
    optional = [(15, "USD"), (21, "1"), (58, "note"), (100, "X"), (110, "5"), (111, "5")]
    extras = list(itertools.combinations(optional, 2))[: _SHAPES_PER_TYPE + 2]
    frames = [encode("FIX.4.4", "D", HDR, [*ORDER, *extra]) for extra in extras]
    for frame in frames + frames + frames:
        assert parse_and_validate(frame, dd) == (parse(frame), validate_full(parse(frame), dd))
    assert len(dd.memo.shapes["D"]) == _SHAPES_PER_TYPE
    assert dd.memo.compiled > _SHAPES_PER_TYPE, "evicted shapes were compiled again"


def test_group_count_must_match_on_the_compiled_path() -> None:
    dd = _fresh()
    frame = encode("FIX.4.4", "X", HDR, MD_INC)
    for _ in range(2):
        assert parse_and_validate(frame, dd) == (parse(frame), None)
    assert dd.memo.shapes["X"], "a shape with repeating groups is compiled too"
    padded = encode("FIX.4.4", "X", HDR, [(t, "002" if t == 268 else v) for t, v in MD_INC])
    assert dd.memo.shapes["X"][0][0](padded.decode()) is not None, "int() reads 002 as 2"
    assert parse_and_validate(padded, dd) == (parse(padded), None)
    for count in ("1", "3", "20"):
        wrong = encode("FIX.4.4", "X", HDR, [(t, count if t == 268 else v) for t, v in MD_INC])
        got = parse_and_validate(wrong, dd)
        assert got == (parse(wrong), validate_full(parse(wrong), dd))
        assert got[1] is not None and got[1].reason == 16, count
