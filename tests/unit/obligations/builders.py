"""Small builders for obligation tests: agreements from dicts, quote/market arrays from decimals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import numpy as np

from mmsla.agreement import parse_agreement
from mmsla.domain.agreement import Agreement
from mmsla.io.tables import MarketArrays, QuoteArrays

NS = 1_000_000_000


def agreement(defaults: dict[str, Any], **top: Any) -> Agreement:
    """A UTC agreement with the given default terms (numbers as Decimal text for exactness)."""
    data: dict[str, Any] = {"id": "t", "version": 1, "timezone": "UTC", "defaults": defaults}
    data.update(top)
    return parse_agreement(_decimals(data))


def _decimals(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    return value


def ts(day: date, seconds: float) -> int:
    """UTC ns at `seconds` after midnight of `day`."""
    base = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    return base * NS + round(seconds * NS)


def scaled(value: str | Decimal | None, scale: int) -> int:
    return 0 if value is None else int(Decimal(value).scaleb(scale))


def quotes(
    symbol: str,
    rows: list[tuple[int, str | None, str | None, str | None, str | None]]
    | list[tuple[int, str | None, str | None, str | None, str | None, str]],
    *,
    px_scale: int = 4,
    qty_scale: int = 0,
) -> QuoteArrays:
    """Quote rows `(ts_ns, bid, bid_qty, ask, ask_qty[, event])`, one level; None = absent side."""
    n = len(rows)
    bid_px = np.zeros((n, 1), np.int64)
    bid_qty = np.zeros((n, 1), np.int64)
    ask_px = np.zeros((n, 1), np.int64)
    ask_qty = np.zeros((n, 1), np.int64)
    fill = np.zeros(n, bool)
    for i, row in enumerate(rows):
        if row[1] is not None and row[2] is not None:
            bid_px[i, 0], bid_qty[i, 0] = scaled(row[1], px_scale), scaled(row[2], qty_scale)
        if row[3] is not None and row[4] is not None:
            ask_px[i, 0], ask_qty[i, 0] = scaled(row[3], px_scale), scaled(row[4], qty_scale)
        fill[i] = len(row) > 5 and row[5] == "fill"  # type: ignore[misc]
    return QuoteArrays(
        symbol,
        np.asarray([r[0] for r in rows], np.int64),
        bid_px,
        bid_qty,
        ask_px,
        ask_qty,
        fill,
        px_scale,
        qty_scale,
    )


def market(
    symbol: str, rows: list[tuple[int, str | None, str | None]], *, px_scale: int = 4
) -> MarketArrays:
    """Market BBO rows `(ts_ns, bid, ask)`; None = absent side."""
    n = len(rows)
    return MarketArrays(
        symbol,
        np.asarray([r[0] for r in rows], np.int64),
        np.asarray([scaled(r[1], px_scale) for r in rows], np.int64),
        np.asarray([scaled(r[2], px_scale) for r in rows], np.int64),
        np.zeros(n, np.int64),
        np.zeros(n, np.int64),
        np.asarray([r[1] is not None for r in rows], bool),
        np.asarray([r[2] is not None for r in rows], bool),
        px_scale,
        0,
    )
