"""A faster exact loader for top-of-book quote rows (the month query's hot path).

`load_top_quotes(con, symbol, start_ns, end_ns)` returns the same `QuoteArrays` as
`EventStore.load_quotes(symbol=..., start_ns=..., end_ns=...)` (same rows, order
by ts, file, line, scales and values; tested for equality) when the symbol's rows in range carry no
levels beyond the best; otherwise it returns None and the caller uses the store's
loader. The store keeps prices and sizes as DECIMAL(38,18); converting them to
BIGINT inside DuckDB (128-bit multiply per value) dominates a month query, so this
fetches the raw decimal128 words and divides in NumPy instead, exactly: a value with
at most `s` decimals is an exact multiple of 10**(18-s) = 2**k * 5**k (k = 18 - s),
so the quotient is the 128-bit value shifted right by k, times the inverse of 5**k
modulo 2**64 (exact division by an odd number), which is exact whenever the
quotient fits in int64. The store guarantees the divisibility (the scale is the
largest of the ingested files' own scales). Does not load market, states or fills.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mmsla.io.tables import QuoteArrays

STORE_SCALE = 18  # DECIMAL(38,18)
I64 = npt.NDArray[np.int64]

_COLUMNS = (
    "ts, file_id, line, bid_px, bid_qty, ask_px, ask_qty, "
    "coalesce(lower(event) = 'fill', false) AS is_fill, "
    "coalesce(len(bid_levels), 0) + coalesce(len(ask_levels), 0) AS deeper"
)
# rows in [start, end), and every row at the last instant before start (the row in force);
# unordered: sorting in NumPy only when needed is much cheaper than ORDER BY in the scan
_IN_RANGE = f"SELECT {_COLUMNS} FROM quotes WHERE symbol = $symbol AND ts >= $start AND ts < $end"
_CARRIED = (
    f"SELECT {_COLUMNS} FROM quotes WHERE symbol = $symbol AND ts < $end AND ts = "
    "(SELECT max(ts) FROM quotes p WHERE p.symbol = $symbol AND p.ts < $start)"
)


def decimal_units(col: pa.ChunkedArray | pa.Array, scale: int) -> tuple[I64, npt.NDArray[np.bool_]]:
    """A decimal128(38,18) column as exact int64 units of 10**-scale (nulls: 0, False)."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    n = len(arr)
    present = np.ones(n, bool) if arr.null_count == 0 else np.asarray(pc.is_valid(arr), bool)
    if n == 0:
        return np.zeros(0, np.int64), present
    words = np.frombuffer(arr.buffers()[1], dtype=np.uint64)[2 * arr.offset : 2 * (arr.offset + n)]
    lo, hi = words[0::2], words[1::2]
    k = STORE_SCALE - scale
    if k == 0:
        out = lo.view(np.int64).copy()
    else:
        shifted = (lo >> np.uint64(k)) | (hi << np.uint64(64 - k))
        inverse = np.uint64(pow(5**k, -1, 2**64))
        with np.errstate(over="ignore"):
            out = (shifted * inverse).view(np.int64)
    if not present.all():
        out = np.where(present, out, 0)
    return out, present


def _scales(con: duckdb.DuckDBPyConnection, file_ids: npt.NDArray[np.int32]) -> tuple[int, int]:
    """(px, qty) scale: the largest of the quote files the rows come from (as the store does)."""
    ids = [int(i) for i in np.unique(file_ids)]
    rows = con.execute(
        "SELECT max(px_scale), max(qty_scale) FROM ingested_files "
        "WHERE list_contains($ids, file_id) AND kind LIKE 'quotes'",
        {"ids": ids},
    ).fetchall()
    px, qty = rows[0]
    return int(px or 0), int(qty or 0)


def _time_order(tbl: pa.Table) -> pa.Table:
    """Rows by (ts, file_id, line), the store loader's order; a no-op when already so."""
    ts = np.asarray(tbl.column("ts"), dtype=np.int64)
    fid = np.asarray(tbl.column("file_id"), dtype=np.int64)
    line = np.asarray(tbl.column("line"), dtype=np.int64)
    d_ts, d_fid, d_line = np.diff(ts), np.diff(fid), np.diff(line)
    ordered = (d_ts > 0) | ((d_ts == 0) & ((d_fid > 0) | ((d_fid == 0) & (d_line > 0))))
    if bool(ordered.all()):
        return tbl
    return tbl.take(pa.array(np.lexsort((line, fid, ts))))


def load_top_quotes(
    con: duckdb.DuckDBPyConnection, symbol: str, start_ns: int, end_ns: int
) -> dict[str, QuoteArrays] | None:
    """`{symbol: QuoteArrays}` ({} when no rows), or None when some row has deeper levels."""
    params: dict[str, Any] = {"symbol": symbol, "start": start_ns, "end": end_ns}
    carried = con.sql(_CARRIED, params=params).to_arrow_table()
    in_range = con.sql(_IN_RANGE, params=params).to_arrow_table()
    tbl = pa.concat_tables([carried, in_range])
    if tbl.num_rows == 0:
        return {}
    if pc.max(tbl.column("deeper")).as_py():
        return None
    tbl = _time_order(tbl)
    px_s, qty_s = _scales(con, np.asarray(tbl.column("file_id")))
    cols = {
        name: decimal_units(tbl.column(name), px_s if name.endswith("px") else qty_s)[0][:, None]
        for name in ("bid_px", "bid_qty", "ask_px", "ask_qty")
    }
    return {
        symbol: QuoteArrays(
            symbol=symbol,
            ts_ns=np.asarray(tbl.column("ts"), dtype=np.int64),
            bid_px=cols["bid_px"],
            bid_qty=cols["bid_qty"],
            ask_px=cols["ask_px"],
            ask_qty=cols["ask_qty"],
            is_fill=np.asarray(tbl.column("is_fill"), dtype=bool),
            px_scale=px_s,
            qty_scale=qty_s,
        )
    }
