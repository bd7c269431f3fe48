"""Normalise fills and mid/mark series into sorted pandas frames; nothing is computed here.

Fills (DESIGN.md section 7 columns): `ts` (int ns), `symbol`, `side`
(`buy`/`sell`), `px`, `qty`, optional `fee` (positive paid, negative rebate) and
`liquidity` (`maker`/`taker`). Accepted as a DataFrame or as `mmsla.domain.Fill`
objects. The frame keeps exact `Decimal` columns (`px`, `qty`, `fee`) beside
float copies for vectorised statistics (`px_f`, `qty_f`) and the side as
`sign` (+1 buy, -1 sell). Rows are stably sorted by time.

Mids: `ts`, `symbol` and either `mid` or `bid_px` and `ask_px` (mid = their
mean), as floats, sorted by symbol then time.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from mmsla.domain import Fill
from mmsla.errors import InputError

__all__ = ["fills_frame", "mids_frame", "to_decimal"]

_FILLS = "<fills>"
_MIDS = "<mids>"


def to_decimal(value: object, what: str, where: str = _FILLS) -> Decimal:
    """Exact Decimal of a cell (Decimal, int, str, or float via its shortest repr)."""
    if isinstance(value, Decimal):
        return value
    try:
        d = Decimal(str(value)) if not isinstance(value, int) else Decimal(value)
    except InvalidOperation:
        raise InputError(where, f"{what}: {value!r} is not a number") from None
    if not d.is_finite():
        raise InputError(where, f"{what}: {value!r} is not a finite number")
    return d


def _require(df: pd.DataFrame, cols: tuple[str, ...], where: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(where, f"missing column(s): {', '.join(missing)}")


def fills_frame(fills: pd.DataFrame | Iterable[Fill]) -> pd.DataFrame:
    """Fills as a time-sorted frame with exact and float columns (see the module docstring)."""
    if not isinstance(fills, pd.DataFrame):
        rows = [(f.ts_ns, f.symbol, f.side.value, f.px, f.qty, f.fee, f.liquidity) for f in fills]
        fills = pd.DataFrame(
            rows, columns=["ts", "symbol", "side", "px", "qty", "fee", "liquidity"]
        )
    _require(fills, ("ts", "symbol", "side", "px", "qty"), _FILLS)
    n = len(fills)
    side = fills["side"].astype(str).str.lower()
    bad = ~side.isin(["buy", "sell"])
    if bad.any():
        raise InputError(_FILLS, f"side must be buy or sell, got {fills['side'][bad].iloc[0]!r}")
    px = [to_decimal(v, "px") for v in fills["px"].tolist()]
    qty = [to_decimal(v, "qty") for v in fills["qty"].tolist()]
    if any(q <= 0 for q in qty):
        raise InputError(_FILLS, "qty must be positive")
    if any(p <= 0 for p in px):
        raise InputError(_FILLS, "px must be positive")
    fee_src = fills["fee"].tolist() if "fee" in fills.columns else [0] * n
    fee = [Decimal(0) if _is_null(v) else to_decimal(v, "fee") for v in fee_src]
    liq = fills["liquidity"] if "liquidity" in fills.columns else pd.Series([None] * n)
    try:
        ts = np.asarray(fills["ts"], dtype=np.int64)
    except (TypeError, ValueError):
        raise InputError(_FILLS, "ts must be integer nanoseconds") from None
    out = pd.DataFrame(
        {
            "ts": ts,
            "symbol": fills["symbol"].astype(str).to_numpy(),
            "sign": np.where(side.to_numpy() == "buy", 1, -1).astype(np.int8),
            "px": pd.Series(px, dtype=object).to_numpy(),
            "qty": pd.Series(qty, dtype=object).to_numpy(),
            "fee": pd.Series(fee, dtype=object).to_numpy(),
            "liquidity": pd.Series(liq).to_numpy(dtype=object),
        }
    )
    out["px_f"] = out["px"].to_numpy().astype(np.float64)
    out["qty_f"] = out["qty"].to_numpy().astype(np.float64)
    out["fee_f"] = out["fee"].to_numpy().astype(np.float64)
    return out.sort_values("ts", kind="stable").reset_index(drop=True)


def _is_null(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def mids_frame(mids: pd.DataFrame) -> pd.DataFrame:
    """Mid series `ts, symbol, mid` (float), sorted by symbol then time."""
    _require(mids, ("ts", "symbol"), _MIDS)
    if "mid" in mids.columns:
        mid = mids["mid"].astype(np.float64).to_numpy()
    elif "bid_px" in mids.columns and "ask_px" in mids.columns:
        bid = mids["bid_px"].astype(np.float64).to_numpy()
        ask = mids["ask_px"].astype(np.float64).to_numpy()
        mid = (bid + ask) / 2.0
    else:
        raise InputError(_MIDS, "need a mid column, or bid_px and ask_px")
    out = pd.DataFrame(
        {
            "ts": np.asarray(mids["ts"], dtype=np.int64),
            "symbol": mids["symbol"].astype(str).to_numpy(),
            "mid": mid,
        }
    )
    out = out[np.isfinite(out["mid"].to_numpy())]
    return out.sort_values(["symbol", "ts"], kind="stable").reset_index(drop=True)
