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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from quoter.fix.codec.framing import RawMessage
from quoter.fix.dictionary import Dictionary, FormatCheck, GroupDef

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
_PLANS: dict[int, dict[tuple[str, tuple[int, ...]], Plan | None]] = {}
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
    plans = _PLANS.setdefault(id(dd), {})
    key = (msg.msg_type, tuple([f[0] for f in fields]))
    plan = plans.get(key, False)
    if plan is False:
        if len(plans) >= _MAX_PLANS:
            plans.clear()
        plan = plans[key] = _plan(msg, dd)
    if plan is None:
        return validate_full(msg, dd)
    for i, _tag, check, enums in plan:  # type: ignore[union-attr]
        value = fields[i][1]
        if (check is not None and not check(value)) or (enums is not None and value not in enums):
            return validate_full(msg, dd)
    return None


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
