"""Readers for the four normative tabular inputs (DESIGN.md section 7).

Quote log, market reference, market states and fills, from CSV, JSON Lines or
Parquet. Prices and sizes come out as int64 scaled per table (`px_scale`,
`qty_scale`: value = ints / 10**scale), timestamps as UTC ns, rows grouped by
symbol and stable-sorted by time (one warning when a file was out of order).
Does not evaluate anything and does not resample.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mmsla.errors import InputError
from mmsla.io.columns import (
    I64,
    Bools,
    RawTable,
    decimal_column,
    dictionary_codes,
    read_raw,
    rescale,
    text_column,
    timestamp_column,
)

log = logging.getLogger("mmsla.io")
STATES = ("stressed", "exceptional", "halt", "auction")
_LEVEL = re.compile(r"^(bid|ask)_(px|qty)_([0-9]+)$")


@dataclass(frozen=True)
class QuoteArrays:
    """One symbol's quote log: row k is our whole resting quote from `ts_ns[k]`.

    Level arrays have shape (n, levels), best first; an absent level has px 0
    and qty 0 (a side is present when its best qty > 0). `is_fill` marks rows
    with `event = fill`.
    """

    symbol: str
    ts_ns: I64
    bid_px: I64
    bid_qty: I64
    ask_px: I64
    ask_qty: I64
    is_fill: Bools
    px_scale: int
    qty_scale: int

    def __len__(self) -> int:
        return int(self.ts_ns.shape[0])

    @property
    def levels(self) -> int:
        return int(self.bid_px.shape[1])

    def window(self, start_ns: int, end_ns: int) -> QuoteArrays:
        """The rows that matter for [start_ns, end_ns): from the one in force at
        `start_ns` to the last before `end_ns` (views, no copies)."""
        a, b = _rows_in_force(self.ts_ns, start_ns, end_ns)
        return QuoteArrays(
            self.symbol,
            self.ts_ns[a:b],
            self.bid_px[a:b],
            self.bid_qty[a:b],
            self.ask_px[a:b],
            self.ask_qty[a:b],
            self.is_fill[a:b],
            self.px_scale,
            self.qty_scale,
        )


@dataclass(frozen=True)
class MarketArrays:
    """One symbol's market best bid/offer from `ts_ns[k]`; `*_ok` marks a present side."""

    symbol: str
    ts_ns: I64
    bid_px: I64
    ask_px: I64
    bid_qty: I64
    ask_qty: I64
    bid_ok: Bools
    ask_ok: Bools
    px_scale: int
    qty_scale: int

    def __len__(self) -> int:
        return int(self.ts_ns.shape[0])

    def window(self, start_ns: int, end_ns: int) -> MarketArrays:
        """As `QuoteArrays.window`: the rows in force during [start_ns, end_ns)."""
        a, b = _rows_in_force(self.ts_ns, start_ns, end_ns)
        return MarketArrays(
            self.symbol,
            self.ts_ns[a:b],
            self.bid_px[a:b],
            self.ask_px[a:b],
            self.bid_qty[a:b],
            self.ask_qty[a:b],
            self.bid_ok[a:b],
            self.ask_ok[a:b],
            self.px_scale,
            self.qty_scale,
        )


def _rows_in_force(ts_ns: I64, start_ns: int, end_ns: int) -> tuple[int, int]:
    """Row range [a, b) of time-sorted `ts_ns` in force during [start_ns, end_ns)."""
    a = max(int(np.searchsorted(ts_ns, start_ns, side="right")) - 1, 0)
    return a, int(np.searchsorted(ts_ns, end_ns, side="left"))


@dataclass(frozen=True)
class StateInterval:
    """A market state over `[start_ns, end_ns)`; `symbol` None applies to every symbol."""

    start_ns: int
    end_ns: int
    symbol: str | None
    state: str
    reason: str | None = None


@dataclass(frozen=True)
class FillArrays:
    """One symbol's fills: side +1 buy / -1 sell, px and qty scaled."""

    symbol: str
    ts_ns: I64
    side: npt.NDArray[np.int8]
    px: I64
    qty: I64
    px_scale: int
    qty_scale: int


def _release_arrow_memory() -> None:
    """Hand memory Arrow freed back to the OS (its allocator keeps it otherwise)."""
    pa.default_memory_pool().release_unused()


def _level_columns(raw: RawTable) -> int:
    levels = 1
    for name in raw.columns:
        m = _LEVEL.match(name)
        if m:
            levels = max(levels, int(m.group(3)))
    return levels


