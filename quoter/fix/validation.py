"""Validate a decoded message against a `Dictionary`, QuickFIX-compatibly.

The checks and their order mirror QuickFIX's DataDictionary so the first
problem reported (and hence the session Reject sent) is the same: header
fields after body fields (14), MsgType (11), required header then body tags in
ascending tag order (1), then header, trailer and body fields in ascending tag
order: repeated (13), empty (4), data format (6), enum value (5), tag number
(0), defined for the message type (2), repeating-group count (16); group
instances are checked after the top level.

Messages of a valid FIX 4.4 type that the dictionary does not describe get the
header checks and per-field format checks only.

Speed: `validate` caches the structural outcome per message shape (type and
tag sequence). `parse_and_validate` goes further for the shapes a peer keeps
sending: once a valid shape has been seen twice (and its format checks all
have a known regex), it is compiled into one regex over the whole frame text
that checks every value (non-empty, format, enum, repeating-group counts) and
captures the values, so a message of that shape is split and validated by a
single match (see `_learn_shape` for why that is enough). Anything the regex
does not accept takes the ordinary `parse` + `validate` path, which alone
decides what is reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from quoter.fix.codec.framing import RawMessage, parse
from quoter.fix.dictionary import CHECK_PATTERNS, Dictionary, FormatCheck, GroupDef, char_ok

INVALID_TAG_NUMBER = 0
REQUIRED_TAG_MISSING = 1
TAG_NOT_DEFINED_FOR_MESSAGE = 2
TAG_WITHOUT_VALUE = 4
VALUE_INCORRECT = 5
INCORRECT_DATA_FORMAT = 6
COMPID_PROBLEM = 9
SENDING_TIME_ACCURACY = 10
INVALID_MSGTYPE = 11
TAG_REPEATED = 13
TAG_OUT_OF_ORDER = 14
GROUP_COUNT_MISMATCH = 16

REASON_TEXT = {
    0: "Invalid tag number",
    1: "Required tag missing",
    2: "Tag not defined for this message type",
    3: "Undefined Tag",
    4: "Tag specified without a value",
    5: "Value is incorrect (out of range) for this tag",
    6: "Incorrect data format for value",
    7: "Decryption problem",
    8: "Signature problem",
    9: "CompID problem",
    10: "SendingTime accuracy problem",
    11: "Invalid MsgType",
    13: "Tag appears more than once",
    14: "Tag specified out of required order",
    15: "Repeating group fields out of order",
    16: "Incorrect NumInGroup count for repeating group",
}


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a message is rejected: SessionRejectReason (373) and RefTagID (371)."""

    reason: int
    tag: int | None = None

    @property
    def text(self) -> str:
        return REASON_TEXT.get(self.reason, "Other")


Field = tuple[int, str]
# (count tag, group definition, instances); an instance is (its fields, nested groups)
FoundGroup = tuple[int, GroupDef, list[tuple[list[Field], list["FoundGroup"]]]]


def read_group(
    fields: list[Field], i: int, g: GroupDef
) -> tuple[list[tuple[list[Field], list[FoundGroup]]], int]:
    instances: list[tuple[list[Field], list[FoundGroup]]] = []
    cur: list[Field] | None = None
    nested: list[FoundGroup] = []
    n = len(fields)
    while i < n:
        f = fields[i]
        t = f[0]
        if t == g.delimiter:
            cur = []
            nested = []
            instances.append((cur, nested))
        elif cur is None or t not in g.members:
            break
        cur.append(f)
        i += 1
        sub = g.groups.get(t)
        if sub is not None:
            sub_inst, i = read_group(fields, i, sub)
            nested.append((t, sub, sub_inst))
    return instances, i


