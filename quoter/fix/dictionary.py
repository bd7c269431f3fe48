"""FIX 4.4 data dictionary: field types, enums, header/trailer, messages and groups.

`Dictionary.fix44()` builds the compact dictionary shipped in
`quoter.fix.fix44_spec` (no QuickFIX needed); `Dictionary.from_quickfix_xml(path)`
reads a QuickFIX-format dictionary such as `FIX44.xml`. The dictionary only
describes; `quoter.fix.validation` applies it to a message.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mmsla.errors import ConfigError
from quoter.fix import fix44_spec

FormatCheck = Callable[[str], bool]

FIX44_MSG_TYPES = frozenset(
    [
        "0",
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        "A",
        "B",
        "C",
        "D",
        "E",
        "F",
        "G",
        "H",
        "J",
        "K",
        "L",
        "M",
        "N",
        "P",
        "Q",
        "R",
        "S",
        "T",
        "V",
        "W",
        "X",
        "Y",
        "Z",
        "a",
        "b",
        "c",
        "d",
        "e",
        "f",
        "g",
        "h",
        "i",
        "j",
        "k",
        "l",
        "m",
        "n",
        "o",
        "p",
        "q",
        "r",
        "s",
        "t",
        "u",
        "v",
        "w",
        "x",
        "y",
        "z",
        "AA",
        "AB",
        "AC",
        "AD",
        "AE",
        "AF",
        "AG",
        "AH",
        "AI",
        "AJ",
        "AK",
        "AL",
        "AM",
        "AN",
        "AO",
        "AP",
        "AQ",
        "AR",
        "AS",
        "AT",
        "AU",
        "AV",
        "AW",
        "AX",
        "AY",
        "AZ",
        "BA",
        "BB",
        "BC",
        "BD",
        "BE",
        "BF",
        "BG",
        "BH",
    ]
)


def _is_uint(v: str) -> bool:
    return v.isascii() and v.isdigit()


def _is_int(v: str) -> bool:
    if v[:1] == "-":
        v = v[1:]
    return v.isascii() and v.isdigit()


# Sources of the format regexes, without the end anchor, so each can also be
# embedded in a per-message-shape pattern (see `CHECK_PATTERNS`).
_FLOAT_SRC = r"-?(?:\d+\.?\d*|\.\d+)"
_TIMESTAMP_SRC = (
    r"\d{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])-(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)"
    r"(?:\.\d{3}|\.\d{6}|\.\d{9})?"
)
_TIMEONLY_SRC = r"(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d{3}|\.\d{6}|\.\d{9})?"
_DATE_SRC = r"\d{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_MONTHYEAR_SRC = r"\d{4}(?:0[1-9]|1[0-2])(?:\d{2}|w[1-5])?"

_FLOAT = re.compile(_FLOAT_SRC + r"\Z", re.ASCII)
_TIMESTAMP = re.compile(_TIMESTAMP_SRC + r"\Z", re.ASCII)
_TIMEONLY = re.compile(_TIMEONLY_SRC + r"\Z")  # Unicode digits, as it always was
_DATE = re.compile(_DATE_SRC + r"\Z", re.ASCII)
_MONTHYEAR = re.compile(_MONTHYEAR_SRC + r"\Z", re.ASCII)


def _float_ok(v: str) -> bool:
    return _FLOAT.match(v) is not None


def char_ok(v: str) -> bool:
    """The CHAR / BOOLEAN format check: exactly one character."""
    return len(v) == 1


def _regex_check(rx: re.Pattern[str]) -> FormatCheck:
    def check(v: str) -> bool:
        return rx.match(v) is not None

    return check


_CHECK_TIMESTAMP = _regex_check(_TIMESTAMP)
_CHECK_TIMEONLY = _regex_check(_TIMEONLY)
_CHECK_DATE = _regex_check(_DATE)
_CHECK_MONTHYEAR = _regex_check(_MONTHYEAR)

FORMAT_CHECKS: dict[str, FormatCheck] = {
    "INT": _is_int,
    "LENGTH": _is_uint,
    "NUMINGROUP": _is_uint,
    "SEQNUM": _is_uint,
    "TAGNUM": _is_uint,
    "DAYOFMONTH": _is_uint,
    "FLOAT": _float_ok,
    "QTY": _float_ok,
    "PRICE": _float_ok,
    "PRICEOFFSET": _float_ok,
    "AMT": _float_ok,
    "PERCENTAGE": _float_ok,
    "CHAR": char_ok,
    "BOOLEAN": char_ok,
    "UTCTIMESTAMP": _CHECK_TIMESTAMP,
    "UTCTIMEONLY": _CHECK_TIMEONLY,
    "UTCDATEONLY": _CHECK_DATE,
    "UTCDATE": _CHECK_DATE,
    "LOCALMKTDATE": _CHECK_DATE,
    "MONTHYEAR": _CHECK_MONTHYEAR,
}

# For each format check, a regex source (for a Unicode str pattern) matching
# exactly the values the check accepts, all of them non-empty and without SOH,
# so a value can be checked in place inside a whole-message pattern. A check
# not listed here (a custom one) is simply never compiled into such a pattern.
CHECK_PATTERNS: dict[FormatCheck, str] = {
    _is_uint: "[0-9]+",  # isascii() and isdigit()
    _is_int: "-?[0-9]+",
    _float_ok: f"(?a:{_FLOAT_SRC})",
    char_ok: "[^\x01]",  # one character (a value never holds SOH)
    _CHECK_TIMESTAMP: f"(?a:{_TIMESTAMP_SRC})",
    _CHECK_TIMEONLY: f"(?:{_TIMEONLY_SRC})",
    _CHECK_DATE: f"(?a:{_DATE_SRC})",
    _CHECK_MONTHYEAR: f"(?a:{_MONTHYEAR_SRC})",
}

# A compiled whole-message matcher for one message shape (its `fullmatch`) and
# the shape's tags in wire order; built and used by `quoter.fix.validation`.
ShapeMatcher = tuple[Callable[[str], "re.Match[str] | None"], tuple[int, ...]]


@dataclass
class ValidationMemo:
    """What `quoter.fix.validation` remembers about one dictionary: the
    structural outcome per (msg type, tag sequence), how often each valid shape
    was seen, the compiled matchers per message type (last matched first) and
    how many have been compiled (bounded, so a peer cycling through shapes
    cannot make the engine spend its time compiling)."""

    plans: dict[tuple[str, tuple[int, ...]], object] = field(default_factory=dict)
    sightings: dict[tuple[str, tuple[int, ...]], int] = field(default_factory=dict)
    shapes: dict[str, list[ShapeMatcher]] = field(default_factory=dict)
    compiled: int = 0


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One field: tag, name, FIX type and allowed values (None = any)."""

    tag: int
    name: str
    type: str
    enums: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class GroupDef:
    """A repeating group: its count tag, delimiter (first member) and members."""

    count_tag: int
    delimiter: int
    members: frozenset[int]
    order: tuple[int, ...]
    required: frozenset[int]
    groups: Mapping[int, GroupDef]


