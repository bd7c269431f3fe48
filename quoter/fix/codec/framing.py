"""Frame FIX messages out of a byte stream and turn them into `RawMessage`s.

What it does: finds `8=` (at the start or after SOH), reads `9=` BodyLength,
locates the `10=` CheckSum field the way QuickFIX does (searching for
`SOH10=` from the declared end of the body, so a too-short length still finds
the trailer and a too-long one swallows what follows), then verifies
BodyLength and CheckSum. A frame that fails is *garbled*: it is dropped,
counted, reported as `GARBLED` and scanning resumes after it. A declared or
accumulated size above `max_message_bytes` is garbled too, so a hostile peer
cannot make the decoder buffer without bound.

What it does not do: validate fields against a dictionary (see
`quoter.fix.validation`) or interpret the session layer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple
from zlib import adler32

SOH = b"\x01"
GARBLED = b""  # marker in the list returned by FrameDecoder.feed
DEFAULT_MAX_MESSAGE_BYTES = 1 << 20


def checksum(data: bytes | bytearray | memoryview) -> int:
    """FIX CheckSum: sum of the bytes modulo 256 (computed with zlib.adler32 in C)."""
    n = len(data)
    if n <= 256:  # adler32's low half is 1 + sum of bytes while that stays < 65521
        return ((adler32(data) & 0xFFFF) - 1) & 0xFF
    mv = memoryview(data)
    total = 0
    for i in range(0, n, 256):
        total += (adler32(mv[i : i + 256]) & 0xFFFF) - 1
    return total & 0xFF


class GarbledFrame(ValueError):
    """A frame whose fields cannot be parsed (non-numeric tag, missing '=')."""


class RawMessage(NamedTuple):
    """A decoded message: its type, every field in wire order (8, 9 and 10
    included), a tag -> value map (last occurrence wins) and the tags alone in
    wire order (its shape: None when whoever built the message did not say).
    Immutable; a NamedTuple rather than a dataclass because it is built once
    per received message on the hot path. Readers that walk a repeating group
    can key a plan of where each field sits by `tags` (the decoder hands the
    same tuple object for every message of a compiled shape)."""

    msg_type: str
    fields: tuple[tuple[int, str], ...]
    values: dict[int, str]
    tags: tuple[int, ...] | None = None

    def get(self, tag: int, default: str | None = None) -> str | None:
        return self.values.get(tag, default)


_TAG_INTS = {str(i): i for i in range(1, 1000)}


def _slow_fields(parts: list[str]) -> tuple[tuple[int, str], ...]:
    try:
        return tuple([(int(t), v) for t, _, v in [p.partition("=") for p in parts]])
    except ValueError as e:
        raise GarbledFrame(f"bad tag: {e}") from None


def parse(frame: bytes) -> RawMessage:
    """Split a verified frame into fields. Raises GarbledFrame when the first
    three fields are not 8, 9, 35 or a tag is not an integer."""
    text = frame.decode("utf-8", "surrogateescape")
    parts = text.split("\x01")
    parts.pop()  # after the final SOH
    try:
        fields = tuple([(_TAG_INTS[t], v) for t, _, v in [p.partition("=") for p in parts]])
    except KeyError:  # tag 0, negative, >= 1000 or not a number
        fields = _slow_fields(parts)
    if len(fields) < 4 or fields[0][0] != 8 or fields[1][0] != 9 or fields[2][0] != 35:
        raise GarbledFrame("first three fields must be 8, 9, 35")
    return RawMessage(fields[2][1], fields, dict(fields), tuple([f[0] for f in fields]))


def encode(
    begin_string: str,
    msg_type: str,
    header: Sequence[tuple[int, str]],
    body: Sequence[tuple[int, str]],
) -> bytes:
    """Serialise `8=..|9=..|35=..|<header>|<body>|10=..|` with exact length and checksum."""
    payload = f"35={msg_type}\x01{join_fields(header)}{join_fields(body)}"
    return encode_payload(begin_string, payload)


def join_fields(fields: Sequence[tuple[int, str]]) -> str:
    """`tag=value<SOH>` for each field, concatenated."""
    return "".join([f"{t}={v}\x01" for t, v in fields])


def encode_payload(begin_string: str, payload: str) -> bytes:
    """Frame an already serialised `35=..|...|` payload: add BeginString,
    BodyLength and CheckSum (the faster entry point when the caller builds
    the payload text itself)."""
    data = payload.encode("utf-8", "surrogateescape")
    whole = b"8=%s\x019=%d\x01%s" % (begin_string.encode(), len(data), data)
    return whole + b"10=%03d\x01" % checksum(whole)


# `8=<BeginString>SOH9=<BodyLength>SOH` as the checks below accept it: the first
# SOH within 40 bytes of the start, then up to 11 digits before the next SOH
_HEAD = re.compile(b"8=[^\x01]{0,37}\x019=([0-9]{1,11})\x01").match


def _find_start(buf: bytes | bytearray, pos: int) -> int:
    """Where the next frame may begin: `8=` after SOH, or `8=FIX` anywhere
    (resynchronises after junk that has no SOH)."""
    a = buf.find(b"\x018=", pos)
    b = buf.find(b"8=FIX", pos)
    if a >= 0 and (b < 0 or a + 1 <= b):
        return a + 1
    return b


class FrameDecoder:
    """Incremental framer over a byte stream (see module docstring)."""

    __slots__ = ("_buf", "discarded_bytes", "garbled_count", "max_message_bytes")

    def __init__(self, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        self._buf = bytearray()
        self.max_message_bytes = max_message_bytes
        self.garbled_count = 0
        self.discarded_bytes = 0  # bytes skipped outside any frame

    def buffered(self) -> int:
        return len(self._buf)

    def take_buffer(self) -> bytes:
        """Hand over the unparsed bytes (used when a connection changes owner)."""
        data = bytes(self._buf)
        self._buf.clear()
        return data

    def _skip_garbled(self, buf: bytes | bytearray, p: int, out: list[bytes]) -> int:
        """Drop the frame starting at `p`: return where the next `SOH8=` after it
        begins (or the end of `buf`)."""
        self.garbled_count += 1
        out.append(GARBLED)
        nxt = _find_start(buf, p + 1)
        return len(buf) if nxt < 0 else nxt

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes; return complete verified frames in order, `GARBLED` for each
        dropped one."""
        # Scan with an offset and cut the consumed bytes once at the end. The
        # scan runs over an immutable copy (frames are then plain slices) unless
        # the leftover is longer than the new data, as when a large frame
        # trickles in: then append in place, so each call costs O(len(data)).
        held = self._buf
        buf: bytes | bytearray
        if not held:
            buf = bytes(data)
        elif len(held) <= len(data):
            buf = bytes(held) + data
            held.clear()
        else:
            held += data
            buf = held
        n = len(buf)
        p = 0
        out: list[bytes] = []
        limit = self.max_message_bytes
        head = _HEAD
        view = memoryview(buf)
        try:
            while p < n:
                # fast path: a well-formed complete frame, recognised with one regex
                # match and a few comparisons; anything else (incomplete, garbled,
                # oversized) falls through to the step-by-step checks below, which
                # alone decide what happens to it
                m = head(buf, p)
                if m is not None:
                    length = int(m[1])
                    body_end = m.end() + length
                    end = body_end + 7
                    if (
                        end <= n
                        and length <= limit
                        and buf.startswith(b"\x0110=", body_end - 1)
                        and buf[body_end + 6] == 1
                        and buf[body_end + 3 : body_end + 6]
                        == b"%03d"
                        % (
                            ((adler32(view[p:body_end]) & 0xFFFF) - 1) & 0xFF  # as in checksum()
                            if body_end - p <= 256
                            # (a market-data update is a few hundred bytes: two
                            # chunks of checksum()'s loop, without the call)
                            else (
                                (adler32(view[p : p + 256]) & 0xFFFF)
                                + (adler32(view[p + 256 : body_end]) & 0xFFFF)
                                - 2
                            )
                            & 0xFF
                            if body_end - p <= 512
                            else checksum(view[p:body_end])
                        )
                    ):
                        out.append(bytes(buf[p:end]))
                        p = end
                        continue
                if not buf.startswith(b"8=", p):
                    start = _find_start(buf, p)
                    if start < 0:
                        keep = min(n - p, 5)  # a frame start may straddle the next read
                        self.discarded_bytes += n - p - keep
                        p = n - keep
                        break
                    self.discarded_bytes += start - p
                    p = start
                e1 = buf.find(SOH, p + 2, p + 40)
                if e1 < 0:
                    if n - p >= 40:
                        p = self._skip_garbled(buf, p, out)
                        continue
                    break
                if not buf.startswith(b"9=", e1 + 1):
                    if n < e1 + 3:
                        break
                    p = self._skip_garbled(buf, p, out)
                    continue
                e2 = buf.find(SOH, e1 + 3, e1 + 3 + 12)
                if e2 < 0:
                    if n >= e1 + 3 + 12:
                        p = self._skip_garbled(buf, p, out)
                        continue
                    break
                length_txt = buf[e1 + 3 : e2]
                if not length_txt.isdigit() or int(length_txt) > limit:
                    p = self._skip_garbled(buf, p, out)
                    continue
                body_end = e2 + 1 + int(length_txt)
                if n < body_end:
                    break
                k = buf.find(b"\x0110=", body_end - 1)
                if k < 0:
                    if n > body_end + limit:
                        p = self._skip_garbled(buf, p, out)
                        continue
                    break
                k2 = buf.find(SOH, k + 4)
                if k2 < 0:
                    if n > k + 16:
                        p = self._skip_garbled(buf, p, out)
                        continue
                    break
                frame = bytes(buf[p : k2 + 1])  # no copy when buf is bytes
                cks = buf[k + 4 : k2]
                if (
                    k + 1 != body_end
                    or len(cks) != 3
                    or not cks.isdigit()
                    or int(cks) != checksum(memoryview(frame)[: k + 1 - p])
                ):
                    self.garbled_count += 1
                    out.append(GARBLED)
                else:
                    out.append(frame)
                p = k2 + 1
        finally:
            view.release()  # a live view would forbid resizing `held`
        if buf is held:
            del held[:p]
        elif p < n:
            held += memoryview(buf)[p:]
        return out