def split_groups(
    fields: list[Field], groups: Mapping[int, GroupDef]
) -> tuple[list[Field], list[FoundGroup]]:
    """Top-level fields and the repeating groups found after their count tags."""
    if not groups:
        return fields, []
    top: list[Field] = []
    found: list[FoundGroup] = []
    i = 0
    n = len(fields)
    while i < n:
        f = fields[i]
        top.append(f)
        i += 1
        g = groups.get(f[0])
        if g is not None:
            inst, i = read_group(fields, i, g)
            found.append((f[0], g, inst))
    return top, found


def _iterate(
    fields: list[Field],
    dd: Dictionary,
    allowed: frozenset[int] | None,
    found: list[FoundGroup],
) -> Rejection | None:
    checks = dd.checks
    enums = dd.enums
    max_tag = dd.max_standard_tag
    defined = dd.fields
    counts = {t: len(inst) for t, _, inst in found} if found else None
    prev = None
    for tag, value in sorted(fields):
        if tag == prev:
            return Rejection(TAG_REPEATED, tag)
        prev = tag
        if not value:
            return Rejection(TAG_WITHOUT_VALUE, tag)
        check = checks.get(tag)
        if check is not None and not check(value):
            return Rejection(INCORRECT_DATA_FORMAT, tag)
        allowed_values = enums.get(tag)
        if (
            allowed_values is not None
            and value not in allowed_values
            and not (" " in value and all(v in allowed_values for v in value.split(" ")))
        ):
            return Rejection(VALUE_INCORRECT, tag)
        if not (1 <= tag <= max_tag or tag in defined):
            return Rejection(INVALID_TAG_NUMBER, tag)
        if allowed is not None and tag not in allowed:
            return Rejection(TAG_NOT_DEFINED_FOR_MESSAGE, tag)
        if counts is not None and tag in counts and int(value) != counts[tag]:
            return Rejection(GROUP_COUNT_MISMATCH, tag)
    for _, g, instances in found:
        for inst_fields, nested in instances:
            for t in sorted(g.required):
                if not any(f[0] == t for f in inst_fields):
                    return Rejection(REQUIRED_TAG_MISSING, t)
            r = _iterate(inst_fields, dd, g.members, nested)
            if r is not None:
                return r
    return None


# (message type, tag sequence) -> value checks in ascending tag order, for shapes that
# are structurally valid and have no repeating groups; None = use the full path
Plan = tuple[tuple[int, int, FormatCheck | None, frozenset[str] | None], ...]
_MAX_PLANS = 4096


def _plan(msg: RawMessage, dd: Dictionary) -> Plan | None:
    if validate_full(msg, dd) is not None:
        return None
    mdef = dd.messages.get(msg.msg_type)
    if mdef is not None and any(t in mdef.groups for t, _ in msg.fields):
        return None
    order = sorted(range(len(msg.fields)), key=lambda i: msg.fields[i][0])
    steps = []
    for i in order:
        tag = msg.fields[i][0]
        check, enums = dd.checks.get(tag), dd.enums.get(tag)
        if check is not None or enums is not None:
            steps.append((i, tag, check, enums))
    return tuple(steps)


def _cached_plan(msg: RawMessage, dd: Dictionary, tags: tuple[int, ...]) -> Plan | None:
    plans = cast("dict[tuple[str, tuple[int, ...]], Plan | None]", dd.memo.plans)
    key = (msg.msg_type, tags)
    plan = plans.get(key, False)
    if plan is False:
        if len(plans) >= _MAX_PLANS:
            plans.clear()
        plan = plans[key] = _plan(msg, dd)
    return plan  # type: ignore[return-value]


def validate(msg: RawMessage, dd: Dictionary) -> Rejection | None:
    """The first problem of `msg` against `dd`, or None when it is valid.

    Fast path: the structural checks depend only on the message type and the
    tag sequence, so their outcome is cached per shape and only the value
    checks (empty, format, enum) run again; any failure is re-derived by the
    full path so the reported problem is always the same.
    """
    fields = msg.fields
    if "" in msg.values.values():
        return validate_full(msg, dd)
    plan = _cached_plan(msg, dd, tuple([f[0] for f in fields]))
    if plan is None:
        return validate_full(msg, dd)
    for i, _tag, check, enums in plan:
        value = fields[i][1]
        if (check is not None and not check(value)) or (enums is not None and value not in enums):
            return validate_full(msg, dd)
    return None


