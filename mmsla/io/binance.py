"""Binance raw feed reader: REST snapshot + `depth@100ms` diffs + trades -> RecordedMarket.

Input: gzip (or plain) text files, read in the order given, each line
`<local receive ts ns> <JSON>`: REST depth snapshots (`lastUpdateId`, `bids`,
`asks`) and combined-stream messages (`{"stream": ..., "data": ...}`) for
`<sym>@depth@100ms`, `<sym>@bookTicker` and `<sym>@trade`.

Book rebuild (Binance's documented procedure):
- diffs received while no snapshot is in force are buffered; when a snapshot
  arrives the book is reset to it and the buffer is replayed through the rules:
- drop diffs with `u <= lastUpdateId`; the first applied diff must satisfy
  `U <= lastUpdateId + 1 <= u`; after that every diff must have
  `U == previous u + 1`.
- Anything else is a `SequenceGap(ts_ns, expected, got=U)`: the book is
  dropped and no frames are produced until a new snapshot resynchronises it
  (never bridged). Diffs after the gap are buffered for that snapshot.

Frames: one after each applied diff, with the top `depth` levels. Timestamps
are the local *receive* ts (ns) of the line (for diffs replayed from the
buffer, the snapshot's receive ts, the moment the book became known), so book
and trades share one clock; exchange event times `E`/`T` are not used.
Trades: `trade` messages; `m` true (buyer is maker) -> aggressor sell (-1).
Prices are exact ticks of `tick` (0.01), sizes exact lots of `lot` (1e-8: aggregated resting
sizes in the feed are not all multiples of the 0.00001 order lot, e.g. 25.426189);
a value off that grid is an `InputError`.

Does not: read bookTicker (it duplicates the top of book), futures feeds, or
fetch anything from the network.
"""

from __future__ import annotations

import bisect
import gzip
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from mmsla.domain.book import BookFrames, RecordedMarket, SequenceGap, Trades
from mmsla.errors import InputError

TICK = Decimal("0.01")
# Binance sends 8 decimals; resting sizes are not all on the 0.00001 order lot
LOT = Decimal("0.00000001")


def _units(text: str, digits: int) -> int:
    """Exact integer count of 10**-digits units in a decimal string ("61837.63000000")."""
    whole, _, frac = text.partition(".")
    head, tail = frac[:digits], frac[digits:]
    if tail.strip("0"):
        raise ValueError(f"{text} is not a multiple of 1e-{digits}")
    scale: int = 10**digits
    return int(whole or "0") * scale + int(head.ljust(digits, "0") or "0")


def _decimals(step: Decimal) -> int:
    exp = step.normalize().as_tuple().exponent
    assert isinstance(exp, int)
    if step.normalize() != Decimal(1).scaleb(exp):
        raise ValueError(f"step {step} must be a power of ten")
    return -exp


@dataclass
class _Side:
    """One side of the book: price ticks -> lots, plus a sorted key list (best first)."""

    descending: bool
    qty: dict[int, int] = field(default_factory=dict)
    keys: list[int] = field(default_factory=list)  # ascending; bids store -px

    def reset(self, levels: list[tuple[int, int]]) -> None:
        self.qty = {px: q for px, q in levels if q > 0}
        sign = -1 if self.descending else 1
        self.keys = sorted(sign * px for px in self.qty)

    def set(self, px: int, q: int) -> None:
        key = -px if self.descending else px
        if q == 0:
            if self.qty.pop(px, None) is not None:
                del self.keys[bisect.bisect_left(self.keys, key)]
        else:
            if px not in self.qty:
                bisect.insort(self.keys, key)
            self.qty[px] = q

    def top(self, depth: int) -> tuple[list[int], list[int]]:
        keys = self.keys[:depth]
        pxs = [-k for k in keys] if self.descending else list(keys)
        return pxs, [self.qty[p] for p in pxs]


