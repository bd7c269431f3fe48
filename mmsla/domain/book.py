"""Columnar order-book and trade streams from recorded public markets.

The readers in `mmsla.io` (LOBSTER, Binance, Tardis) produce these; the venue's
replay source, the book-mode obligation check and the backtester consume them.
Prices and sizes are integers: prices in ticks of `tick`, sizes in lots of `lot`
(so the exact decimal value is `ticks * tick`). Missing levels have qty 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class BookFrames:
    """The top `depth` levels of a book after each event.

    Arrays: `ts_ns` shape (n,); `bid_px`, `bid_qty`, `ask_px`, `ask_qty` shape
    (n, depth), best level first. An empty level has px 0 and qty 0.
    """

    symbol: str
    tick: Decimal
    lot: Decimal
    ts_ns: I64
    bid_px: I64
    bid_qty: I64
    ask_px: I64
    ask_qty: I64

    def __len__(self) -> int:
        return int(self.ts_ns.shape[0])

    @property
    def depth(self) -> int:
        return int(self.bid_px.shape[1])


@dataclass(frozen=True)
class Trades:
    """Recorded trades: `side` is the aggressor (+1 buyer-initiated, -1 seller)."""

    symbol: str
    tick: Decimal
    lot: Decimal
    ts_ns: I64
    px: I64
    qty: I64
    side: npt.NDArray[np.int8]

    def __len__(self) -> int:
        return int(self.ts_ns.shape[0])


@dataclass(frozen=True)
class SequenceGap:
    """A break in a feed's sequence numbers: `expected` was due, `got` arrived at `ts_ns`."""

    ts_ns: int
    expected: int
    got: int


@dataclass(frozen=True)
class RecordedMarket:
    """A recorded public market: the book after each event, the trades, and feed gaps.

    Gaps are reported, never bridged silently: a reader that meets one records it
    here and (for diff feeds) resynchronises only from a fresh snapshot.
    """

    book: BookFrames
    trades: Trades
    gaps: tuple[SequenceGap, ...] = ()
