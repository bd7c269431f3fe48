"""The FIX session layer as a sans-I/O state machine (both roles).

Feed it bytes (`data_received`) and timer ticks (`on_timer` at or after
`next_deadline_ns()`); take what it wants written (`data_to_send()`) and
whether it wants the connection closed (`disconnect_requested`). Time comes
from an injected clock (UTC int nanoseconds), so tests drive it without
sockets or sleeping. Transports in `quoter.fix.transport` wrap it.

Behaviour follows QuickFIX's Session (the reference for the acceptance
suite): logon with ResetSeqNumFlag / reset-on-logon, credential check
(553/554) and HeartBtInt bounds on the acceptor, heartbeats and TestRequest
`TEST` on HeartBtInt, MsgSeqNum too high -> ResendRequest and queue, too low
without PossDup -> Logout and disconnect, PossDup/OrigSendingTime checks,
ResendRequest answered from the store with SequenceReset-GapFill for admin
messages, SequenceReset (gap fill and reset), SendingTime accuracy, CompID
checks, logout handshake with a timeout, data-dictionary validation with
session Rejects. The application sees logon/logout/disconnect and application
messages through `Application` callbacks, called synchronously; it can call
`send` from inside them.

Not here: sockets, routing of a new connection to a session (the acceptor
transport does that), duplicate-identity refusal (the acceptor transport).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as dtime
from typing import Literal, Protocol
from zlib import adler32

from quoter.fix.codec import tags as T
from quoter.fix.codec.framing import (
    GARBLED,
    FrameDecoder,
    GarbledFrame,
    RawMessage,
    checksum,
    encode,
    encode_payload,
    join_fields,
    parse,
)
from quoter.fix.codec.times import format_utc, parse_utc
from quoter.fix.dictionary import Dictionary
from quoter.fix.store import MemoryStore
from quoter.fix.validation import (
    COMPID_PROBLEM,
    REQUIRED_TAG_MISSING,
    SENDING_TIME_ACCURACY,
    VALUE_INCORRECT,
    Rejection,
    parse_and_validate,
    validate,
)

_NS = 1_000_000_000
_PRECISION_UNIT_NS = {"s": _NS, "ms": 1_000_000, "us": 1000, "ns": 1}
ADMIN_TYPES = frozenset(["0", "1", "2", "3", "4", "5", "A"])
_ROUTING_AND_STANDARD = frozenset(
    (
        T.BEGIN_STRING,
        T.BODY_LENGTH,
        T.MSG_TYPE,
        T.MSG_SEQ_NUM,
        T.SENDER_COMP_ID,
        T.SENDING_TIME,
        T.TARGET_COMP_ID,
        T.POSS_DUP_FLAG,
        T.ORIG_SENDING_TIME,
        T.CHECK_SUM,
    )
)

Clock = Callable[[], int]


class UnsupportedMessageType(Exception):
    """Raised by an application's on_message: answered with BusinessMessageReject 380=3."""


class BusinessReject(Exception):
    """Raised by an application's on_message: answered with BusinessMessageReject."""

    def __init__(self, reason: int, text: str, ref_tag: int | None = None) -> None:
        super().__init__(text)
        self.reason = reason
        self.text = text
        self.ref_tag = ref_tag


class Application(Protocol):
    """What a session tells its owner. All callbacks run synchronously."""

    def on_logon(self, session: Session) -> None: ...

    def on_logout(self, session: Session) -> None: ...

    def on_message(self, session: Session, msg: RawMessage) -> None: ...

    def on_disconnect(self, session: Session) -> None: ...


class BaseApplication:
    """An `Application` that ignores everything; subclass what you need."""

    def on_logon(self, session: Session) -> None:
        """Called when the session is logged on."""

    def on_logout(self, session: Session) -> None:
        """Called when a logged-on session ends (logout or lost connection)."""

    def on_message(self, session: Session, msg: RawMessage) -> None:
        """Called for every in-sequence application message."""

    def on_disconnect(self, session: Session) -> None:
        """Called whenever the connection ends: the venue's cancel-on-disconnect hook."""

    def on_session_reject(self, session: Session, msg: RawMessage) -> None:
        """Called for every in-sequence session-level Reject (35=3) from the peer:
        a message of ours it refused before its application saw it (RefSeqNum 45;
        `Session.sent_message` gives it back). Optional: a session looks it up
        on its application and skips it when absent."""