def _lines(paths: Sequence[str | Path]) -> Iterator[tuple[str, int, str]]:
    for path in paths:
        p = Path(path)
        if not p.exists():
            raise InputError(str(p), "no such file")
        opener: Any = gzip.open if p.suffix == ".gz" else open
        with opener(p, "rt", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    yield str(p), lineno, line


class _Rebuilder:
    """State machine of the book rebuild; collects frames, trades and gaps."""

    def __init__(self, depth: int, px_digits: int, qty_digits: int) -> None:
        self.depth = depth
        self.px_digits = px_digits
        self.qty_digits = qty_digits
        self.bids = _Side(descending=True)
        self.asks = _Side(descending=False)
        self.state = "unsynced"  # unsynced | first | synced
        self.last_u = 0
        self.buffer: list[tuple[int, dict[str, Any]]] = []
        self.frames_ts: list[int] = []
        self.frames: list[list[int]] = []  # per frame: bid px, bid qty, ask px, ask qty
        self.trades: list[tuple[int, int, int, int]] = []
        self.gaps: list[SequenceGap] = []

    def levels(self, rows: list[list[str]]) -> list[tuple[int, int]]:
        return [(_units(p, self.px_digits), _units(q, self.qty_digits)) for p, q in rows]

    def snapshot(self, ts: int, data: dict[str, Any]) -> None:
        self.bids.reset(self.levels(data["bids"]))
        self.asks.reset(self.levels(data["asks"]))
        self.last_u = int(data["lastUpdateId"])
        self.state = "first"
        pending, self.buffer = self.buffer, []
        for _, diff in pending:
            self.diff(ts, diff)

    def diff(self, ts: int, data: dict[str, Any]) -> None:
        first_id, last_id = int(data["U"]), int(data["u"])
        if self.state == "unsynced":
            self.buffer.append((ts, data))
            return
        if self.state == "first":
            if last_id <= self.last_u:
                return
            ok = first_id <= self.last_u + 1 <= last_id
        else:
            ok = first_id == self.last_u + 1
        if not ok:
            self.gaps.append(SequenceGap(ts_ns=ts, expected=self.last_u + 1, got=first_id))
            self.state = "unsynced"
            self.bids.reset([])
            self.asks.reset([])
            self.buffer = [(ts, data)]
            return
        for px, q in self.levels(data["b"]):
            self.bids.set(px, q)
        for px, q in self.levels(data["a"]):
            self.asks.set(px, q)
        self.last_u = last_id
        self.state = "synced"
        bp, bq = self.bids.top(self.depth)
        ap, aq = self.asks.top(self.depth)
        pad = [0] * self.depth
        self.frames_ts.append(ts)
        self.frames.append(
            (bp + pad)[: self.depth]
            + (bq + pad)[: self.depth]
            + (ap + pad)[: self.depth]
            + (aq + pad)[: self.depth]
        )

    def trade(self, ts: int, data: dict[str, Any]) -> None:
        px = _units(data["p"], self.px_digits)
        qty = _units(data["q"], self.qty_digits)
        self.trades.append((ts, px, qty, -1 if data["m"] else 1))


def read_binance(
    paths: Sequence[str | Path],
    *,
    depth: int = 20,
    symbol: str = "BTCUSDT",
    tick: Decimal = TICK,
    lot: Decimal = LOT,
) -> RecordedMarket:
    """Rebuild the book from a Binance raw feed (files in order); see the module doc."""
    if isinstance(paths, str | Path):
        paths = [paths]
    rb = _Rebuilder(depth, _decimals(tick), _decimals(lot))
    want = symbol.lower()
    for path, lineno, line in _lines(paths):
        ts_text, _, payload = line.partition(" ")
        try:
            ts = int(ts_text)
            msg = json.loads(payload)
            if "lastUpdateId" in msg:
                rb.snapshot(ts, msg)
                continue
            stream = msg.get("stream", "")
            data = msg["data"]
            if not stream.startswith(want + "@"):
                continue
            if "@depth" in stream:
                rb.diff(ts, data)
            elif stream.endswith("@trade"):
                rb.trade(ts, data)
        except (ValueError, KeyError, TypeError) as e:
            raise InputError(path, f"bad feed line: {e}", line=lineno) from e
    n = len(rb.frames_ts)
    arr = np.array(rb.frames, dtype=np.int64).reshape(n, 4 * depth)
    book = BookFrames(
        symbol=symbol,
        tick=tick,
        lot=lot,
        ts_ns=np.array(rb.frames_ts, dtype=np.int64),
        bid_px=np.ascontiguousarray(arr[:, 0:depth]),
        bid_qty=np.ascontiguousarray(arr[:, depth : 2 * depth]),
        ask_px=np.ascontiguousarray(arr[:, 2 * depth : 3 * depth]),
        ask_qty=np.ascontiguousarray(arr[:, 3 * depth :]),
    )
    tr = np.array(rb.trades, dtype=np.int64).reshape(len(rb.trades), 4)
    trades = Trades(
        symbol=symbol,
        tick=tick,
        lot=lot,
        ts_ns=np.ascontiguousarray(tr[:, 0]),
        px=np.ascontiguousarray(tr[:, 1]),
        qty=np.ascontiguousarray(tr[:, 2]),
        side=tr[:, 3].astype(np.int8),
    )
    return RecordedMarket(book=book, trades=trades, gaps=tuple(rb.gaps))
