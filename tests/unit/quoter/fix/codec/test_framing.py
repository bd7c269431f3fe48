"""Framing: BodyLength/CheckSum verification, garbled recovery, size cap."""

from __future__ import annotations

import simplefix

from quoter.fix.codec.framing import GARBLED, FrameDecoder, checksum, encode, parse

HDR = [(34, "2"), (49, "TW44"), (52, "20250101-00:00:00.000"), (56, "ISLD")]


def _msg(seq: str = "2", body: list[tuple[int, str]] | None = None) -> bytes:
    return encode("FIX.4.4", "D", [(34, seq), *HDR[1:]], body or [(11, "ID"), (55, "X")])


def test_checksum_matches_plain_sum_for_long_data() -> None:
    data = bytes(range(256)) * 7 + b"tail"
    assert checksum(data) == sum(data) % 256
    assert checksum(b"8=FIX.4.4\x01") == sum(b"8=FIX.4.4\x01") % 256


def test_encode_agrees_with_simplefix() -> None:
    ours = encode("FIX.4.4", "0", HDR, [(112, "HELLO")])
    sf = simplefix.FixMessage()
    sf.append_pair(8, "FIX.4.4")
    sf.append_pair(35, "0")
    for t, v in [*HDR, (112, "HELLO")]:
        sf.append_pair(t, v)
    assert ours == sf.encode()


def test_decoder_handles_byte_by_byte_and_concatenated_input() -> None:
    a, b = _msg("2"), _msg("3")
    dec = FrameDecoder()
    out = []
    for i in range(len(a + b)):
        out += dec.feed((a + b)[i : i + 1])
    assert out == [a, b]
    assert FrameDecoder().feed(a + b) == [a, b]


def test_bad_checksum_is_dropped_and_next_frame_parsed() -> None:
    good = _msg("3")
    bad = _msg("2")[:-4] + b"000\x01"
    dec = FrameDecoder()
    assert dec.feed(b"garbage\x01" + bad + good) == [GARBLED, good]
    assert dec.garbled_count == 1


def test_too_short_body_length_is_garbled_too_long_swallows_next() -> None:
    good = _msg("3")
    raw = _msg("2")
    length = int(raw.split(b"\x01")[1][2:])
    # declared length a bit too long: QuickFIX framing finds the *next* trailer, so the
    # following message is swallowed with it, and parsing resumes after that
    too_long = raw.replace(b"9=%d" % length, b"9=%d" % (length + 14), 1)
    dec = FrameDecoder()
    assert dec.feed(too_long + good + good) == [GARBLED, good]
    too_short = raw.replace(b"9=%d" % length, b"9=%d" % (length - 10), 1)
    assert FrameDecoder().feed(too_short + good) == [GARBLED, good]


def test_huge_body_length_is_refused_without_buffering() -> None:
    dec = FrameDecoder(max_message_bytes=4096)
    hostile = b"8=FIX.4.4\x019=10000000\x0135=0\x01" + b"x" * 5000
    assert dec.feed(hostile) == [GARBLED]
    assert dec.buffered() < 100
    assert dec.feed(_msg()) == [_msg()]


def test_parse_fields_and_values() -> None:
    m = parse(_msg("7"))
    assert m.msg_type == "D"
    assert m.values[34] == "7"
    assert [t for t, _ in m.fields][:3] == [8, 9, 35]
    assert m.fields[-1][0] == 10


def test_checksum_verified_on_each_size_class_of_the_fast_path() -> None:
    # frames around the 256- and 512-byte edges of the decoder's inline checksum
    # (one chunk, two chunks, the general loop): right ones pass, off-by-one ones
    # and ones with a byte changed in the second chunk are dropped
    for size in (200, 255, 256, 257, 300, 511, 512, 513, 900):
        body = [(58, "x" * size)]
        frame = encode("FIX.4.4", "0", [(34, "1"), (49, "A"), (56, "B")], body)
        assert FrameDecoder().feed(frame) == [frame]
        good = int(frame[-4:-1])
        off = frame[:-4] + b"%03d\x01" % ((good + 1) % 256)
        assert FrameDecoder().feed(off + frame) == [GARBLED, frame]
        flipped = bytearray(frame)
        flipped[-20] ^= 0x01  # in the text, near the end: past byte 256 when long
        assert FrameDecoder().feed(bytes(flipped)) == [GARBLED]