@dataclass(frozen=True, slots=True)
class MessageDef:
    """One message type: allowed top-level body tags, required tags, groups."""

    msg_type: str
    name: str
    is_admin: bool
    fields: frozenset[int]
    order: tuple[int, ...]
    required: frozenset[int]
    groups: Mapping[int, GroupDef]


@dataclass(frozen=True)
class Dictionary:
    """A FIX data dictionary as used by validation (see module docstring)."""

    begin_string: str
    fields: Mapping[int, FieldDef]
    header: frozenset[int]
    header_required: tuple[int, ...]
    trailer: frozenset[int]
    trailer_required: tuple[int, ...]
    messages: Mapping[str, MessageDef]
    msg_types: frozenset[str]
    max_standard_tag: int
    checks: dict[int, FormatCheck] = field(default_factory=dict, repr=False)
    enums: dict[int, frozenset[str]] = field(default_factory=dict, repr=False)
    # caches of quoter.fix.validation, living and dying with this dictionary
    memo: ValidationMemo = field(
        default_factory=ValidationMemo, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for tag, fd in self.fields.items():
            check = FORMAT_CHECKS.get(fd.type)
            if check is not None:
                self.checks[tag] = check
            if fd.enums is not None:
                self.enums[tag] = fd.enums

    def is_valid_tag(self, tag: int) -> bool:
        """A tag defined by the standard (or by this dictionary)."""
        return 1 <= tag <= self.max_standard_tag or tag in self.fields

    @classmethod
    def fix44(cls) -> Dictionary:
        """The compact FIX 4.4 dictionary shipped with the engine."""
        return _FIX44

    @classmethod
    def from_installed_quickfix(cls) -> Dictionary | None:
        """QuickFIX's FIX44.xml as installed by the `quickfix` package
        (`<prefix>/share/quickfix/FIX44.xml`), or None when it is not installed."""
        path = Path(sys.prefix) / "share" / "quickfix" / "FIX44.xml"
        return cls.from_quickfix_xml(path) if path.exists() else None

    @classmethod
    def from_quickfix_xml(cls, path: str | Path) -> Dictionary:
        """Read a QuickFIX data dictionary (e.g. FIX44.xml)."""
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as e:
            raise ConfigError(f"{path}: cannot read FIX dictionary: {e}") from e
        begin = f"{root.get('type', 'FIX')}.{root.get('major')}.{root.get('minor')}"
        names: dict[str, int] = {}
        fields: dict[int, FieldDef] = {}
        for f in root.iterfind("fields/field"):
            tag = int(f.get("number", "0"))
            vals = [v.get("enum", "") for v in f.iterfind("value")]
            name = f.get("name", "")
            names[name] = tag
            fields[tag] = FieldDef(tag, name, f.get("type", "STRING"), frozenset(vals) or None)
        components = {c.get("name", ""): c for c in root.iterfind("components/component")}

        def walk(node: ET.Element) -> tuple[list[int], set[int], dict[int, GroupDef]]:
            order: list[int] = []
            required: set[int] = set()
            groups: dict[int, GroupDef] = {}
            for child in node:
                req = child.get("required") == "Y"
                if child.tag == "field":
                    tag = names[child.get("name", "")]
                    order.append(tag)
                    if req:
                        required.add(tag)
                elif child.tag == "component":
                    sub_order, sub_req, sub_groups = walk(components[child.get("name", "")])
                    order.extend(sub_order)
                    groups.update(sub_groups)
                    if req:
                        required |= sub_req
                elif child.tag == "group":
                    tag = names[child.get("name", "")]
                    order.append(tag)
                    if req:
                        required.add(tag)
                    g_order, g_req, g_groups = walk(child)
                    groups[tag] = GroupDef(
                        tag,
                        g_order[0],
                        frozenset(g_order),
                        tuple(g_order),
                        frozenset(g_req),
                        g_groups,
                    )
            return order, required, groups

        h_order, h_req, _ = walk(root.find("header") or ET.Element("header"))
        t_order, t_req, _ = walk(root.find("trailer") or ET.Element("trailer"))
        messages: dict[str, MessageDef] = {}
        for m in root.iterfind("messages/message"):
            order, req, groups = walk(m)
            mt = m.get("msgtype", "")
            messages[mt] = MessageDef(
                mt,
                m.get("name", ""),
                m.get("msgcat") == "admin",
                frozenset(order),
                tuple(order),
                frozenset(req),
                groups,
            )
        return cls(
            begin_string=begin,
            fields=fields,
            header=frozenset(h_order),
            header_required=tuple(sorted(h_req)),
            trailer=frozenset(t_order),
            trailer_required=tuple(sorted(t_req)),
            messages=messages,
            msg_types=frozenset(messages),
            max_standard_tag=max(fields) if fields else 0,
        )


_TOKEN = re.compile(r"(@\w+|\d+!?\{|\d+!?|\})")


def _parse_compact(
    text: str, components: Mapping[str, str]
) -> tuple[list[int], set[int], dict[int, GroupDef]]:
    """Parse the compact notation of `fix44_spec` into (order, required, groups)."""
    expanded = text
    while "@" in expanded:
        expanded = re.sub(r"@(\w+)", lambda m: components[m.group(1)], expanded)
    tokens = _TOKEN.findall(expanded)
    pos = 0

    def level() -> tuple[list[int], set[int], dict[int, GroupDef]]:
        nonlocal pos
        order: list[int] = []
        required: set[int] = set()
        groups: dict[int, GroupDef] = {}
        while pos < len(tokens):
            tok = tokens[pos]
            pos += 1
            if tok == "}":
                break
            is_group = tok.endswith("{")
            tok = tok.rstrip("{")
            req = tok.endswith("!")
            tag = int(tok.rstrip("!"))
            order.append(tag)
            if req:
                required.add(tag)
            if is_group:
                g_order, g_req, g_groups = level()
                groups[tag] = GroupDef(
                    tag, g_order[0], frozenset(g_order), tuple(g_order), frozenset(g_req), g_groups
                )
        return order, required, groups

    return level()


def _build_fix44() -> Dictionary:
    fields: dict[int, FieldDef] = {}
    for line in fix44_spec.FIELDS.strip().splitlines():
        head, _, enum_text = line.partition(" : ")
        tag_s, name, ftype = head.split()
        enums = frozenset(enum_text.split()) if enum_text else None
        fields[int(tag_s)] = FieldDef(int(tag_s), name, ftype, enums)
    comps = fix44_spec.COMPONENTS
    h_order, h_req, _ = _parse_compact(fix44_spec.HEADER, comps)
    t_order, t_req, _ = _parse_compact(fix44_spec.TRAILER, comps)
    messages: dict[str, MessageDef] = {}
    for mt, (name, cat, body) in fix44_spec.MESSAGES.items():
        order, req, groups = _parse_compact(body, comps)
        messages[mt] = MessageDef(
            mt, name, cat == "admin", frozenset(order), tuple(order), frozenset(req), groups
        )
    return Dictionary(
        begin_string="FIX.4.4",
        fields=fields,
        header=frozenset(h_order),
        header_required=tuple(sorted(h_req)),
        trailer=frozenset(t_order),
        trailer_required=tuple(sorted(t_req)),
        messages=messages,
        msg_types=FIX44_MSG_TYPES,
        max_standard_tag=fix44_spec.MAX_STANDARD_TAG,
    )


_FIX44 = _build_fix44()
