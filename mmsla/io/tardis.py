"""Tardis.dev `book_snapshot_N` CSV reader -> RecordedMarket (book frames, no trades).

Layout (tardis.dev downloadable CSV datasets): header row
`exchange,symbol,timestamp,local_timestamp,asks[0].price,asks[0].amount,
bids[0].price,bids[0].amount,asks[1].price,...` up to level N-1; timestamps are
microseconds since the epoch (UTC); a missing level is an empty field. Plain or
gzip-compressed (`.csv.gz`).

Prices and amounts are parsed by DuckDB as DECIMAL (exact, vectorised) and
converted to integer ticks of `tick` / lots of `lot`; a value off that grid is
an `InputError` naming the line and column. Frame time is `timestamp` (the
exchange time Tardis reports) unless `local_time=True` (receive time).

Does not: read other Tardis data types (incremental_book_L2, trades, quotes),
or choose tick/lot sizes itself (they are per instrument: the caller passes them).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np

from mmsla.domain.book import BookFrames, RecordedMarket, Trades
from mmsla.errors import InputError

_LEVEL = re.compile(r"^(asks|bids)\[(\d+)\]\.(price|amount)$")


def _grid(step: Decimal) -> tuple[int, int]:
    """(k, m) with step == m * 10**-k, m an integer >= 1."""
    if step <= 0:
        raise ValueError(f"step must be positive, got {step}")
    exp = step.normalize().as_tuple().exponent
    assert isinstance(exp, int)
    k = max(0, -exp)
    m = step.scaleb(k)
    if m != m.to_integral_value():
        raise ValueError(f"bad step {step}")
    return k, int(m)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_tardis_book_snapshot(
    path: str | Path,
    *,
    tick: Decimal,
    lot: Decimal,
    symbol: str | None = None,
    local_time: bool = False,
) -> RecordedMarket:
    """Read a Tardis `book_snapshot_N` CSV; one frame per row, best level first."""
    p = Path(path)
    if not p.exists():
        raise InputError(str(p), "no such file")
    con = duckdb.connect()
    try:
        try:
            rel = con.read_csv(str(p), header=True, all_varchar=True)
        except duckdb.Error as e:
            raise InputError(str(p), f"not a readable CSV: {e}") from e
        cols = rel.columns
        for need in ("symbol", "timestamp", "local_timestamp"):
            if need not in cols:
                raise InputError(
                    str(p), f"missing column {need!r} (not a Tardis book_snapshot CSV)"
                )
        levels: dict[tuple[str, str], dict[int, str]] = {}
        for c in cols:
            m = _LEVEL.match(c)
            if m:
                levels.setdefault((m[1], m[3]), {})[int(m[2])] = c
        depth = len(levels.get(("asks", "price"), {}))
        for key in (("asks", "price"), ("asks", "amount"), ("bids", "price"), ("bids", "amount")):
            if sorted(levels.get(key, {})) != list(range(depth)) or depth == 0:
                raise InputError(str(p), f"incomplete {key[0]}[i].{key[1]} columns")
        con.register("raw", rel)
        symbols = [r[0] for r in con.sql("SELECT DISTINCT symbol FROM raw ORDER BY 1").fetchall()]
        if symbol is None:
            if len(symbols) > 1:
                raise InputError(str(p), f"several symbols {symbols}: pass symbol=")
            symbol = symbols[0] if symbols else ""
        elif symbol not in symbols:
            raise InputError(str(p), f"symbol {symbol!r} not in the file (found {symbols})")
        tk, tm = _grid(tick)
        lk, lm = _grid(lot)
        exprs = []
        checks = []
        for side in ("bids", "asks"):
            for field, (k, mult) in (("price", (tk, tm)), ("amount", (lk, lm))):
                for i in range(depth):
                    c = levels[(side, field)][i]
                    scaled = (
                        f"(CAST(NULLIF(TRIM({_q(c)}), '') AS DECIMAL(38,12))"
                        f" * CAST({10**k} AS DECIMAL(18,0)))"
                    )
                    exprs.append(f"COALESCE(CAST({scaled} AS HUGEINT) // {mult}, 0)::BIGINT")
                    checks.append(
                        f"CASE WHEN {scaled} IS NOT NULL AND ({scaled} <> CAST({scaled} AS HUGEINT)"
                        f" OR CAST({scaled} AS HUGEINT) % {mult} <> 0) THEN {_lit(c)} END"
                    )
        ts_col = "local_timestamp" if local_time else "timestamp"
        try:
            con.execute(
                "CREATE TEMP TABLE t AS SELECT row_number() OVER () + 1 AS line, * FROM raw"
            )
            bad = con.sql(
                f"SELECT line, coalesce({', '.join(checks)}) AS col FROM t "
                f"WHERE symbol = $sym AND coalesce({', '.join(checks)}) IS NOT NULL "
                "ORDER BY line LIMIT 1",
                params={"sym": symbol},
            ).fetchall()
            if bad:
                line, col = bad[0]
                raise InputError(
                    str(p),
                    f"value not on the grid (tick {tick}, lot {lot})",
                    line=int(line),
                    column=str(col),
                )
            arr = con.sql(
                f"SELECT CAST({_q(ts_col)} AS BIGINT) * 1000, {', '.join(exprs)} FROM t "
                "WHERE symbol = $sym ORDER BY line",
                params={"sym": symbol},
            ).fetchnumpy()
        except duckdb.Error as e:
            raise InputError(str(p), f"bad value: {e}") from e
    finally:
        con.close()
    values = [np.asarray(v, dtype=np.int64) for v in arr.values()]
    ts_ns = values[0]
    blocks = [np.stack(values[1 + j * depth : 1 + (j + 1) * depth], axis=1) for j in range(4)]
    if len(ts_ns) == 0:
        blocks = [np.zeros((0, depth), dtype=np.int64) for _ in range(4)]
    bid_px, bid_qty, ask_px, ask_qty = blocks
    for px, qty in ((bid_px, bid_qty), (ask_px, ask_qty)):
        empty = (px == 0) | (qty == 0)
        px[empty] = 0
        qty[empty] = 0
    book = BookFrames(symbol, tick, lot, ts_ns, bid_px, bid_qty, ask_px, ask_qty)
    empty_i64 = np.zeros(0, dtype=np.int64)
    trades = Trades(symbol, tick, lot, empty_i64, empty_i64, empty_i64, np.zeros(0, dtype=np.int8))
    return RecordedMarket(book=book, trades=trades, gaps=())
