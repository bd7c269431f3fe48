"""Read end-of-day option chain CSVs (optopsy/SPXW layout) into arrays per date and expiry.

Expected columns (header row; a UTF-8 BOM and stray spaces around names are
tolerated): `quotedate`, `expiration` (MM/DD/YYYY), `type` (call|put), `strike`,
`bid`, `ask`, `underlying_last`, and optionally the vendor's `impliedvol`.
Only reads and validates: pricing and analysis live in `quoter.pricing.chain`.
Time to expiry is calendar days / 365 between quote date and expiration.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from mmsla.errors import InputError

REQUIRED = ("quotedate", "expiration", "type", "strike", "bid", "ask", "underlying_last")


@dataclass(frozen=True)
class ChainSlice:
    """All options of one quote date and one expiry."""

    quote_date: str  # ISO YYYY-MM-DD
    expiry: str  # ISO YYYY-MM-DD
    t_y: float
    underlying: float
    strike: npt.NDArray[np.float64]
    is_call: npt.NDArray[np.bool_]
    bid: npt.NDArray[np.float64]
    ask: npt.NDArray[np.float64]
    vendor_iv: npt.NDArray[np.float64] | None

    def __len__(self) -> int:
        return int(self.strike.shape[0])


def read_chain(path: str | Path) -> list[ChainSlice]:
    """Every (quote date, expiry) slice of the file, in date then expiry order."""
    p = Path(path)
    try:
        df = pd.read_csv(p, encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(str(p), "no such file") from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise InputError(str(p), f"not a readable CSV: {str(e).splitlines()[0]}") from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise InputError(str(p), f"missing column(s): {', '.join(missing)}")
    kind = df["type"].astype(str).str.strip().str.lower()
    bad = ~kind.isin(["call", "put"])
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise InputError(
            str(p),
            f"type must be call or put, got {df['type'].iloc[i]!r}",
            line=i + 2,
            column="type",
        )
    dates = {}
    for col in ("quotedate", "expiration"):
        parsed = pd.to_datetime(df[col], format="%m/%d/%Y", errors="coerce")
        if parsed.isna().any():
            i = int(np.argmax(parsed.isna().to_numpy()))
            raise InputError(
                str(p), f"bad date {df[col].iloc[i]!r} (want MM/DD/YYYY)", line=i + 2, column=col
            )
        dates[col] = parsed
    for col in (
        "strike",
        "bid",
        "ask",
        "underlying_last",
        *(["impliedvol"] if "impliedvol" in df else []),
    ):
        num = pd.to_numeric(df[col], errors="coerce")
        if num.isna().any():
            i = int(np.argmax(num.isna().to_numpy()))
            raise InputError(str(p), f"not a number: {df[col].iloc[i]!r}", line=i + 2, column=col)
        df[col] = num.astype(np.float64)
    df["_q"] = dates["quotedate"]
    df["_e"] = dates["expiration"]
    df["_call"] = kind == "call"
    out: list[ChainSlice] = []
    for (qd, ed), g in df.groupby(["_q", "_e"], sort=True):
        out.append(
            ChainSlice(
                quote_date=qd.strftime("%Y-%m-%d"),
                expiry=ed.strftime("%Y-%m-%d"),
                t_y=(ed - qd).days / 365.0,
                underlying=float(g["underlying_last"].iloc[0]),
                strike=g["strike"].to_numpy(np.float64),
                is_call=g["_call"].to_numpy(bool),
                bid=g["bid"].to_numpy(np.float64),
                ask=g["ask"].to_numpy(np.float64),
                vendor_iv=g["impliedvol"].to_numpy(np.float64) if "impliedvol" in g else None,
            )
        )
    return out