@dataclass(frozen=True)
class SessionConfig:
    """One FIX session. Times in seconds; None switches a check off."""

    sender_comp_id: str
    target_comp_id: str
    role: Literal["initiator", "acceptor"] = "initiator"
    begin_string: str = "FIX.4.4"
    heart_bt_int_s: int = 30
    reset_on_logon: bool = False
    reset_seq_num_flag: bool = False
    daily_reset_utc: dtime | None = None
    max_latency_s: int | None = 120
    logon_timeout_s: float = 10.0
    logout_timeout_s: float = 2.0
    username: str | None = None
    password: str | None = None
    credentials: Mapping[str, str] | None = None
    min_heart_bt_int_s: int = 1
    max_heart_bt_int_s: int = 300
    validate: bool = True
    sending_time_precision: Literal["s", "ms", "us", "ns"] = "ms"
    max_message_bytes: int = 1 << 20
    extra_logon_fields: tuple[tuple[int, str], ...] = field(default=())


class Session:
    """One FIX session, reused across connections (see module docstring)."""

    def __init__(
        self,
        config: SessionConfig,
        app: Application | None = None,
        store: MemoryStore | None = None,
        clock: Clock = time.time_ns,
        dictionary: Dictionary | None = None,
    ) -> None:
        self.config = config
        self.app: Application = app if app is not None else BaseApplication()
        self.store = store if store is not None else MemoryStore()
        self.clock = clock
        self.dictionary = dictionary if dictionary is not None else Dictionary.fix44()
        self._out: list[bytes] = []
        self.disconnect_requested = False
        self.connected = False
        self.logout_text: str | None = None  # text of the peer's Logout, if any
        self.last_error: str | None = None
        self.last_heartbeat_test_req_id: str | None = None  # TestReqID of the last Heartbeat
        # the standard header around MsgSeqNum and SendingTime never changes:
        # keep its text, and the SendingTime text of the current time unit
        self._hdr_mid = f"\x01{T.SENDER_COMP_ID}={config.sender_comp_id}\x01{T.SENDING_TIME}="
        self._hdr_end = f"\x01{T.TARGET_COMP_ID}={config.target_comp_id}\x01"
        self._head9 = b"8=%s\x019=" % config.begin_string.encode()
        self._time_unit_ns = _PRECISION_UNIT_NS.get(config.sending_time_precision, 1)
        self._time_key: int | None = None
        self._time_text = ""
        self._reset_connection_state()

    # ------------------------------------------------------------------ state
    def _reset_connection_state(self) -> None:
        self.decoder = FrameDecoder(self.config.max_message_bytes)
        self.sent_logon = False
        self.received_logon = False
        self.sent_logout = False
        self.sent_reset = False
        self.received_reset = False
        self.heart_bt_int_s = self.config.heart_bt_int_s
        now = self.clock()
        self.last_sent_ns = now
        self.last_received_ns = now
        self.logout_sent_ns = 0
        self.test_request_count = 0
        self.resend_range: tuple[int, int] | None = None
        self.queue: dict[int, RawMessage] = {}

    @property
    def is_logged_on(self) -> bool:
        return self.received_logon and self.sent_logon

    @property
    def is_initiator(self) -> bool:
        return self.config.role == "initiator"

    @property
    def expected_target_seq(self) -> int:
        return self.store.next_target_seq

    @property
    def garbled_count(self) -> int:
        return self.decoder.garbled_count

    # ----------------------------------------------------------- I/O inputs
    def connection_made(self) -> None:
        """A new connection for this session; the initiator sends its Logon."""
        self._reset_connection_state()
        self.connected = True
        self.disconnect_requested = False
        self.logout_text = None
        self._maybe_daily_reset()
        if self.is_initiator:
            if self.config.reset_seq_num_flag:
                self.store.reset(self.clock())
                self.sent_reset = True
            body: list[tuple[int, str]] = [
                (T.ENCRYPT_METHOD, "0"),
                (T.HEART_BT_INT, str(self.config.heart_bt_int_s)),
            ]
            if self.sent_reset:
                body.append((T.RESET_SEQ_NUM_FLAG, "Y"))
            if self.config.username is not None:
                body.append((T.USERNAME, self.config.username))
            if self.config.password is not None:
                body.append((T.PASSWORD, self.config.password))
            body.extend(self.config.extra_logon_fields)
            self._send_raw("A", body)
            self.sent_logon = True

    def connection_lost(self) -> None:
        """The connection ended (either side)."""
        if not self.connected:
            return
        was_logged_on = self.is_logged_on
        self.connected = False
        self.received_logon = False
        self.sent_logon = False
        self.store.flush()
        if was_logged_on:
            self.app.on_logout(self)
        self.app.on_disconnect(self)

    def data_received(self, data: bytes) -> None:
        """Bytes from the peer."""
        for frame in self.decoder.feed(data):
            if self.disconnect_requested:
                return
            self._frame(frame)
        if self.is_logged_on and not self.disconnect_requested:
            self.on_timer()

    def frame_received(self, frame: bytes) -> None:
        """One framed message (or GARBLED) from the peer."""
        self._frame(frame)
        if self.is_logged_on and not self.disconnect_requested:
            self.on_timer()

    def _frame(self, frame: bytes) -> None:
        if frame is GARBLED or frame == GARBLED:
            self._garbled("garbled frame (BodyLength or CheckSum)")
            return
        try:
            if self.config.validate:
                # split and validate in one step (compiled per message shape)
                msg, rej = parse_and_validate(frame, self.dictionary)
            else:
                msg, rej = parse(frame), None
        except GarbledFrame as e:
            self._garbled(str(e))
            return
        self._next(msg, queued=False, rejection=rej)

    def _garbled(self, why: str) -> None:
        self.last_error = why
        if not self.received_logon:
            self._disconnect()

    def data_to_send(self) -> bytes:
        """Everything queued for the wire since the last call."""
        if not self._out:
            return b""
        data = b"".join(self._out)
        self._out.clear()
        return data

    # ---------------------------------------------------------------- timers
    def next_deadline_ns(self) -> int | None:
        """When `on_timer` must next run (UTC ns), or None."""
        if not self.connected or self.disconnect_requested:
            return None
        if not self.received_logon:
            return self.last_received_ns + int(self.config.logon_timeout_s * _NS)
        hb = self.heart_bt_int_s * _NS
        deadlines = [
            self.last_sent_ns + hb,
            self.last_received_ns + hb,
            self.last_received_ns + 12 * hb * (self.test_request_count + 1) // 10,
        ]
        if self.sent_logout:
            deadlines.append(self.logout_sent_ns + int(self.config.logout_timeout_s * _NS))
        return min(deadlines)

    def on_timer(self) -> None:
        """Heartbeats, TestRequests and timeouts due by now."""
        if not self.connected or self.disconnect_requested:
            return
        now = self.clock()
        if not self.received_logon:
            if now - self.last_received_ns >= int(self.config.logon_timeout_s * _NS):
                self.last_error = "timed out waiting for logon"
                self._disconnect()
            return
        if self.sent_logout and now - self.logout_sent_ns >= int(
            self.config.logout_timeout_s * _NS
        ):
            self.last_error = "timed out waiting for logout response"
            self._disconnect()
            return
        hb = self.heart_bt_int_s * _NS
        since_sent = now - self.last_sent_ns
        since_received = now - self.last_received_ns
        if since_sent < hb and since_received < hb:
            return
        if since_received >= 24 * hb // 10:
            self.last_error = "timed out waiting for heartbeat"
            self._disconnect()
        elif since_received >= 12 * hb * (self.test_request_count + 1) // 10:
            self._send_raw("1", [(T.TEST_REQ_ID, "TEST")])
            self.test_request_count += 1
        elif since_sent >= hb and not self.test_request_count:
            self._send_raw("0", [])

    # ----------------------------------------------------------- app output
    def send(
        self,
        msg_type: str,
        body: Sequence[tuple[int, str]],
        header: Sequence[tuple[int, str]] = (),
    ) -> int:
        """Send an application message; return its MsgSeqNum. Raises RuntimeError
        when not logged on."""
        if not self.is_logged_on:
            raise RuntimeError("FIX session is not logged on")
        return self._send_raw(msg_type, body, header, store=True)

    def send_text(self, msg_type: str, body_text: str) -> int:
        """`send(msg_type, body)` with the body already serialised as
        `tag=value<SOH>...` (every field SOH-terminated, in order): the same bytes,
        stored and sequenced the same way; for callers that keep the constant
        parts of their messages encoded (the quoter's order path). The caller
        vouches for the text: it is framed as given, not checked."""
        if not self.is_logged_on:
            raise RuntimeError("FIX session is not logged on")
        now = self.clock()
        store = self.store
        num = store.next_sender_seq
        key = now // self._time_unit_ns
        if key != self._time_key:
            self._time_key = key
            self._time_text = format_utc(now, self.config.sending_time_precision)
        # encode_payload inline, with the `8=..SOH9=` head kept as bytes (no
        # BeginString encode per message); an order is well under 256 bytes,
        # whose checksum is adler32's low half (as in checksum())
        data = (
            f"35={msg_type}\x0134={num}{self._hdr_mid}{self._time_text}{self._hdr_end}{body_text}"
        ).encode("utf-8", "surrogateescape")
        whole = b"%s%d\x01%s" % (self._head9, len(data), data)
        if len(whole) <= 256:
            frame = whole + b"10=%03d\x01" % (((adler32(whole) & 0xFFFF) - 1) & 0xFF)
        else:
            frame = whole + b"10=%03d\x01" % checksum(whole)
        self._out.append(frame)
        self.last_sent_ns = now
        store.save_sent(num, frame)
        return num

    def send_message(self, msg: object) -> int:
        """Send a typed message from `quoter.fix.codec.messages` (anything with
        `msg_type` and `body()`)."""
        return self.send(msg.msg_type, msg.body())  # type: ignore[attr-defined]

    def send_test_request(self, test_req_id: str) -> None:
        """Send a TestRequest; the answering Heartbeat's id lands in
        `last_heartbeat_test_req_id`."""
        self._send_raw("1", [(T.TEST_REQ_ID, test_req_id)])

    def sent_message(self, seq: int) -> RawMessage | None:
        """The application message we sent as MsgSeqNum `seq`, as stored for resends
        (None when the store no longer has it: reset, or an admin message)."""
        found = self.store.get_sent(seq, seq)
        if not found:
            return None
        try:
            return parse(found[0][1])
        except GarbledFrame:  # (a store holds what we framed; never expected)
            return None

    def logout(self, text: str | None = None) -> None:
        """Start the logout handshake (disconnects on the reply or the timeout)."""
        if self.connected and not self.sent_logout:
            self._generate_logout(text)

    # ------------------------------------------------------------- sending
    def _send_raw(
        self,
        msg_type: str,
        body: Sequence[tuple[int, str]],
        header: Sequence[tuple[int, str]] = (),
        *,
        store: bool = False,
        seq: int | None = None,
    ) -> int:
        now = self.clock()
        num = self.store.next_sender_seq if seq is None else seq
        cfg = self.config
        key = now // self._time_unit_ns
        if key != self._time_key:
            self._time_key = key
            self._time_text = format_utc(now, cfg.sending_time_precision)
        if header:
            hdr = [
                (T.MSG_SEQ_NUM, str(num)),
                (T.SENDER_COMP_ID, cfg.sender_comp_id),
                (T.SENDING_TIME, self._time_text),
                (T.TARGET_COMP_ID, cfg.target_comp_id),
                *header,
            ]
            hdr.sort(key=lambda f: f[0])
            frame = encode(cfg.begin_string, msg_type, hdr, body)
        else:  # the same bytes as encode() with the standard header, built directly
            frame = encode_payload(
                cfg.begin_string,
                f"{T.MSG_TYPE}={msg_type}\x01{T.MSG_SEQ_NUM}={num}{self._hdr_mid}"
                f"{self._time_text}{self._hdr_end}{join_fields(body)}",
            )
        self._out.append(frame)
        self.last_sent_ns = now
        if seq is None:
            if store:
                self.store.save_sent(num, frame)
            else:
                self.store.set_next_sender_seq(num + 1)
        return num

    def _reverse_route(self, msg: RawMessage) -> list[tuple[int, str]]:
        v = msg.values
        return [(dst, v[src]) for src, dst in T.REVERSE_ROUTE if v.get(src)]

    def _generate_reject(self, msg: RawMessage, reason: int, tag: int | None = None) -> None:
        if not self.received_logon:  # QuickFIX: no Reject before logon; drop the connection
            self.last_error = "invalid message before logon"
            self._disconnect()
            return
        v = msg.values
        seq_text = v.get(T.MSG_SEQ_NUM, "")
        body: list[tuple[int, str]] = []
        if seq_text:
            body.append((T.REF_SEQ_NUM, seq_text))
        body.append((T.TEXT, Rejection(reason, tag).text))
        if tag is not None:
            body.append((T.REF_TAG_ID, str(tag)))
        if msg.msg_type:
            body.append((T.REF_MSG_TYPE, msg.msg_type))
        body.append((T.SESSION_REJECT_REASON, str(reason)))
        if (
            msg.msg_type not in ("A", "4")
            and seq_text.isdigit()
            and int(seq_text) == self.expected_target_seq
        ):
            self._incr_target()
        self._send_raw("3", body, self._reverse_route(msg))

    def _generate_business_reject(
        self, msg: RawMessage, reason: int, text: str, ref_tag: int | None = None
    ) -> None:
        body = [(T.REF_SEQ_NUM, msg.values.get(T.MSG_SEQ_NUM, "")), (T.TEXT, text)]
        if ref_tag is not None:
            body[1] = (T.TEXT, f"{text} ({ref_tag})")
        body += [(T.REF_MSG_TYPE, msg.msg_type), (T.BUSINESS_REJECT_REASON, str(reason))]
        self._incr_target()
        self._send_raw("j", body)

    def _generate_logout(self, text: str | None = None) -> None:
        self._send_raw("5", [(T.TEXT, text)] if text else [])
        self.sent_logout = True
        self.logout_sent_ns = self.last_sent_ns

    def _generate_resend_request(self, seq: int) -> None:
        begin = self.expected_target_seq
        self._send_raw("2", [(T.BEGIN_SEQ_NO, str(begin)), (T.END_SEQ_NO, "0")])
        self.resend_range = (begin, seq - 1)

    def _gap_fill(self, begin: int, new_seq: int) -> None:
        now_text = format_utc(self.clock(), self.config.sending_time_precision)
        self._send_raw(
            "4",
            [(T.NEW_SEQ_NO, str(new_seq)), (T.GAP_FILL_FLAG, "Y")],
            [(T.POSS_DUP_FLAG, "Y"), (T.ORIG_SENDING_TIME, now_text)],
            seq=begin,
        )

    def _resend(self, seq: int, frame: bytes) -> None:
        old = parse(frame)
        header = [(T.POSS_DUP_FLAG, "Y"), (T.ORIG_SENDING_TIME, old.values[T.SENDING_TIME])]
        hdr_tags = self.dictionary.header
        body: list[tuple[int, str]] = []
        for t, val in old.fields[3:-1]:
            if t in hdr_tags:
                if t not in _ROUTING_AND_STANDARD:
                    header.append((t, val))
            else:
                body.append((t, val))
        self._send_raw(old.msg_type, body, header, seq=seq)

    def _disconnect(self) -> None:
        self.disconnect_requested = True

    def _incr_target(self) -> None:
        self.store.set_next_target_seq(self.store.next_target_seq + 1)

    def _maybe_daily_reset(self) -> None:
        at = self.config.daily_reset_utc
        if at is None:
            return
        now = self.clock()
        today = datetime.fromtimestamp(now / _NS, UTC).date()
        boundary = datetime.combine(today, at, tzinfo=UTC)
        boundary_ns = int(boundary.timestamp()) * _NS
        if boundary_ns > now:
            boundary_ns -= 86_400 * _NS
        if self.store.created_ns < boundary_ns:
            self.store.reset(now)

    # ------------------------------------------------------------ receiving
    def _next(
        self, msg: RawMessage, queued: bool, rejection: Rejection | bool | None = False
    ) -> None:
        """Process one message; `rejection` is its validation outcome when the
        caller already has it (None = valid), False when it must be computed."""
        v = msg.values
        mt = msg.msg_type
        try:
            if T.SENDER_COMP_ID not in v or T.TARGET_COMP_ID not in v:
                t = T.SENDER_COMP_ID if T.SENDER_COMP_ID not in v else T.TARGET_COMP_ID
                self._generate_reject(msg, REQUIRED_TAG_MISSING, t)
                if mt == "A":
                    self._disconnect()
                return
            if v[T.BEGIN_STRING] != self.config.begin_string:
                if mt == "5":
                    self._on_logout(msg)
                else:
                    self._generate_logout("Incorrect BeginString")
                    self._incr_target()
                return
            if self.config.validate:
                rej = validate(msg, self.dictionary) if rejection is False else rejection
                if isinstance(rej, Rejection):
                    self._generate_reject(msg, rej.reason, rej.tag)
                    return
            if mt not in ADMIN_TYPES:  # application messages first: they are the traffic
                if not self._verify(msg):
                    return
                try:
                    self.app.on_message(self, msg)
                except UnsupportedMessageType:
                    self._generate_business_reject(msg, 3, "Unsupported Message Type")
                    return
                except BusinessReject as e:
                    self._generate_business_reject(msg, e.reason, e.text, e.ref_tag)
                    return
                self._incr_target()
            elif mt == "A":
                self._on_logon(msg)
            elif mt == "0":
                if self._verify(msg):
                    if T.TEST_REQ_ID in v:
                        self.last_heartbeat_test_req_id = v[T.TEST_REQ_ID]
                    self._incr_target()
            elif mt == "1":
                if self._verify(msg):
                    self._send_raw("0", [(T.TEST_REQ_ID, v.get(T.TEST_REQ_ID, ""))])
                    self._incr_target()
            elif mt == "4":
                self._on_sequence_reset(msg)
            elif mt == "5":
                self._on_logout(msg)
            elif mt == "2":
                self._on_resend_request(msg)
            elif mt == "3" and self._verify(msg):
                hook = getattr(self.app, "on_session_reject", None)
                if hook is not None:
                    hook(self, msg)
                self._incr_target()
        finally:
            if self.queue and not queued and not self.disconnect_requested:
                self._next_queued()

    def _next_queued(self) -> None:
        while not self.disconnect_requested:
            msg = self.queue.pop(self.expected_target_seq, None)
            if msg is None:
                return
            if msg.msg_type in ("A", "2"):
                self._incr_target()
            else:
                self._next(msg, queued=True)

    def _valid_logon_state(self, mt: str) -> bool:
        if (mt == "A" and self.sent_reset) or self.received_reset:
            return True
        if (mt == "A" and not self.received_logon) or (mt != "A" and self.received_logon):
            return True
        if mt == "5" and self.sent_logon:
            return True
        if mt != "5" and self.sent_logout:
            return True
        return mt in ("4", "3")

    def _verify(self, msg: RawMessage, too_high: bool = True, too_low: bool = True) -> bool:
        v = msg.values
        mt = msg.msg_type
        cfg = self.config
        try:
            seq = int(v[T.MSG_SEQ_NUM]) if (too_high or too_low) else 0
            # logged on and not a Logon: always a valid state (the common case)
            if not (self.received_logon and mt != "A") and not self._valid_logon_state(mt):
                self.last_error = f"message type {mt} not valid in this logon state"
                self._disconnect()
                return False
            now = self.clock()
            latency = cfg.max_latency_s
            if latency is not None and abs(now - parse_utc(v[T.SENDING_TIME])) > latency * _NS:
                self._generate_reject(msg, SENDING_TIME_ACCURACY)
                if not self.disconnect_requested:
                    self._generate_logout()
                return False
            if (
                v[T.SENDER_COMP_ID] != cfg.target_comp_id
                or v[T.TARGET_COMP_ID] != cfg.sender_comp_id
            ):
                self._generate_reject(msg, COMPID_PROBLEM)
                if not self.disconnect_requested:
                    self._generate_logout()
                return False
        except (KeyError, ValueError) as e:
            self.last_error = f"unverifiable message: {e}"
            self._disconnect()
            return False
        expected = self.store.next_target_seq
        if too_high and seq > expected:
            self._target_too_high(msg, seq)
            return False
        if too_low and seq < expected:
            self._target_too_low(msg, seq)
            return False
        if (too_high or too_low) and self.resend_range is not None and seq >= self.resend_range[1]:
            self.resend_range = None
        self.last_received_ns = now
        self.test_request_count = 0
        return True

    def _target_too_high(self, msg: RawMessage, seq: int) -> None:
        self.queue[seq] = msg
        if self.resend_range is not None and seq >= self.resend_range[0]:
            return
        self._generate_resend_request(seq)

    def _target_too_low(self, msg: RawMessage, seq: int) -> None:
        v = msg.values
        if v.get(T.POSS_DUP_FLAG) != "Y":
            text = f"MsgSeqNum too low, expecting {self.expected_target_seq} but received {seq}"
            self.last_error = text
            self._generate_logout(text)
            self._disconnect()
            return
        if msg.msg_type != "4":
            orig = v.get(T.ORIG_SENDING_TIME)
            if orig is None:
                self._generate_reject(msg, REQUIRED_TAG_MISSING, T.ORIG_SENDING_TIME)
            elif parse_utc(orig) > parse_utc(v[T.SENDING_TIME]):
                self._generate_reject(msg, SENDING_TIME_ACCURACY)
                self._generate_logout()

    def _on_logon(self, msg: RawMessage) -> None:
        v = msg.values
        reset_flag = v.get(T.RESET_SEQ_NUM_FLAG) == "Y"
        self.received_reset = reset_flag
        if reset_flag and not self.sent_reset:
            self.store.reset(self.clock())
        if self.is_initiator and not self.sent_logon and not reset_flag:
            self._disconnect()
            return
        if not self.is_initiator and self.config.reset_on_logon:
            self.store.reset(self.clock())
        if not self._verify(msg, too_high=False, too_low=True):
            return
        if not self.is_initiator:
            refusal = self._logon_refusal(v)
            if refusal is not None:
                self.last_error = refusal
                self._generate_logout(refusal)
                self._disconnect()
                return
        self.received_logon = True
        if not self.is_initiator or (self.received_reset and not self.sent_reset):
            self.heart_bt_int_s = int(v[T.HEART_BT_INT])
            body = [(T.ENCRYPT_METHOD, "0"), (T.HEART_BT_INT, v[T.HEART_BT_INT])]
            if self.received_reset:
                body.append((T.RESET_SEQ_NUM_FLAG, "Y"))
            self._send_raw("A", body)
            self.sent_logon = True
        self.sent_reset = False
        self.received_reset = False
        seq = int(v[T.MSG_SEQ_NUM])
        if seq > self.expected_target_seq and not reset_flag:
            self._target_too_high(msg, seq)
        else:
            self._incr_target()
            self._next_queued()
        if self.is_logged_on:
            self.app.on_logon(self)

    def _logon_refusal(self, v: Mapping[int, str]) -> str | None:
        cfg = self.config
        hbi_text = v.get(T.HEART_BT_INT, "")
        hbi = int(hbi_text) if hbi_text.isdigit() else -1
        if not cfg.min_heart_bt_int_s <= hbi <= cfg.max_heart_bt_int_s:
            return (
                f"HeartBtInt must be between {cfg.min_heart_bt_int_s} and "
                f"{cfg.max_heart_bt_int_s} seconds"
            )
        if cfg.credentials is not None:
            user = v.get(T.USERNAME)
            if user is None or cfg.credentials.get(user) != v.get(T.PASSWORD):
                return "Invalid username or password"
        return None

    def _on_logout(self, msg: RawMessage) -> None:
        if not self._verify(msg, too_high=False, too_low=False):
            return
        self.logout_text = msg.values.get(T.TEXT)
        if not self.sent_logout:
            self._generate_logout()
        self._incr_target()
        self._disconnect()

    def _on_sequence_reset(self, msg: RawMessage) -> None:
        v = msg.values
        gap_fill = v.get(T.GAP_FILL_FLAG) == "Y"
        if not self._verify(msg, too_high=gap_fill, too_low=gap_fill):
            return
        new_text = v.get(T.NEW_SEQ_NO)
        if new_text is None:
            return
        new_seq = int(new_text)
        if new_seq > self.expected_target_seq:
            self.store.set_next_target_seq(new_seq)
        elif new_seq < self.expected_target_seq:
            self._generate_reject(msg, VALUE_INCORRECT)

    def _on_resend_request(self, msg: RawMessage) -> None:
        if not self._verify(msg, too_high=False, too_low=False):
            return
        v = msg.values
        begin = int(v[T.BEGIN_SEQ_NO])
        end = int(v[T.END_SEQ_NO])
        next_sender = self.store.next_sender_seq
        if end == 0 or end >= next_sender:
            end = next_sender - 1
        gap_start = begin
        for seq, frame in self.store.get_sent(begin, end):
            if seq > gap_start:
                self._gap_fill(gap_start, seq)
            self._resend(seq, frame)
            gap_start = seq + 1
        if gap_start <= end:
            self._gap_fill(gap_start, end + 1)
        seq = int(v[T.MSG_SEQ_NUM])
        if seq == self.expected_target_seq:
            self._incr_target()