# Shape matchers: how many per message type (the last one matched is tried
# first), and after how many valid sightings a shape is worth compiling (a
# regex takes 0.5-1.5 ms to compile, the price of some hundreds of messages,
# so one-off shapes never pay it).
_SHAPES_PER_TYPE = 8
_COMPILE_AFTER = 2
_MAX_SIGHTINGS = 4096
_MAX_COMPILED = 512  # per dictionary


def _value_pattern(dd: Dictionary, tag: int) -> str | None:
    """A regex matching exactly the values `validate` accepts for `tag`, or
    None when that cannot be expressed (custom check, unusual enum values)."""
    check = dd.checks.get(tag)
    enums = dd.enums.get(tag)
    if check is None:
        check_src = None
    else:
        check_src = CHECK_PATTERNS.get(check)
        if check_src is None:
            return None
    if enums is None:
        return check_src if check_src is not None else "[^\x01]+"
    # an enum value may also be a space-separated list of allowed values
    # (MultipleValueString); values holding a space or SOH, or empty, would
    # make that rule ambiguous, so such tags are left to the plain path
    if not enums or any(not e or " " in e or "\x01" in e for e in enums):
        return None
    if check is char_ok:  # one character, so never a list: a character class
        chars = sorted(e for e in enums if len(e) == 1)
        return "[" + "".join(re.escape(c) for c in chars) + "]" if chars else None
    if all(len(e) == 1 for e in enums):  # a class compiles and matches faster
        one = "[" + "".join(re.escape(c) for c in sorted(enums)) + "]"
    else:
        one = "(?:" + "|".join(re.escape(e) for e in sorted(enums, key=len, reverse=True)) + ")"
    listed = f"{one}(?: {one})*"
    return listed if check_src is None else f"(?=(?:{check_src})\x01){listed}"


def _count_tags(groups: Mapping[int, GroupDef]) -> set[int]:
    """The NumInGroup tags of `groups` and of the groups nested in them."""
    out = set(groups)
    for g in groups.values():
        out |= _count_tags(g.groups)
    return out


def _learn_shape(msg: RawMessage, dd: Dictionary, tags: tuple[int, ...]) -> None:
    """Count a shape of a *valid* message; compile it on its `_COMPILE_AFTER`-th
    sighting.

    Why a match is then enough: every structural check of `validate_full`
    (header/body/trailer order, required, allowed, repeated and defined tags,
    how the repeating groups split) depends on the tag sequence alone, which
    the regex fixes; the value checks (non-empty, format, enum) are the
    per-tag patterns; and a NumInGroup value must equal the number of
    instances the sequence holds, so each count field must spell the number
    the valid message had (leading zeros allowed, as `int()` reads them).
    """
    key = (msg.msg_type, tags)
    memo = dd.memo
    seen = memo.sightings
    n = seen.get(key, 0) + 1
    if n > _COMPILE_AFTER or memo.compiled >= _MAX_COMPILED:
        return  # compiled already, not compilable, or out of budget
    if len(seen) >= _MAX_SIGHTINGS:
        seen.clear()
    seen[key] = n
    if n < _COMPILE_AFTER:
        return
    mdef = dd.messages.get(msg.msg_type)
    counts = _count_tags(mdef.groups) if mdef is not None else set()
    parts = []
    for tag, value in msg.fields:
        if tag == 35:
            parts.append(f"35=({re.escape(msg.msg_type)})\x01")
            continue
        pattern = _value_pattern(dd, tag)
        if pattern is not None and tag in counts:
            if not (value.isascii() and value.isdigit()):
                pattern = None
            else:
                number = str(int(value))
                exact = "0+" if number == "0" else f"0*{number}"
                pattern = f"(?=(?:{pattern})\x01){exact}"
        if pattern is None:
            seen[key] = _COMPILE_AFTER + 1  # never compilable
            return
        parts.append(f"{tag}=({pattern})\x01")
    try:
        matcher = re.compile("".join(parts)).fullmatch
    except (re.error, RecursionError):  # never expected; the plain path still works
        seen[key] = _COMPILE_AFTER + 1
        return
    memo.compiled += 1
    shapes = memo.shapes.setdefault(msg.msg_type, [])
    shapes.insert(0, (matcher, tags))
    for _, dropped in shapes[_SHAPES_PER_TYPE:]:
        seen.pop((msg.msg_type, dropped), None)  # may be learnt again later
    del shapes[_SHAPES_PER_TYPE:]


