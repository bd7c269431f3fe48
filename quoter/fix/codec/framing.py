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
    included) and a tag -> value map (last occurrence wins). Immutable; a
    NamedTuple rather than a dataclass because it is built once per received
    message on the hot path."""

    msg_type: str
    fields: tuple[tuple[int, str], ...]
    values: dict[int, str]

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
    return RawMessage(fields[2][1], fields, dict(fields))


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


def _find_start(buf: bytearray, pos: int) -> int:
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

    def _garbled(self, out: list[bytes]) -> None:
        """Drop the frame starting at 0: skip to the next `SOH8=` after it."""
        self.garbled_count += 1
        out.append(GARBLED)
        nxt = _find_start(self._buf, 1)
        if nxt < 0:
            self._buf.clear()
        else:
            del self._buf[:nxt]

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes; return complete verified frames in order, `GARBLED` for each
        dropped one."""
        buf = self._buf
        buf += data
        out: list[bytes] = []
        limit = self.max_message_bytes
        while buf:
            if not buf.startswith(b"8="):
                start = _find_start(buf, 0)
                if start < 0:
                    keep = min(len(buf), 5)  # a frame start may straddle the next read
                    self.discarded_bytes += len(buf) - keep
                    del buf[: len(buf) - keep]
                    break
                self.discarded_bytes += start
                del buf[:start]
            e1 = buf.find(SOH, 2, 40)
            if e1 < 0:
                if len(buf) >= 40:
                    self._garbled(out)
                    continue
                break
            if not buf.startswith(b"9=", e1 + 1):
                if len(buf) < e1 + 3:
                    break
                self._garbled(out)
                continue
            e2 = buf.find(SOH, e1 + 3, e1 + 3 + 12)
            if e2 < 0:
                if len(buf) >= e1 + 3 + 12:
                    self._garbled(out)
                    continue
                break
            length_txt = bytes(buf[e1 + 3 : e2])
            if not length_txt.isdigit() or int(length_txt) > limit:
                self._garbled(out)
                continue
            body_end = e2 + 1 + int(length_txt)
            if len(buf) < body_end:
                break
            k = buf.find(b"\x0110=", body_end - 1)
            if k < 0:
                if len(buf) > body_end + limit:
                    self._garbled(out)
                    continue
                break
            k2 = buf.find(SOH, k + 4)
            if k2 < 0:
                if len(buf) > k + 16:
                    self._garbled(out)
                    continue
                break
            frame = bytes(buf[: k2 + 1])
            del buf[: k2 + 1]
            cks = frame[k + 4 : k2]
            if (
                k + 1 != body_end
                or len(cks) != 3
                or not cks.isdigit()
                or int(cks) != checksum(memoryview(frame)[: k + 1])
            ):
                self.garbled_count += 1
                out.append(GARBLED)
                continue
            out.append(frame)
        return out
