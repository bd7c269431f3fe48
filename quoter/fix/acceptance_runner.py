"""Run QuickFIX acceptance-test definitions (`.def` files) against an acceptor.

A Python reading of QuickFIX's Runner/ReflectorClient/Comparator/FixParser:
`I` lines are sent (after `<TIME>` substitution and "fixify": BodyLength and
CheckSum added unless present, with QuickFIX's one-byte-short length quirk when
a CheckSum is given), `E` lines read one message and compare it field by field
(same count, same tags in the same order, equal values except the regex tags
of fields.fmt), `iCONNECT`/`iDISCONNECT` open and close, `eDISCONNECT` expects
the peer to close within 10 s. `i2,`/`E2,` prefixes address connection 2.

Unlike the Ruby runner, every read has a timeout (`read_timeout_s`) so a
silent acceptor fails the file instead of hanging it.
"""

from __future__ import annotations

import re
import select
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from quoter.fix.codec.framing import checksum

FIELD_FORMATS = {
    "10": re.compile(r"\d{3}"),
    "42": re.compile(r"\d{8}-\d{2}:\d{2}:\d{2}"),
    "52": re.compile(r"\d{8}-\d{2}:\d{2}:\d{2}|\d{8}-\d{2}:\d{2}:\d{2}[.]\d{3}"),
    "60": re.compile(r"\d{8}-\d{2}:\d{2}:\d{2}"),
    "122": re.compile(r"\d{8}-\d{2}:\d{2}:\d{2}"),
}
_PREFIX = re.compile(r"^([IEie])(\d),(.*)$", re.S)
_TIME = re.compile(r"<TIME([+-]\d+)?>")
_TRAILER = re.compile(r"\x0110=\d*\x01$")


@dataclass(frozen=True)
class Step:
    """The outcome of one definition file."""

    path: str
    ok: bool
    line_no: int = 0
    line: str = ""
    reason: str = ""
    messages_compared: int = 0


def substitute(line: str, now_s: float | None = None) -> str:
    now = time.time() if now_s is None else now_s

    def repl(m: re.Match[str]) -> str:
        offset = int(m.group(1)) if m.group(1) else 0
        return time.strftime("%Y%m%d-%H:%M:%S", time.gmtime(int(now) + offset))

    return _TIME.sub(repl, line)


def fixify(line: str) -> str:
    """Add 9= and 10= as QuickFIX's test runner does (see module docstring)."""
    if not line.startswith("8="):
        return line
    m = _TRAILER.search(line)
    if m is not None:
        head, trailer = line[: m.start() + 1], line[m.start() + 1 :]
    else:
        head, trailer = line, ""
    if "\x019=" not in head:
        first = head.index("\x01") + 1
        rest = head[first:]
        length = len(rest.encode("latin-1")) - (1 if m is not None else 0)
        head = f"{head[:first]}9={length}\x01{rest}"
    if not trailer:
        trailer = f"10={checksum(head.encode('latin-1')):03d}\x01"
    return head + trailer


def compare(expected: str, received: str) -> str | None:
    """None when `received` matches `expected`, else the reason."""
    exp = expected.split("\x01")[:-1] if expected.endswith("\x01") else expected.split("\x01")
    got = received.split("\x01")[:-1] if received.endswith("\x01") else received.split("\x01")
    if len(exp) != len(got):
        return f"field count differs: expected {len(exp)}, received {len(got)}"
    for e, g in zip(exp, got, strict=True):
        et, _, ev = e.partition("=")
        gt, _, gv = g.partition("=")
        if et != gt:
            return f"tag order differs: expected {et}, received {gt}"
        fmt = FIELD_FORMATS.get(et)
        if fmt is not None:
            if not fmt.search(gv):
                return f"{et}={gv!r} does not match {fmt.pattern}"
        elif ev != gv:
            return f"{et}: expected {ev!r}, received {gv!r}"
    return None


class _Conn:
    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.timeout_s = timeout_s

    def _more(self) -> None:
        self.sock.settimeout(self.timeout_s)
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed by the acceptor")
        self.buf += data

    def _read_until(self, token: bytes, start: int = 0) -> int:
        while True:
            i = self.buf.find(token, start)
            if i >= 0:
                return i
            self._more()

    def read_message(self) -> str:
        """FixParser: up to SOH9=, the length, that many body bytes, then the 10= field."""
        i = self._read_until(b"\x019=")
        j = self._read_until(b"\x01", i + 3)
        length = int(self.buf[i + 3 : j])
        end_body = j + 1 + length
        while len(self.buf) < end_body:
            self._more()
        k = self._read_until(b"\x01", end_body)
        msg, self.buf = self.buf[: k + 1], self.buf[k + 1 :]
        return msg.decode("latin-1")

    def expect_disconnect(self, wait_s: float = 10.0) -> str | None:
        if self.buf:
            return "Expected disconnection, got data"
        ready, _, _ = select.select([self.sock], [], [], wait_s)
        if not ready:
            return "Connection hangs after ten seconds."
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            return None
        return "Expected disconnection, got data" if data else None

    def close(self) -> None:
        self.sock.close()


def run_definition(path: str | Path, host: str, port: int, read_timeout_s: float = 20.0) -> Step:
    """Run one `.def` file; stop at the first failing line."""
    text = Path(path).read_bytes().decode("latin-1")
    conns: dict[int, _Conn] = {}
    compared = 0
    try:
        for line_no, raw in enumerate(text.split("\n"), 1):
            line = raw.rstrip("\r")
            if not line.strip() or line.startswith("#"):
                continue
            m = _PREFIX.match(line)
            if m is not None:
                action, cid, rest = m.group(1), int(m.group(2)), m.group(3)
            else:
                action, cid, rest = line[0], 1, line[1:]
            try:
                if action == "i" and rest == "CONNECT":
                    conns[cid] = _Conn(host, port, read_timeout_s)
                elif action == "i" and rest == "DISCONNECT":
                    conns.pop(cid).close()
                elif action == "e" and rest == "DISCONNECT":
                    why = conns[cid].expect_disconnect()
                    if why is not None:
                        return Step(str(path), False, line_no, line, why, compared)
                    conns.pop(cid).close()
                elif action == "I":
                    conns[cid].sock.sendall(fixify(substitute(rest)).encode("latin-1"))
                elif action == "E":
                    expected = fixify(substitute(rest))
                    received = conns[cid].read_message()
                    why = compare(expected, received)
                    compared += 1
                    if why is not None:
                        shown = received.replace("\x01", "|")
                        return Step(
                            str(path), False, line_no, line, f"{why}; got {shown}", compared
                        )
                else:
                    return Step(str(path), False, line_no, line, "unknown line", compared)
            except (OSError, ConnectionError, ValueError, KeyError) as e:
                return Step(str(path), False, line_no, line, f"{type(e).__name__}: {e}", compared)
    finally:
        for c in conns.values():
            c.close()
    return Step(str(path), True, messages_compared=compared)
