"""Typed FIX 4.4 messages (frozen dataclasses) and their field mapping.

Each class lists `FIELDS`: (attribute, tag, kind) in the order they are
written; kinds are `str`, `int`, `dec` (Decimal, written with `format(d, "f")`
so never `1e-05`), `bool` (Y/N), `ts` (UTC int nanoseconds, written with
milliseconds) or a group class (attribute holds a tuple of instances, the tag
is the NumInGroup count). `None` attributes are not written. `msg.body()`
gives the body fields for `Session.send`; `decode(raw)` turns a `RawMessage`
of a known type into its class (unknown types stay `RawMessage`).

Only the commonly used fields of each message are mapped; anything else in a
received message is still available on the `RawMessage`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from quoter.fix.codec.framing import RawMessage
from quoter.fix.codec.times import format_utc, parse_utc

FieldSpec = tuple[str, int, Any]


def format_decimal(value: Decimal | int) -> str:
    """Exact FIX decimal text: no exponent, no float rounding."""
    if isinstance(value, int):
        return str(value)
    if not value.is_finite():
        raise ValueError(f"not a finite decimal: {value}")
    text = format(value, "f")
    return "0" if text in ("-0", "") else text


def _encode_value(kind: Any, value: Any) -> str:
    if kind == "str":
        return str(value)
    if kind == "int":
        return str(int(value))
    if kind == "dec":
        return format_decimal(value)
    if kind == "bool":
        return "Y" if value else "N"
    if kind == "ts":
        return format_utc(int(value), "ms")
    raise TypeError(kind)


def _decode_value(kind: Any, text: str) -> Any:
    if kind == "str":
        return text
    if kind == "int":
        return int(text)
    if kind == "dec":
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ValueError(f"not a decimal: {text!r}") from None
    if kind == "bool":
        return text == "Y"
    if kind == "ts":
        return parse_utc(text)
    raise TypeError(kind)


_TAG_CACHE: dict[type, dict[int, FieldSpec]] = {}
_WRITERS: dict[type, tuple[tuple[str, int, Any, Any], ...]] = {}


def _format_ts_ms(value: int) -> str:
    return format_utc(int(value), "ms")


_ENCODERS: dict[str, Any] = {
    "str": str,
    "int": lambda v: str(int(v)),
    "dec": format_decimal,
    "bool": lambda v: "Y" if v else "N",
    "ts": _format_ts_ms,
}


class _Fields:
    """Base of typed messages and group instances."""

    FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()

    def _write(self, out: list[tuple[int, str]]) -> None:
        writers = _WRITERS.get(type(self))
        if writers is None:
            writers = _WRITERS[type(self)] = tuple(
                (attr, tag, kind if isinstance(kind, type) else None, _ENCODERS[kind])
                if not isinstance(kind, type)
                else (attr, tag, kind, None)
                for attr, tag, kind in self.FIELDS
            )
        for attr, tag, _group, enc in writers:
            value = getattr(self, attr)
            if value is None:
                continue
            if enc is not None:
                out.append((tag, enc(value)))
            else:
                out.append((tag, str(len(value))))
                for inst in value:
                    inst._write(out)

    @classmethod
    def _tags(cls) -> dict[int, FieldSpec]:
        cached = _TAG_CACHE.get(cls)
        if cached is None:
            cached = {spec[1]: spec for spec in cls.FIELDS}
            _TAG_CACHE[cls] = cached
        return cached

    @classmethod
    def _read(
        cls, fields: tuple[tuple[int, str], ...], i: int, stop_at_repeat: bool
    ) -> tuple[Any, int]:
        tags = cls._tags()
        values: dict[str, Any] = {}
        seen: set[int] = set()
        n = len(fields)
        while i < n:
            tag, text = fields[i]
            spec = tags.get(tag)
            if spec is None:
                if stop_at_repeat:
                    break
                i += 1
                continue
            if stop_at_repeat and tag in seen:
                break
            seen.add(tag)
            attr, _, kind = spec
            i += 1
            if isinstance(kind, type) and issubclass(kind, _Fields):
                count = int(text)
                items = []
                for _ in range(count):
                    if i >= n or fields[i][0] != kind.FIELDS[0][1]:
                        raise ValueError(f"group {tag}: expected {count} entries")
                    item, i = kind._read(fields, i, True)
                    items.append(item)
                values[attr] = tuple(items)
            else:
                values[attr] = _decode_value(kind, text)
        return cls(**values), i


class FixMessage(_Fields):
    """A typed message: `msg_type` plus FIELDS."""

    msg_type: ClassVar[str] = ""

    def body(self) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        self._write(out)
        return out

    @classmethod
    def from_raw(cls, raw: RawMessage) -> Any:
        msg, _ = cls._read(raw.fields, 3, False)
        return msg


# ------------------------------------------------------------------ session
@dataclass(frozen=True, slots=True)
class Heartbeat(FixMessage):
    msg_type: ClassVar[str] = "0"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (("test_req_id", 112, "str"),)
    test_req_id: str | None = None


@dataclass(frozen=True, slots=True)
class TestRequest(FixMessage):
    msg_type: ClassVar[str] = "1"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (("test_req_id", 112, "str"),)
    __test__: ClassVar[bool] = False  # not a pytest class
    test_req_id: str = "TEST"


@dataclass(frozen=True, slots=True)
class ResendRequest(FixMessage):
    msg_type: ClassVar[str] = "2"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("begin_seq_no", 7, "int"),
        ("end_seq_no", 16, "int"),
    )
    begin_seq_no: int = 1
    end_seq_no: int = 0


@dataclass(frozen=True, slots=True)
class Reject(FixMessage):
    msg_type: ClassVar[str] = "3"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("ref_seq_num", 45, "int"),
        ("text", 58, "str"),
        ("ref_tag_id", 371, "int"),
        ("ref_msg_type", 372, "str"),
        ("session_reject_reason", 373, "int"),
    )
    ref_seq_num: int = 0
    text: str | None = None
    ref_tag_id: int | None = None
    ref_msg_type: str | None = None
    session_reject_reason: int | None = None


@dataclass(frozen=True, slots=True)
class SequenceReset(FixMessage):
    msg_type: ClassVar[str] = "4"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("new_seq_no", 36, "int"),
        ("gap_fill", 123, "bool"),
    )
    new_seq_no: int = 1
    gap_fill: bool | None = None


@dataclass(frozen=True, slots=True)
class Logout(FixMessage):
    msg_type: ClassVar[str] = "5"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (("text", 58, "str"),)
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Logon(FixMessage):
    msg_type: ClassVar[str] = "A"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("encrypt_method", 98, "int"),
        ("heart_bt_int_s", 108, "int"),
        ("reset_seq_num_flag", 141, "bool"),
        ("username", 553, "str"),
        ("password", 554, "str"),
    )
    encrypt_method: int = 0
    heart_bt_int_s: int = 30
    reset_seq_num_flag: bool | None = None
    username: str | None = None
    password: str | None = None


@dataclass(frozen=True, slots=True)
class BusinessMessageReject(FixMessage):
    msg_type: ClassVar[str] = "j"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("ref_seq_num", 45, "int"),
        ("text", 58, "str"),
        ("ref_msg_type", 372, "str"),
        ("business_reject_ref_id", 379, "str"),
        ("business_reject_reason", 380, "int"),
    )
    ref_msg_type: str = ""
    business_reject_reason: int = 0
    ref_seq_num: int | None = None
    text: str | None = None
    business_reject_ref_id: str | None = None


# ------------------------------------------------------------------- orders
@dataclass(frozen=True, slots=True)
class NewOrderSingle(FixMessage):
    msg_type: ClassVar[str] = "D"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("cl_ord_id", 11, "str"),
        ("account", 1, "str"),
        ("handl_inst", 21, "str"),
        ("exec_inst", 18, "str"),
        ("symbol", 55, "str"),
        ("side", 54, "str"),
        ("transact_time_ns", 60, "ts"),
        ("order_qty", 38, "dec"),
        ("ord_type", 40, "str"),
        ("price", 44, "dec"),
        ("time_in_force", 59, "str"),
        ("text", 58, "str"),
    )
    cl_ord_id: str
    symbol: str
    side: str
    order_qty: Decimal
    ord_type: str
    transact_time_ns: int
    price: Decimal | None = None
    time_in_force: str | None = None
    account: str | None = None
    handl_inst: str | None = None
    exec_inst: str | None = None
    text: str | None = None

    def body(self) -> list[tuple[int, str]]:
        """Hand-unrolled hot path (same output as the generic writer)."""
        out = [(11, self.cl_ord_id)]
        if self.account is not None:
            out.append((1, self.account))
        if self.handl_inst is not None:
            out.append((21, self.handl_inst))
        if self.exec_inst is not None:
            out.append((18, self.exec_inst))
        out.append((55, self.symbol))
        out.append((54, self.side))
        out.append((60, format_utc(self.transact_time_ns, "ms")))
        out.append((38, format_decimal(self.order_qty)))
        out.append((40, self.ord_type))
        if self.price is not None:
            out.append((44, format_decimal(self.price)))
        if self.time_in_force is not None:
            out.append((59, self.time_in_force))
        if self.text is not None:
            out.append((58, self.text))
        return out


@dataclass(frozen=True, slots=True)
class OrderCancelRequest(FixMessage):
    msg_type: ClassVar[str] = "F"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("orig_cl_ord_id", 41, "str"),
        ("order_id", 37, "str"),
        ("cl_ord_id", 11, "str"),
        ("symbol", 55, "str"),
        ("side", 54, "str"),
        ("transact_time_ns", 60, "ts"),
        ("order_qty", 38, "dec"),
    )
    orig_cl_ord_id: str
    cl_ord_id: str
    symbol: str
    side: str
    transact_time_ns: int
    order_id: str | None = None
    order_qty: Decimal | None = None


@dataclass(frozen=True, slots=True)
class OrderCancelReplaceRequest(FixMessage):
    msg_type: ClassVar[str] = "G"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("order_id", 37, "str"),
        ("orig_cl_ord_id", 41, "str"),
        ("cl_ord_id", 11, "str"),
        ("symbol", 55, "str"),
        ("side", 54, "str"),
        ("transact_time_ns", 60, "ts"),
        ("order_qty", 38, "dec"),
        ("ord_type", 40, "str"),
        ("price", 44, "dec"),
        ("time_in_force", 59, "str"),
    )
    orig_cl_ord_id: str
    cl_ord_id: str
    symbol: str
    side: str
    transact_time_ns: int
    order_qty: Decimal
    ord_type: str
    price: Decimal | None = None
    order_id: str | None = None
    time_in_force: str | None = None


@dataclass(frozen=True, slots=True)
class OrderCancelReject(FixMessage):
    msg_type: ClassVar[str] = "9"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("order_id", 37, "str"),
        ("cl_ord_id", 11, "str"),
        ("orig_cl_ord_id", 41, "str"),
        ("ord_status", 39, "str"),
        ("cxl_rej_response_to", 434, "str"),
        ("cxl_rej_reason", 102, "int"),
        ("text", 58, "str"),
    )
    order_id: str
    cl_ord_id: str
    orig_cl_ord_id: str
    ord_status: str
    cxl_rej_response_to: str
    cxl_rej_reason: int | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class ExecutionReport(FixMessage):
    msg_type: ClassVar[str] = "8"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("order_id", 37, "str"),
        ("cl_ord_id", 11, "str"),
        ("orig_cl_ord_id", 41, "str"),
        ("exec_id", 17, "str"),
        ("exec_type", 150, "str"),
        ("ord_status", 39, "str"),
        ("ord_rej_reason", 103, "int"),
        ("symbol", 55, "str"),
        ("side", 54, "str"),
        ("order_qty", 38, "dec"),
        ("ord_type", 40, "str"),
        ("price", 44, "dec"),
        ("time_in_force", 59, "str"),
        ("last_qty", 32, "dec"),
        ("last_px", 31, "dec"),
        ("leaves_qty", 151, "dec"),
        ("cum_qty", 14, "dec"),
        ("avg_px", 6, "dec"),
        ("transact_time_ns", 60, "ts"),
        ("text", 58, "str"),
        ("last_liquidity_ind", 851, "int"),
    )
    order_id: str
    exec_id: str
    exec_type: str
    ord_status: str
    symbol: str
    side: str
    leaves_qty: Decimal
    cum_qty: Decimal
    avg_px: Decimal
    cl_ord_id: str | None = None
    orig_cl_ord_id: str | None = None
    ord_rej_reason: int | None = None
    order_qty: Decimal | None = None
    ord_type: str | None = None
    price: Decimal | None = None
    time_in_force: str | None = None
    last_qty: Decimal | None = None
    last_px: Decimal | None = None
    transact_time_ns: int | None = None
    text: str | None = None
    last_liquidity_ind: int | None = None

    def body(self) -> list[tuple[int, str]]:
        """Hand-unrolled hot path (same output as the generic writer): the venue
        sends one per order event."""
        out = [(37, self.order_id)]
        if self.cl_ord_id is not None:
            out.append((11, self.cl_ord_id))
        if self.orig_cl_ord_id is not None:
            out.append((41, self.orig_cl_ord_id))
        out.append((17, self.exec_id))
        out.append((150, self.exec_type))
        out.append((39, self.ord_status))
        if self.ord_rej_reason is not None:
            out.append((103, str(int(self.ord_rej_reason))))
        out.append((55, self.symbol))
        out.append((54, self.side))
        if self.order_qty is not None:
            out.append((38, format_decimal(self.order_qty)))
        if self.ord_type is not None:
            out.append((40, self.ord_type))
        if self.price is not None:
            out.append((44, format_decimal(self.price)))
        if self.time_in_force is not None:
            out.append((59, self.time_in_force))
        if self.last_qty is not None:
            out.append((32, format_decimal(self.last_qty)))
        if self.last_px is not None:
            out.append((31, format_decimal(self.last_px)))
        out.append((151, format_decimal(self.leaves_qty)))
        out.append((14, format_decimal(self.cum_qty)))
        out.append((6, format_decimal(self.avg_px)))
        if self.transact_time_ns is not None:
            out.append((60, format_utc(int(self.transact_time_ns), "ms")))
        if self.text is not None:
            out.append((58, self.text))
        if self.last_liquidity_ind is not None:
            out.append((851, str(int(self.last_liquidity_ind))))
        return out


# ------------------------------------------------------------------- quotes
@dataclass(frozen=True, slots=True)
class QuoteEntry(_Fields):
    """One entry of a MassQuote / MassQuoteAcknowledgement quote set."""

    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("quote_entry_id", 299, "str"),
        ("symbol", 55, "str"),
        ("bid_px", 132, "dec"),
        ("offer_px", 133, "dec"),
        ("bid_size", 134, "dec"),
        ("offer_size", 135, "dec"),
        ("quote_entry_reject_reason", 368, "int"),
    )
    quote_entry_id: str
    symbol: str | None = None
    bid_px: Decimal | None = None
    offer_px: Decimal | None = None
    bid_size: Decimal | None = None
    offer_size: Decimal | None = None
    quote_entry_reject_reason: int | None = None


@dataclass(frozen=True, slots=True)
class QuoteSet(_Fields):
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("quote_set_id", 302, "str"),
        ("tot_no_quote_entries", 304, "int"),
        ("entries", 295, QuoteEntry),
    )
    quote_set_id: str
    tot_no_quote_entries: int | None = None
    entries: tuple[QuoteEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class MassQuote(FixMessage):
    msg_type: ClassVar[str] = "i"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("quote_req_id", 131, "str"),
        ("quote_id", 117, "str"),
        ("quote_sets", 296, QuoteSet),
    )
    quote_id: str
    quote_sets: tuple[QuoteSet, ...]
    quote_req_id: str | None = None


@dataclass(frozen=True, slots=True)
class MassQuoteAcknowledgement(FixMessage):
    msg_type: ClassVar[str] = "b"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("quote_req_id", 131, "str"),
        ("quote_id", 117, "str"),
        ("quote_status", 297, "int"),
        ("quote_reject_reason", 300, "int"),
        ("text", 58, "str"),
        ("quote_sets", 296, QuoteSet),
    )
    quote_status: int
    quote_id: str | None = None
    quote_req_id: str | None = None
    quote_reject_reason: int | None = None
    text: str | None = None
    quote_sets: tuple[QuoteSet, ...] | None = None


@dataclass(frozen=True, slots=True)
class QuoteCancelEntry(_Fields):
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (("symbol", 55, "str"),)
    symbol: str


@dataclass(frozen=True, slots=True)
class QuoteCancel(FixMessage):
    msg_type: ClassVar[str] = "Z"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("quote_req_id", 131, "str"),
        ("quote_id", 117, "str"),
        ("quote_cancel_type", 298, "int"),
        ("entries", 295, QuoteCancelEntry),
    )
    quote_id: str
    quote_cancel_type: int
    quote_req_id: str | None = None
    entries: tuple[QuoteCancelEntry, ...] | None = None


@dataclass(frozen=True, slots=True)
class QuoteRequestSym(_Fields):
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("symbol", 55, "str"),
        ("side", 54, "str"),
        ("order_qty", 38, "dec"),
    )
    symbol: str
    side: str | None = None
    order_qty: Decimal | None = None


@dataclass(frozen=True, slots=True)
class QuoteRequest(FixMessage):
    msg_type: ClassVar[str] = "R"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("quote_req_id", 131, "str"),
        ("related_syms", 146, QuoteRequestSym),
    )
    quote_req_id: str
    related_syms: tuple[QuoteRequestSym, ...]


@dataclass(frozen=True, slots=True)
class Quote(FixMessage):
    msg_type: ClassVar[str] = "S"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("quote_req_id", 131, "str"),
        ("quote_id", 117, "str"),
        ("symbol", 55, "str"),
        ("bid_px", 132, "dec"),
        ("offer_px", 133, "dec"),
        ("bid_size", 134, "dec"),
        ("offer_size", 135, "dec"),
        ("transact_time_ns", 60, "ts"),
    )
    quote_id: str
    symbol: str
    bid_px: Decimal | None = None
    offer_px: Decimal | None = None
    bid_size: Decimal | None = None
    offer_size: Decimal | None = None
    quote_req_id: str | None = None
    transact_time_ns: int | None = None


# -------------------------------------------------------------- market data
@dataclass(frozen=True, slots=True)
class MDEntryTypeItem(_Fields):
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (("md_entry_type", 269, "str"),)
    md_entry_type: str


@dataclass(frozen=True, slots=True)
class RelatedSym(_Fields):
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (("symbol", 55, "str"),)
    symbol: str


@dataclass(frozen=True, slots=True)
class MarketDataRequest(FixMessage):
    msg_type: ClassVar[str] = "V"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("md_req_id", 262, "str"),
        ("subscription_request_type", 263, "str"),
        ("market_depth", 264, "int"),
        ("md_update_type", 265, "int"),
        ("entry_types", 267, MDEntryTypeItem),
        ("symbols", 146, RelatedSym),
    )
    md_req_id: str
    subscription_request_type: str
    market_depth: int
    entry_types: tuple[MDEntryTypeItem, ...]
    symbols: tuple[RelatedSym, ...]
    md_update_type: int | None = None


@dataclass(frozen=True, slots=True)
class MDEntry(_Fields):
    """A snapshot entry (bid `0`, offer `1`, trade `2`, ...)."""

    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("md_entry_type", 269, "str"),
        ("md_entry_px", 270, "dec"),
        ("md_entry_size", 271, "dec"),
        ("md_entry_position_no", 290, "int"),
    )
    md_entry_type: str
    md_entry_px: Decimal | None = None
    md_entry_size: Decimal | None = None
    md_entry_position_no: int | None = None


@dataclass(frozen=True, slots=True)
class MarketDataSnapshotFullRefresh(FixMessage):
    msg_type: ClassVar[str] = "W"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("md_req_id", 262, "str"),
        ("symbol", 55, "str"),
        ("entries", 268, MDEntry),
    )
    symbol: str
    entries: tuple[MDEntry, ...]
    md_req_id: str | None = None


@dataclass(frozen=True, slots=True)
class MDIncEntry(_Fields):
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("md_update_action", 279, "str"),
        ("md_entry_type", 269, "str"),
        ("md_entry_id", 278, "str"),
        ("symbol", 55, "str"),
        ("md_entry_px", 270, "dec"),
        ("md_entry_size", 271, "dec"),
        ("md_entry_position_no", 290, "int"),
    )
    md_update_action: str
    md_entry_type: str | None = None
    md_entry_id: str | None = None
    symbol: str | None = None
    md_entry_px: Decimal | None = None
    md_entry_size: Decimal | None = None
    md_entry_position_no: int | None = None


@dataclass(frozen=True, slots=True)
class MarketDataIncrementalRefresh(FixMessage):
    msg_type: ClassVar[str] = "X"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("md_req_id", 262, "str"),
        ("entries", 268, MDIncEntry),
    )
    entries: tuple[MDIncEntry, ...]
    md_req_id: str | None = None


@dataclass(frozen=True, slots=True)
class MarketDataRequestReject(FixMessage):
    msg_type: ClassVar[str] = "Y"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("md_req_id", 262, "str"),
        ("md_req_rej_reason", 281, "str"),
        ("text", 58, "str"),
    )
    md_req_id: str
    md_req_rej_reason: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class SecurityDefinition(FixMessage):
    msg_type: ClassVar[str] = "d"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        ("security_req_id", 320, "str"),
        ("security_response_id", 322, "str"),
        ("security_response_type", 323, "int"),
        ("symbol", 55, "str"),
        ("security_type", 167, "str"),
        ("currency", 15, "str"),
        ("text", 58, "str"),
    )
    security_req_id: str
    security_response_id: str
    security_response_type: int
    symbol: str | None = None
    security_type: str | None = None
    currency: str | None = None
    text: str | None = None


MESSAGE_CLASSES: dict[str, type[FixMessage]] = {
    cls.msg_type: cls
    for cls in (
        Heartbeat,
        TestRequest,
        ResendRequest,
        Reject,
        SequenceReset,
        Logout,
        Logon,
        BusinessMessageReject,
        NewOrderSingle,
        OrderCancelRequest,
        OrderCancelReplaceRequest,
        OrderCancelReject,
        ExecutionReport,
        MassQuote,
        MassQuoteAcknowledgement,
        QuoteCancel,
        QuoteRequest,
        Quote,
        MarketDataRequest,
        MarketDataSnapshotFullRefresh,
        MarketDataIncrementalRefresh,
        MarketDataRequestReject,
        SecurityDefinition,
    )
}


def decode(raw: RawMessage) -> FixMessage | RawMessage:
    """The typed message for `raw`, or `raw` itself when its type is not mapped.
    Raises ValueError when a mapped field does not convert."""
    cls = MESSAGE_CLASSES.get(raw.msg_type)
    if cls is None:
        return raw
    try:
        return cls.from_raw(raw)  # type: ignore[no-any-return]
    except TypeError as e:
        raise ValueError(f"{cls.__name__}: {e}") from None
