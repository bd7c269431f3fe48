"""As-of look-ups in a mid/mark series, per symbol, vectorised with `searchsorted`.

`MidIndex.asof(symbol, ts)` is the last mid at or before each `ts` (strictly
before with `strict=True`), NaN where there is none or where `ts` lies past
`end_ns` (the end of the data: what the mid did after it is unknown).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["MidIndex"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


class MidIndex:
    """Per-symbol sorted mid arrays from a `mids_frame` frame."""

    def __init__(self, mids: pd.DataFrame, end_ns: int | None = None) -> None:
        self._ts: dict[str, I64] = {}
        self._mid: dict[str, F64] = {}
        for sym, grp in mids.groupby("symbol", sort=False):
            self._ts[str(sym)] = grp["ts"].to_numpy(dtype=np.int64)
            self._mid[str(sym)] = grp["mid"].to_numpy(dtype=np.float64)
        ends = [int(t[-1]) for t in self._ts.values() if len(t)]
        self.end_ns = end_ns if end_ns is not None else (max(ends) if ends else None)

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self._ts)

    def asof(self, symbol: str, ts: I64, *, strict: bool = False) -> F64:
        """Mid at or before (strictly before if `strict`) each of `ts`; NaN when unknown."""
        out = np.full(ts.shape, np.nan)
        t = self._ts.get(symbol)
        if t is None or len(t) == 0:
            return out
        idx = np.searchsorted(t, ts, side="left" if strict else "right") - 1
        ok = idx >= 0
        if self.end_ns is not None:
            ok &= ts <= self.end_ns
        out[ok] = self._mid[symbol][idx[ok]]
        return out

    def times(self, symbol: str) -> I64:
        return self._ts.get(symbol, np.empty(0, dtype=np.int64))
