"""FrameDecoder (offset scan with a one-regex fast path) against a reference
model: the plain step-by-step decoder it replaced, written for clarity. Random
streams of good, corrupted and truncated frames, fed in random chunk sizes,
must give the same frames, the same GARBLED markers and the same counters."""

from __future__ import annotations

import random

from quoter.fix.codec.framing import GARBLED, SOH, FrameDecoder, checksum, encode


def _find_start(buf: bytearray, pos: int) -> int:
    a = buf.find(b"\x018=", pos)
    b = buf.find(b"8=FIX", pos)
    if a >= 0 and (b < 0 or a + 1 <= b):
        return a + 1
    return b


class ReferenceDecoder:
    """The original decoder: delete each consumed frame from a bytearray."""

    def __init__(self, max_message_bytes: int) -> None:
        self.buf = bytearray()
        self.limit = max_message_bytes
        self.garbled_count = 0
        self.discarded_bytes = 0

    def _garbled(self, out: list[bytes]) -> None:
        self.garbled_count += 1
        out.append(GARBLED)
        nxt = _find_start(self.buf, 1)
        if nxt < 0:
            self.buf.clear()
        else:
            del self.buf[:nxt]

    def feed(self, data: bytes) -> list[bytes]:
        buf = self.buf
        buf += data
        out: list[bytes] = []
        limit = self.limit
        while buf:
            if not buf.startswith(b"8="):
                start = _find_start(buf, 0)
                if start < 0:
                    keep = min(len(buf), 5)
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
            e2 = buf.find(SOH, e1 + 3, e1 + 15)
            if e2 < 0:
                if len(buf) >= e1 + 15:
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
                or int(cks) != checksum(frame[: k + 1])
            ):
                self.garbled_count += 1
                out.append(GARBLED)
                continue
            out.append(frame)
        return out


def _good(rng: random.Random) -> bytes:
    body = [(11, "C" * rng.randrange(1, 300)), (55, "X")]
    if rng.random() < 0.2:
        body.append((58, "caf\u00e9 = 10=123"))  # '10=' and '=' inside a value
    hdr = [(34, str(rng.randrange(1, 10**6))), (49, "A"), (52, "20250101-00:00:00"), (56, "B")]
    return encode("FIX.4.4", "D", hdr, body)


def _corrupt(rng: random.Random, frame: bytes) -> bytes:
    kind = rng.randrange(9)
    b = bytearray(frame)
    if kind == 0:  # flip a byte
        i = rng.randrange(len(b))
        b[i] = rng.randrange(256)
    elif kind == 1:  # truncate
        del b[rng.randrange(1, len(b)) :]
    elif kind == 2:  # wrong BodyLength, by a little
        length = int(frame.split(b"\x01")[1][2:])
        return frame.replace(b"9=%d" % length, b"9=%d" % (length + rng.randrange(-12, 13)), 1)
    elif kind == 3:  # huge or non-numeric BodyLength
        return frame.replace(b"\x019=", rng.choice([b"\x019=99999999", b"\x019=1x", b"\x019="]), 1)
    elif kind == 4:  # wrong CheckSum digits or width
        return frame[:-4] + rng.choice([b"000\x01", b"00\x01", b"0000\x01", b"ab1\x01"])
    elif kind == 5:  # junk before
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 30))) + frame
    elif kind == 6:  # long BeginString
        return frame.replace(b"FIX.4.4", b"FIX.4.4" + b"Z" * rng.randrange(25, 45), 1)
    elif kind == 7:  # trailer without its SOH
        return frame[:-1]
    else:  # a stray start of frame
        return b"8=FIX" + frame
    return bytes(b)


def _stream(rng: random.Random) -> bytes:
    parts = []
    for _ in range(rng.randrange(1, 40)):
        f = _good(rng)
        parts.append(f if rng.random() < 0.6 else _corrupt(rng, f))
    return b"".join(parts)


def _chunks(rng: random.Random, data: bytes) -> list[bytes]:
    out = []
    i = 0
    while i < len(data):
        step = rng.choice([1, 2, 7, 64, 300, 4096, len(data)])
        out.append(data[i : i + step])
        i += step
    return out


def test_decoder_matches_the_reference_model() -> None:
    rng = random.Random(7)
    frames = garbled = 0
    for _ in range(600):
        limit = rng.choice([4096, 1 << 20, 300])
        ours, ref = FrameDecoder(limit), ReferenceDecoder(limit)
        for chunk in _chunks(rng, _stream(rng)):
            got, want = ours.feed(chunk), ref.feed(chunk)
            assert got == want
            assert all(type(f) is bytes for f in got)
            assert (ours.garbled_count, ours.discarded_bytes) == (
                ref.garbled_count,
                ref.discarded_bytes,
            )
            assert ours.buffered() == len(ref.buf)
            frames += sum(1 for f in got if f)
            garbled += sum(1 for f in got if not f)
        assert ours.take_buffer() == bytes(ref.buf)
    assert frames > 3000 and garbled > 1000, "both outcomes are exercised"


def test_trickled_large_frame_is_assembled_in_place() -> None:
    big = encode("FIX.4.4", "D", [(34, "1")], [(58, "x" * 200_000)])
    dec = FrameDecoder()
    out: list[bytes] = []
    for i in range(0, len(big), 1000):
        out += dec.feed(big[i : i + 1000])
    assert out == [big]
    assert dec.buffered() == 0
