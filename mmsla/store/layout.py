"""Turn one input file (quote log, market reference, states, fills) into the store's row layout.

Parsing is `mmsla.io.columns` (the same cell rules, exact decimals and
file:line:column errors as `mmsla check` reads); the mapping of columns to
meaning mirrors `mmsla.io.tables` (a quote level is present when its price is
given and its size > 0; sizes must not be negative; side buy|sell; states via
`read_states` itself). The result is an Arrow table with the store's column
names and DECIMAL(38,18) values, plus the file's time range and decimal scales.

The same mapping also runs on columns already in memory (`*_from_raw`, used by
`EventStore.append`), so rows handed over as columns are stored exactly as the
same rows read from a file would be.

Does not: touch the database (see `mmsla.store.event_store`), sort (the insert does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mmsla.errors import InputError
from mmsla.io.columns import (
    I64,
    Bools,
    RawTable,
    decimal_column,
    read_raw,
    rescale,
    text_column,
    timestamp_column,
)
from mmsla.io.tables import STATES, read_states
from mmsla.store.decimals import STORE_TYPE, to_decimal

KINDS = ("quotes", "market", "states", "fills")
_LEVEL = re.compile(r"^(bid|ask)_(px|qty)_([0-9]+)$")
_LEVEL_TYPE = pa.struct([("px", STORE_TYPE), ("qty", STORE_TYPE)])


@dataclass(frozen=True)
class Parsed:
    """One file in store layout: `table` columns match the target table (minus file_id)."""

    kind: str
    table: pa.Table
    ts_min: int | None
    ts_max: int | None
    px_scale: int | None
    qty_scale: int | None
    in_order: bool = False  # rows already sorted by the insert order (one symbol, ts ascending)

    @property
    def rows(self) -> int:
        return int(self.table.num_rows)


def _fail_row(raw: RawTable, mask: Bools, column: str, message: str) -> None:
    row = int(np.flatnonzero(mask)[0])
    raise InputError(raw.path, message, line=raw.line(row), column=column)


def _symbols(raw: RawTable) -> pa.Array:
    symbols = text_column(raw, "symbol")
    if symbols.null_count:
        _fail_row(raw, ~np.asarray(pc.is_valid(symbols), dtype=bool), "symbol", "missing symbol")
    return symbols


def _common(
    raw: RawTable, parsed: dict[str, tuple[I64, Bools, int]], what: str
) -> tuple[dict[str, I64], int]:
    scale = max((s for _, _, s in parsed.values()), default=0)
    out = {}
    for name, (values, _, s) in parsed.items():
        try:
            out[name] = rescale(values, s, scale, what=what)
        except InputError as e:
            raise InputError(raw.path, e.message, column=name) from e
    return out, scale


def _nonnegative(raw: RawTable, name: str, values: I64) -> None:
    if values.size and bool((values < 0).any()):
        _fail_row(raw, values < 0, name, "must not be negative")


def _lines(raw: RawTable) -> pa.Array:
    return pa.array(raw.lines, type=pa.int64())


def _in_order(symbols: pa.Array, ts: I64) -> bool:
    """One symbol and non-decreasing ts: the store can append without sorting."""
    if ts.size < 2:
        return True
    return bool(pc.count_distinct(symbols).as_py() == 1) and bool((ts[1:] >= ts[:-1]).all())


def _range(ts: I64) -> tuple[int | None, int | None]:
    if ts.size == 0:
        return None, None
    return int(ts.min()), int(ts.max())


def _levels_list(px: I64, qty: I64, present: Bools, px_scale: int, qty_scale: int) -> pa.Array:
    """Rows of (n, k) level arrays -> list<struct<px, qty>> of the present levels, in order."""
    n, k = px.shape
    if k == 0:
        return pa.nulls(n, pa.list_(_LEVEL_TYPE))
    counts = present.sum(axis=1)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    flat = present.reshape(-1)
    values = pa.StructArray.from_arrays(
        [
            to_decimal(np.ascontiguousarray(px.reshape(-1)[flat]), px_scale),
            to_decimal(np.ascontiguousarray(qty.reshape(-1)[flat]), qty_scale),
        ],
        fields=list(_LEVEL_TYPE),
    )
    lists = pa.ListArray.from_arrays(pa.array(offsets), values)
    if bool((counts == 0).any()):
        lists = pc.if_else(pa.array(counts > 0), lists, pa.nulls(n, lists.type))
    return lists


QUOTE_COLUMNS = ("ts", "symbol", "bid_px", "bid_qty", "ask_px", "ask_qty")
MARKET_COLUMNS = ("ts", "symbol", "bid_px", "ask_px")
FILL_COLUMNS = ("ts", "symbol", "side", "px", "qty")


def parse_quotes(path: str | Path) -> Parsed:
    """Quote log `ts,symbol,bid_px,bid_qty,ask_px,ask_qty[,bid_px_2,...][,event]`."""
    return quotes_from_raw(read_raw(path, QUOTE_COLUMNS))


def quotes_from_raw(raw: RawTable) -> Parsed:
    """`parse_quotes` on columns already in memory (the file layout's column names)."""
    n = len(raw)
    ts = timestamp_column(raw, "ts")
    symbols = _symbols(raw)
    levels = 1
    for name in raw.columns:
        m = _LEVEL.match(name)
        if m:
            levels = max(levels, int(m.group(3)))
    px_in: dict[str, tuple[I64, Bools, int]] = {}
    qty_in: dict[str, tuple[I64, Bools, int]] = {}
    for side in ("bid", "ask"):
        for lvl in range(1, levels + 1):
            sfx = "" if lvl == 1 else f"_{lvl}"
            for kind, into in (("px", px_in), ("qty", qty_in)):
                name = f"{side}_{kind}{sfx}"
                if raw.has(name):
                    into[name] = decimal_column(raw, name)
                else:
                    into[name] = (np.zeros(n, np.int64), np.zeros(n, bool), 0)
    px, px_scale = _common(raw, px_in, "price")
    qty, qty_scale = _common(raw, qty_in, "size")
    for name, values in qty.items():
        _nonnegative(raw, name, values)
    cols: dict[str, pa.Array] = {"ts": pa.array(ts, type=pa.int64()), "symbol": symbols}
    deep: dict[str, pa.Array] = {}
    for side in ("bid", "ask"):
        pxs, qtys, oks = [], [], []
        for lvl in range(1, levels + 1):
            sfx = "" if lvl == 1 else f"_{lvl}"
            p, q = px[f"{side}_px{sfx}"], qty[f"{side}_qty{sfx}"]
            ok = px_in[f"{side}_px{sfx}"][1] & (q > 0)
            pxs.append(np.where(ok, p, 0))
            qtys.append(np.where(ok, q, 0))
            oks.append(ok)
        cols[f"{side}_px"] = to_decimal(pxs[0], px_scale, oks[0])
        cols[f"{side}_qty"] = to_decimal(qtys[0], qty_scale, oks[0])
        deep[f"{side}_levels"] = _levels_list(
            np.stack(pxs[1:], axis=1) if levels > 1 else np.zeros((n, 0), np.int64),
            np.stack(qtys[1:], axis=1) if levels > 1 else np.zeros((n, 0), np.int64),
            np.stack(oks[1:], axis=1) if levels > 1 else np.zeros((n, 0), bool),
            px_scale,
            qty_scale,
        )
    cols.update(deep)
    cols["event"] = text_column(raw, "event") if raw.has("event") else pa.nulls(n, pa.string())
    cols["line"] = _lines(raw)
    lo, hi = _range(ts)
    return Parsed("quotes", pa.table(cols), lo, hi, px_scale, qty_scale, _in_order(symbols, ts))


def parse_market(path: str | Path) -> Parsed:
    """Market reference `ts,symbol,bid_px,ask_px[,bid_qty,ask_qty]`."""
    return market_from_raw(read_raw(path, MARKET_COLUMNS))


def market_from_raw(raw: RawTable) -> Parsed:
    """`parse_market` on columns already in memory."""
    n = len(raw)
    ts = timestamp_column(raw, "ts")
    symbols = _symbols(raw)
    px_in = {c: decimal_column(raw, c) for c in ("bid_px", "ask_px")}
    qty_in = {
        c: decimal_column(raw, c) if raw.has(c) else (np.zeros(n, np.int64), np.zeros(n, bool), 0)
        for c in ("bid_qty", "ask_qty")
    }
    px, px_scale = _common(raw, px_in, "price")
    qty, qty_scale = _common(raw, qty_in, "size")
    for name, values in qty.items():
        _nonnegative(raw, name, values)
    table = pa.table(
        {
            "ts": pa.array(ts, type=pa.int64()),
            "symbol": symbols,
            "bid_px": to_decimal(px["bid_px"], px_scale, px_in["bid_px"][1]),
            "ask_px": to_decimal(px["ask_px"], px_scale, px_in["ask_px"][1]),
            "bid_qty": to_decimal(qty["bid_qty"], qty_scale, qty_in["bid_qty"][1]),
            "ask_qty": to_decimal(qty["ask_qty"], qty_scale, qty_in["ask_qty"][1]),
            "line": _lines(raw),
        }
    )
    lo, hi = _range(ts)
    return Parsed("market", table, lo, hi, px_scale, qty_scale, _in_order(symbols, ts))


def parse_states(path: str | Path) -> Parsed:
    """Market states `start,end,symbol,state[,reason]` (validated by `read_states`)."""
    intervals = read_states(path)
    raw = read_raw(path, ("start", "end", "symbol", "state"))
    assert all(s.state in STATES for s in intervals)
    table = pa.table(
        {
            "ts_start": pa.array([s.start_ns for s in intervals], type=pa.int64()),
            "ts_end": pa.array([s.end_ns for s in intervals], type=pa.int64()),
            "symbol": pa.array([s.symbol for s in intervals], type=pa.string()),
            "state": pa.array([s.state for s in intervals], type=pa.string()),
            "reason": pa.array([s.reason for s in intervals], type=pa.string()),
            "line": _lines(raw),
        }
    )
    lo = min((s.start_ns for s in intervals), default=None)
    hi = max((s.end_ns for s in intervals), default=None)
    return Parsed("states", table, lo, hi, None, None)


def parse_fills(path: str | Path) -> Parsed:
    """Fills `ts,symbol,side,px,qty[,fee,liquidity,order_id,trade_id]`."""
    return fills_from_raw(read_raw(path, FILL_COLUMNS))


def fills_from_raw(raw: RawTable) -> Parsed:
    """`parse_fills` on columns already in memory."""
    n = len(raw)
    ts = timestamp_column(raw, "ts")
    symbols = _symbols(raw)
    sides = pc.utf8_lower(text_column(raw, "side"))
    ok = np.asarray(pc.fill_null(pc.is_in(sides, pa.array(["buy", "sell"])), False), dtype=bool)
    if not ok.all():
        _fail_row(raw, ~ok, "side", "side must be buy or sell")
    px_v, px_ok, px_s = decimal_column(raw, "px")
    qty_v, qty_ok, qty_s = decimal_column(raw, "qty")
    if not px_ok.all():
        _fail_row(raw, ~px_ok, "px", "missing price")
    if not qty_ok.all():
        _fail_row(raw, ~qty_ok, "qty", "missing size")
    _nonnegative(raw, "qty", qty_v)
    if raw.has("fee"):
        fee_v, fee_ok, fee_s = decimal_column(raw, "fee")
        fee = to_decimal(fee_v, fee_s, fee_ok)
    else:
        fee = pa.nulls(n, STORE_TYPE)

    def text(name: str) -> pa.Array:
        return text_column(raw, name) if raw.has(name) else pa.nulls(n, pa.string())

    liquidity = text("liquidity")
    if raw.has("liquidity"):
        liq = pc.utf8_lower(liquidity)
        good = np.asarray(
            pc.fill_null(pc.is_in(liq, pa.array(["maker", "taker"])), True), dtype=bool
        )
        if not good.all():
            _fail_row(raw, ~good, "liquidity", "liquidity must be maker or taker")
        liquidity = liq
    table = pa.table(
        {
            "ts": pa.array(ts, type=pa.int64()),
            "symbol": symbols,
            "side": sides,
            "px": to_decimal(px_v, px_s),
            "qty": to_decimal(qty_v, qty_s),
            "fee": fee,
            "liquidity": liquidity,
            "order_id": text("order_id"),
            "trade_id": text("trade_id"),
            "line": _lines(raw),
        }
    )
    lo, hi = _range(ts)
    return Parsed("fills", table, lo, hi, px_s, qty_s, _in_order(symbols, ts))


# in-memory columns (`EventStore.append`): kind -> (required columns, parser)
FROM_RAW = {
    "quotes": (QUOTE_COLUMNS, quotes_from_raw),
    "market": (MARKET_COLUMNS, market_from_raw),
    "fills": (FILL_COLUMNS, fills_from_raw),
}

PARSERS = {
    "quotes": parse_quotes,
    "market": parse_market,
    "states": parse_states,
    "fills": parse_fills,
}