def _group_order(
    raw: RawTable, symbols: pa.Array, ts: I64, kind: str
) -> tuple[list[str], list[npt.NDArray[np.intp] | slice]]:
    """Row indices per symbol, stable-sorted by time; one warning if any symbol was out of order."""
    if symbols.null_count:
        bad = ~np.asarray(pc.is_valid(symbols))
        row = int(np.flatnonzero(bad)[0])
        raise InputError(raw.path, "missing symbol", line=raw.line(row), column="symbol")
    names, codes = dictionary_codes(symbols)
    groups: list[npt.NDArray[np.intp] | slice] = []
    unsorted = False
    if len(names) == 1:
        if ts.size > 1 and bool((ts[1:] < ts[:-1]).any()):
            unsorted = True
            groups.append(np.argsort(ts, kind="stable"))
        else:
            groups.append(slice(None))  # one symbol in time order: no copy at all
    else:
        by_symbol = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[by_symbol], np.arange(len(names) + 1))
        for i in range(len(names)):
            idx = by_symbol[bounds[i] : bounds[i + 1]]
            t = ts[idx]
            if t.size > 1 and bool((t[1:] < t[:-1]).any()):
                unsorted = True
                idx = idx[np.argsort(t, kind="stable")]
            groups.append(idx)
    if unsorted:
        log.warning("%s: %s rows out of time order within a symbol; sorted by time", raw.path, kind)
    return [str(n) for n in names], groups


def _common_scale(
    parsed: dict[str, tuple[I64, Bools, int]], what: str, path: str
) -> tuple[dict[str, I64], int]:
    scale = max((s for _, _, s in parsed.values()), default=0)
    try:
        return {k: rescale(v, s, scale, what=what) for k, (v, _, s) in parsed.items()}, scale
    except InputError as e:
        raise InputError(path, e.message) from e


def _check_nonnegative(raw: RawTable, name: str, values: I64) -> None:
    neg = values < 0
    if neg.any():
        row = int(np.flatnonzero(neg)[0])
        raise InputError(raw.path, "must not be negative", line=raw.line(row), column=name)


def read_quote_log(path: str | Path) -> dict[str, QuoteArrays]:
    """Read a quote log: `ts,symbol,bid_px,bid_qty,ask_px,ask_qty[,bid_px_2,...][,event]`."""
    raw = read_raw(path, ("ts", "symbol", "bid_px", "bid_qty", "ask_px", "ask_qty"))
    levels = _level_columns(raw)
    n = len(raw)
    ts = timestamp_column(raw, "ts")
    # column-major (n, levels): each level contiguous, the best level a cheap view; every
    # column is parsed straight into its slot (one column in flight keeps memory low)
    out = {
        f"{side}_{kind}": np.zeros((n, levels), np.int64, order="F")
        for side in ("bid", "ask")
        for kind in ("px", "qty")
    }
    scales: dict[tuple[str, int], int] = {}
    px_present: dict[tuple[str, int], Bools] = {}
    for side in ("bid", "ask"):
        for lvl in range(1, levels + 1):
            suffix = "" if lvl == 1 else f"_{lvl}"
            for kind in ("px", "qty"):
                name = f"{side}_{kind}{suffix}"
                if not raw.has(name):
                    scales[(f"{side}_{kind}", lvl)] = 0
                    if kind == "px":
                        px_present[(side, lvl)] = np.zeros(n, bool)
                    continue
                values, present, scale = decimal_column(raw, name)
                if kind == "qty":
                    _check_nonnegative(raw, name, values)
                else:
                    px_present[(side, lvl)] = present
                out[f"{side}_{kind}"][:, lvl - 1] = values
                scales[(f"{side}_{kind}", lvl)] = scale
                del values
                _release_arrow_memory()
    px_scale = max(v for (k, _), v in scales.items() if k.endswith("_px"))
    qty_scale = max(v for (k, _), v in scales.items() if k.endswith("_qty"))
    for (key, lvl), scale in scales.items():
        target = px_scale if key.endswith("_px") else qty_scale
        if scale < target:
            try:
                out[key][:, lvl - 1] = rescale(out[key][:, lvl - 1], scale, target)
            except InputError as e:
                raise InputError(raw.path, e.message) from e
    for side in ("bid", "ask"):
        pxs, qtys = out[f"{side}_px"], out[f"{side}_qty"]
        for lvl in range(1, levels + 1):
            absent = ~px_present[(side, lvl)] | (qtys[:, lvl - 1] <= 0)
            if absent.any():
                pxs[absent, lvl - 1] = 0
                qtys[absent, lvl - 1] = 0
    if raw.has("event"):
        is_fill = np.asarray(
            pc.fill_null(pc.equal(pc.utf8_lower(text_column(raw, "event")), "fill"), False)
        )
    else:
        is_fill = np.zeros(n, dtype=bool)
    names, groups = _group_order(raw, text_column(raw, "symbol"), ts, "quote")
    _release_arrow_memory()
    return {
        sym: QuoteArrays(
            symbol=sym,
            ts_ns=ts[idx],
            bid_px=out["bid_px"][idx],
            bid_qty=out["bid_qty"][idx],
            ask_px=out["ask_px"][idx],
            ask_qty=out["ask_qty"][idx],
            is_fill=is_fill[idx],
            px_scale=px_scale,
            qty_scale=qty_scale,
        )
        for sym, idx in zip(names, groups, strict=True)
    }


