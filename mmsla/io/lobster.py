"""LOBSTER reader: NASDAQ book reconstructions (message + orderbook CSV pairs) -> RecordedMarket.

Accepts the official sample zip (`LOBSTER_SampleFile_AMZN_2012-06-21_5.zip`) or a
`<SYM>_<DATE>_<start>_<end>_message_<N>.csv` path whose `..._orderbook_<N>.csv`
sibling sits beside it. Symbol, trading date and level count come from the file
name unless given.

Semantics (LOBSTER documentation):
- message columns: time (seconds after midnight, exchange local time, up to 9
  decimals), type (1 submit, 2 partial cancel, 3 delete, 4 visible exec,
  5 hidden exec, 6 cross trade, 7 halt), order id, size, price x 10000,
  direction (side of the *resting* order: 1 buy, -1 sell);
- orderbook row k = the book after message k, per level ask_px, ask_sz, bid_px,
  bid_sz; an empty level has price 9999999999 (ask) / -9999999999 (bid), size 0.
- Book frames: one per message, including type 7 rows (the book is unchanged
  across a halt row; the halt itself is returned by `read_lobster_halts`).
- Trades: types 4 and 5; the aggressor is the opposite of `direction`.
- Prices: ticks of 0.01 when every price is a whole cent, else ticks of 0.0001.
- Time: local seconds -> UTC ns with the zone's UTC offset at local noon of the
  trading date (sessions never span a DST switch). The seconds are parsed as
  float64: for values < 86400 with <= 9 decimals the parse error is < 0.01 ns,
  so rounding to the nearest ns is exact.

Does not: handle type 6 (cross trades, no book effect, not counted as trades),
read LOBSTER's non-sample naming schemes, or check book consistency.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from mmsla.domain.book import BookFrames, RecordedMarket, Trades
from mmsla.errors import InputError

_NAME = re.compile(
    r"(?P<sym>[A-Za-z0-9.]+)_(?P<date>\d{4}-\d{2}-\d{2})_\d+_\d+_(?P<kind>message|orderbook)_(?P<lvl>\d+)\.csv$"
)
_ZIP_NAME = re.compile(r"(?P<sym>[A-Za-z0-9.]+)_(?P<date>\d{4}-\d{2}-\d{2})_(?P<lvl>\d+)\.zip$")
_EMPTY_ASK = 9_999_999_999
_EMPTY_BID = -9_999_999_999
_MSG_COLS = 6


@dataclass(frozen=True)
class TradingHalt:
    """A LOBSTER type-7 row: `kind` is "halt" (price -1), "quoting" (0) or "resume" (1)."""

    ts_ns: int
    kind: str


@dataclass(frozen=True)
class LobsterFiles:
    """The raw arrays of one message/orderbook pair (after name parsing)."""

    symbol: str
    trading_date: date
    levels: int
    messages: npt.NDArray[np.float64]  # (n, 6): time, type, id, size, price, direction
    book: npt.NDArray[np.int64]  # (n, 4 * levels)


def _read_csv(
    handle: io.BufferedIOBase | Path, ncols: int, what: str, dtype: str
) -> npt.NDArray[np.generic]:
    try:
        frame = pd.read_csv(handle, header=None, engine="c", dtype=dtype)
    except (ValueError, pd.errors.ParserError) as e:
        raise InputError(what, f"not a LOBSTER CSV: {e}") from e
    if frame.shape[1] != ncols:
        raise InputError(what, f"expected {ncols} columns, found {frame.shape[1]}")
    values: npt.NDArray[np.generic] = frame.to_numpy()
    return values


def load_lobster_files(
    path: str | Path, *, symbol: str | None = None, trading_date: date | None = None
) -> LobsterFiles:
    """Read the message and orderbook arrays from a zip or a message CSV path."""
    p = Path(path)
    if not p.exists():
        raise InputError(str(p), "no such file")
    if p.suffix.lower() == ".zip":
        with zipfile.ZipFile(p) as zf:
            names = zf.namelist()
            msg = [n for n in names if _NAME.search(n) and "_message_" in n]
            if len(msg) != 1:
                raise InputError(str(p), "zip must contain exactly one ..._message_N.csv")
            m = _NAME.search(msg[0])
            assert m is not None
            ob_name = msg[0].replace("_message_", "_orderbook_")
            if ob_name not in names:
                raise InputError(str(p), f"zip has no {ob_name}")
            levels = int(m["lvl"])
            with zf.open(msg[0]) as fh:
                messages = _read_csv(fh, _MSG_COLS, f"{p}!{msg[0]}", "float64")  # type: ignore[arg-type]
            with zf.open(ob_name) as fh:
                book = _read_csv(fh, 4 * levels, f"{p}!{ob_name}", "int64")  # type: ignore[arg-type]
    else:
        m = _NAME.search(p.name)
        if m is None or m["kind"] != "message":
            raise InputError(str(p), "expected a zip or <SYM>_<DATE>_<t0>_<t1>_message_<N>.csv")
        ob = p.with_name(p.name.replace("_message_", "_orderbook_"))
        if not ob.exists():
            raise InputError(str(p), f"orderbook file {ob.name} not found beside it")
        levels = int(m["lvl"])
        messages = _read_csv(p, _MSG_COLS, str(p), "float64")
        book = _read_csv(ob, 4 * levels, str(ob), "int64")
    if messages.shape[0] != book.shape[0]:
        raise InputError(str(p), f"{messages.shape[0]} messages but {book.shape[0]} orderbook rows")
    return LobsterFiles(
        symbol=symbol or m["sym"],
        trading_date=trading_date or date.fromisoformat(m["date"]),
        levels=levels,
        messages=messages.astype(np.float64, copy=False),
        book=book.astype(np.int64, copy=False),
    )


def _utc_ns(files: LobsterFiles, tz: str) -> npt.NDArray[np.int64]:
    zone = ZoneInfo(tz)
    noon = datetime.combine(files.trading_date, time(12), tzinfo=zone)
    offset = noon.utcoffset()
    assert offset is not None
    midnight_utc = datetime.combine(files.trading_date, time(0), tzinfo=UTC) - offset
    base_ns = int(midnight_utc.timestamp()) * 1_000_000_000
    secs = files.messages[:, 0]
    return base_ns + np.rint(secs * 1e9).astype(np.int64)


def _halts(files: LobsterFiles, ts_ns: npt.NDArray[np.int64]) -> tuple[TradingHalt, ...]:
    kinds = {-1: "halt", 0: "quoting", 1: "resume"}
    rows = np.nonzero(files.messages[:, 1] == 7)[0]
    return tuple(
        TradingHalt(int(ts_ns[i]), kinds.get(int(files.messages[i, 4]), "halt")) for i in rows
    )


def read_lobster_halts(
    path: str | Path, *, trading_date: date | None = None, tz: str = "America/New_York"
) -> tuple[TradingHalt, ...]:
    """The type-7 (trading halt / resume) rows of a LOBSTER file, in time order."""
    files = load_lobster_files(path, trading_date=trading_date)
    return _halts(files, _utc_ns(files, tz))


def lobster_market(files: LobsterFiles, *, tz: str = "America/New_York") -> RecordedMarket:
    """Convert loaded LOBSTER arrays into book frames and trades."""
    ts_ns = _utc_ns(files, tz)
    ob = files.book
    ask_px = ob[:, 0::4].copy()
    ask_qty = ob[:, 1::4].copy()
    bid_px = ob[:, 2::4].copy()
    bid_qty = ob[:, 3::4].copy()
    ask_empty = (ask_px == _EMPTY_ASK) | (ask_qty == 0)
    bid_empty = (bid_px == _EMPTY_BID) | (bid_qty == 0)
    for px, qty, empty in ((ask_px, ask_qty, ask_empty), (bid_px, bid_qty, bid_empty)):
        px[empty] = 0
        qty[empty] = 0
    msg = files.messages
    mtype = msg[:, 1].astype(np.int64)
    is_trade = (mtype == 4) | (mtype == 5)
    tr_px = np.rint(msg[is_trade, 4]).astype(np.int64)
    on_cent = not np.any(ask_px % 100) and not np.any(bid_px % 100) and not np.any(tr_px % 100)
    if on_cent:
        tick, div = Decimal("0.01"), 100
    else:
        tick, div = Decimal("0.0001"), 1
    book = BookFrames(
        symbol=files.symbol,
        tick=tick,
        lot=Decimal(1),
        ts_ns=ts_ns,
        bid_px=bid_px // div,
        bid_qty=bid_qty,
        ask_px=ask_px // div,
        ask_qty=ask_qty,
    )
    trades = Trades(
        symbol=files.symbol,
        tick=tick,
        lot=Decimal(1),
        ts_ns=ts_ns[is_trade],
        px=tr_px // div,
        qty=np.rint(msg[is_trade, 3]).astype(np.int64),
        side=(-np.rint(msg[is_trade, 5])).astype(np.int8),
    )
    return RecordedMarket(book=book, trades=trades, gaps=())


def read_lobster(
    path: str | Path,
    *,
    symbol: str | None = None,
    trading_date: date | None = None,
    tz: str = "America/New_York",
) -> RecordedMarket:
    """Read a LOBSTER zip or message CSV into a RecordedMarket (one frame per message).

    Halts (type 7) stay in the frames; get them with `read_lobster_halts`.
    """
    files = load_lobster_files(path, symbol=symbol, trading_date=trading_date)
    return lobster_market(files, tz=tz)