def parse_and_validate(frame: bytes, dd: Dictionary) -> tuple[RawMessage, Rejection | None]:
    """`(parse(frame), validate(parse(frame), dd))`, faster for repeated shapes.

    Raises GarbledFrame exactly when `parse` does. See the module docstring
    for the compiled fast path; its result is always the same as the plain one.
    """
    text = frame.decode("utf-8", "surrogateescape")
    # the MsgType value, normally the third field (a wrong guess only misses
    # the fast path: a matcher checks the whole text)
    i = text.find("\x0135=") + 4
    msg_type = text[i : text.find("\x01", i)]
    shapes = dd.memo.shapes.get(msg_type)
    if shapes is not None:
        for k, (matcher, tags) in enumerate(shapes):
            m = matcher(text)
            if m is not None:
                if k:  # a peer tends to repeat its last shape: try it first next time
                    shapes[0], shapes[k] = shapes[k], shapes[0]
                # the lengths agree: one group per tag by construction (and no
                # `strict=` keyword: a keyword argument costs zip its fast call)
                fields = tuple(zip(tags, m.groups()))  # noqa: B905
                # tuple.__new__: RawMessage's own __new__ only adds a Python call
                return tuple.__new__(RawMessage, (msg_type, fields, dict(fields), tags)), None
    msg = parse(frame)
    rej = validate(msg, dd)
    if rej is None and msg.tags is not None:
        _learn_shape(msg, dd, msg.tags)
    return msg, rej


def validate_full(msg: RawMessage, dd: Dictionary) -> Rejection | None:
    """`validate` without the per-shape cache (every check, QuickFIX order)."""
    header_tags = dd.header
    trailer_tags = dd.trailer
    hdr: list[Field] = []
    body: list[Field] = []
    trl: list[Field] = []
    out_of_order = 0
    in_body = False
    for f in msg.fields:
        t = f[0]
        if t in header_tags:
            if in_body and not out_of_order:
                out_of_order = t
            hdr.append(f)
        elif t in trailer_tags:
            trl.append(f)
        else:
            in_body = True
            body.append(f)
    if out_of_order:
        return Rejection(TAG_OUT_OF_ORDER, out_of_order)
    mdef = dd.messages.get(msg.msg_type)
    if mdef is None and msg.msg_type not in dd.msg_types:
        return Rejection(INVALID_MSGTYPE)
    values = msg.values
    for t in dd.header_required:
        if t not in values:
            return Rejection(REQUIRED_TAG_MISSING, t)
    for t in dd.trailer_required:
        if t not in values:
            return Rejection(REQUIRED_TAG_MISSING, t)
    found: list[FoundGroup] = []
    top = body
    if mdef is not None:
        top, found = split_groups(body, mdef.groups)
        required = mdef.required
        if required:
            present = {f[0] for f in top}
            if not required <= present:
                return Rejection(REQUIRED_TAG_MISSING, min(required - present))
    r = _iterate(hdr, dd, None, [])
    if r is None and trl:
        r = _iterate(trl, dd, None, [])
    if r is None:
        r = _iterate(top, dd, mdef.fields if mdef is not None else None, found)
    return r