def read_market(path: str | Path) -> dict[str, MarketArrays]:
    """Read a market reference: `ts,symbol,bid_px,ask_px[,bid_qty,ask_qty]`."""
    raw = read_raw(path, ("ts", "symbol", "bid_px", "ask_px"))
    n = len(raw)
    ts = timestamp_column(raw, "ts")
    pxp = {c: decimal_column(raw, c) for c in ("bid_px", "ask_px")}
    qtp = {
        c: decimal_column(raw, c) if raw.has(c) else (np.zeros(n, np.int64), np.ones(n, bool), 0)
        for c in ("bid_qty", "ask_qty")
    }
    px, px_scale = _common_scale(pxp, "price", raw.path)
    qty, qty_scale = _common_scale(qtp, "size", raw.path)
    names, groups = _group_order(raw, text_column(raw, "symbol"), ts, "market")
    _release_arrow_memory()
    return {
        sym: MarketArrays(
            symbol=sym,
            ts_ns=ts[idx],
            bid_px=px["bid_px"][idx],
            ask_px=px["ask_px"][idx],
            bid_qty=qty["bid_qty"][idx],
            ask_qty=qty["ask_qty"][idx],
            bid_ok=pxp["bid_px"][1][idx],
            ask_ok=pxp["ask_px"][1][idx],
            px_scale=px_scale,
            qty_scale=qty_scale,
        )
        for sym, idx in zip(names, groups, strict=True)
    }


def read_states(path: str | Path) -> list[StateInterval]:
    """Read market states: `start,end,symbol,state[,reason]`; empty symbol or `*` = all."""
    raw = read_raw(path, ("start", "end", "symbol", "state"))
    start = timestamp_column(raw, "start")
    end = timestamp_column(raw, "end")
    bad = end <= start
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(raw.path, "end must be after start", line=raw.line(row), column="end")
    states = text_column(raw, "state").to_pylist()
    symbols = text_column(raw, "symbol").to_pylist()
    reasons = text_column(raw, "reason").to_pylist() if raw.has("reason") else [None] * len(raw)
    out = []
    for i, state in enumerate(states):
        norm = (state or "").lower()
        if norm not in STATES:
            raise InputError(
                raw.path,
                f"unknown state {state!r}: use {'|'.join(STATES)}",
                line=raw.line(i),
                column="state",
            )
        sym = symbols[i]
        out.append(
            StateInterval(
                int(start[i]), int(end[i]), None if sym in (None, "*") else sym, norm, reasons[i]
            )
        )
    return out


def read_fills(path: str | Path) -> dict[str, FillArrays]:
    """Read fills: `ts,symbol,side,px,qty[,fee,liquidity,order_id,trade_id]`."""
    raw = read_raw(path, ("ts", "symbol", "side", "px", "qty"))
    ts = timestamp_column(raw, "ts")
    px, _, px_scale = decimal_column(raw, "px")
    qty, _, qty_scale = decimal_column(raw, "qty")
    if raw.has("fee"):
        decimal_column(raw, "fee")  # validated so a bad cell is reported; not used here
    sides = pc.utf8_lower(text_column(raw, "side"))
    buy = np.asarray(pc.fill_null(pc.equal(sides, "buy"), False))
    sell = np.asarray(pc.fill_null(pc.equal(sides, "sell"), False))
    if not (buy | sell).all():
        row = int(np.flatnonzero(~(buy | sell))[0])
        raise InputError(raw.path, "side must be buy or sell", line=raw.line(row), column="side")
    side = np.where(buy, 1, -1).astype(np.int8)
    names, groups = _group_order(raw, text_column(raw, "symbol"), ts, "fill")
    return {
        sym: FillArrays(sym, ts[idx], side[idx], px[idx], qty[idx], px_scale, qty_scale)
        for sym, idx in zip(names, groups, strict=True)
    }
