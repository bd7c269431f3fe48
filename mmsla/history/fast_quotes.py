"""A faster exact loader for top-of-book quote rows (the month query's hot path).

`load_top_quotes(con, symbol, start_ns, end_ns)` returns the same `QuoteArrays` as
`EventStore.load_quotes(symbol=..., start_ns=..., end_ns=...)` (same rows, order,
scales and values; tested for equality) when the symbol's rows in range carry no
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

_WHERE = (
    "symbol = $symbol AND ts < $end AND (ts >= $start OR ts = (SELECT max(ts) FROM quotes p "
    "WHERE p.symbol = $symbol AND p.ts < $start))"
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


def _scale(con: duckdb.DuckDBPyConnection, column: str, params: dict[str, Any]) -> int:
    rows = con.execute(
        f"SELECT max(f.{column}) FROM ingested_files f WHERE f.file_id IN "
        f"(SELECT DISTINCT file_id FROM quotes WHERE {_WHERE}) AND f.kind LIKE 'quotes'",
        params,
    ).fetchall()
    return int(rows[0][0]) if rows[0][0] is not None else 0


def load_top_quotes(
    con: duckdb.DuckDBPyConnection, symbol: str, start_ns: int, end_ns: int
) -> dict[str, QuoteArrays] | None:
    """`{symbol: QuoteArrays}` ({} when no rows), or None when some row has deeper levels."""
    params: dict[str, Any] = {"symbol": symbol, "start": start_ns, "end": end_ns}
    tbl = con.sql(
        "SELECT ts, bid_px, bid_qty, ask_px, ask_qty, "
        "coalesce(lower(event) = 'fill', false) AS is_fill, "
        "coalesce(len(bid_levels), 0) + coalesce(len(ask_levels), 0) AS deeper "
        f"FROM quotes WHERE {_WHERE} ORDER BY ts, file_id, line",
        params=params,
    ).to_arrow_table()
    if tbl.num_rows == 0:
        return {}
    if pc.max(tbl.column("deeper")).as_py():
        return None
    px_s, qty_s = _scale(con, "px_scale", params), _scale(con, "qty_scale", params)
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
