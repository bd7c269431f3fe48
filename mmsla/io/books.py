"""Public order-book formats: one entry point per format name, and the market-reference view.

`read_book(path, fmt)` dispatches to the LOBSTER, Binance or Tardis reader.
`market_reference(market)` turns a `RecordedMarket` into the DESIGN.md section 7
market reference table `ts, symbol, bid_px, ask_px, bid_qty, ask_qty` as a
pyarrow Table with exact `decimal128` columns (scale = the tick's / lot's
decimals); an empty best level is null. `top_levels(market)` gives the same for
every level (`level` 1 = best), long format.

Does not: write files (the store and `mmsla.io.tables` do), or resample.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mmsla.domain.book import RecordedMarket
from mmsla.errors import InputError

FORMATS = ("lobster", "binance", "tardis")


def read_book(
    paths: str | Path | Sequence[str | Path],
    fmt: str,
    *,
    symbol: str | None = None,
    tick: Decimal | None = None,
    lot: Decimal | None = None,
    depth: int = 20,
) -> RecordedMarket:
    """Read a public book in format `fmt` (lobster | binance | tardis)."""
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    if not items:
        raise InputError("<book>", "no book file given")
    if fmt == "lobster":
        from mmsla.io.lobster import read_lobster

        if len(items) != 1:
            raise InputError(str(items[0]), "lobster takes one zip or message file")
        return read_lobster(items[0], symbol=symbol)
    if fmt == "binance":
        from mmsla.io.binance import LOT, TICK, read_binance

        return read_binance(
            items, depth=depth, symbol=symbol or "BTCUSDT", tick=tick or TICK, lot=lot or LOT
        )
    if fmt == "tardis":
        from mmsla.io.tardis import read_tardis_book_snapshot

        if tick is None or lot is None:
            raise InputError(str(items[0]), "tardis needs the instrument's tick and lot sizes")
        if len(items) != 1:
            raise InputError(str(items[0]), "tardis takes one CSV file")
        return read_tardis_book_snapshot(items[0], tick=tick, lot=lot, symbol=symbol)
    raise InputError(str(items[0]), f"unknown book format {fmt!r} (expected one of {FORMATS})")


def _scale(step: Decimal) -> int:
    exp = step.normalize().as_tuple().exponent
    assert isinstance(exp, int)
    return max(0, -exp)


def decimal_column(units: npt.NDArray[np.int64], step: Decimal, *, null_zero: bool) -> pa.Array:
    """Exact decimal128 values `units * step`; zeros become null when `null_zero`."""
    scale = _scale(step)
    raw = pa.array(units, type=pa.int64()).cast(pa.decimal128(19, 0))
    step_type = pa.decimal128(max(len(step.normalize().as_tuple().digits), scale) + 1, scale)
    values = pc.multiply(raw, pa.scalar(step, step_type)).cast(pa.decimal128(38, scale))
    if null_zero:
        values = pc.if_else(pa.array(units == 0), pa.nulls(len(units), values.type), values)
    return values


def market_reference(market: RecordedMarket) -> pa.Table:
    """Best bid/offer after each frame: ts (int64 ns), symbol, bid_px, ask_px, bid_qty, ask_qty."""
    b = market.book
    n = len(b)
    return pa.table(
        {
            "ts": pa.array(b.ts_ns, type=pa.int64()),
            "symbol": pa.array([b.symbol] * n, type=pa.string()),
            "bid_px": decimal_column(b.bid_px[:, 0], b.tick, null_zero=True),
            "ask_px": decimal_column(b.ask_px[:, 0], b.tick, null_zero=True),
            "bid_qty": decimal_column(b.bid_qty[:, 0], b.lot, null_zero=True),
            "ask_qty": decimal_column(b.ask_qty[:, 0], b.lot, null_zero=True),
        }
    )


def top_levels(market: RecordedMarket) -> pa.Table:
    """All book levels in long format: ts, symbol, level (1 = best), bid/ask px and qty."""
    b = market.book
    n, depth = len(b), b.depth
    return pa.table(
        {
            "ts": pa.array(np.repeat(b.ts_ns, depth), type=pa.int64()),
            "symbol": pa.array([b.symbol] * (n * depth), type=pa.string()),
            "level": pa.array(np.tile(np.arange(1, depth + 1, dtype=np.int16), n)),
            "bid_px": decimal_column(b.bid_px.reshape(-1), b.tick, null_zero=True),
            "bid_qty": decimal_column(b.bid_qty.reshape(-1), b.lot, null_zero=True),
            "ask_px": decimal_column(b.ask_px.reshape(-1), b.tick, null_zero=True),
            "ask_qty": decimal_column(b.ask_qty.reshape(-1), b.lot, null_zero=True),
        }
    )
