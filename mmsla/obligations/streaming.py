"""Streaming driver: feed one symbol's quote, market and state updates in micro-batches.

`StreamingEvaluator` keeps the rows of the current trading day (plus the row in
force at its start), answers "valid now, and why not" with the same
`validity_mask`, and evaluates the day so far or the finished day with the same
`timeline.build_segments` + `day.evaluate_day` as the batch driver, so a day
gives the identical `DayResult` through both drivers.

Cost: `status`/`day_so_far` re-evaluate the buffered day (O(rows in the day),
vectorised); only `valid_now` is O(1). Rows must arrive in time order per stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from mmsla.domain.agreement import Agreement
from mmsla.domain.reasons import Reason, reasons_from_mask
from mmsla.io.tables import MarketArrays, QuoteArrays, StateInterval
from mmsla.obligations.calendar import DayFrame, day_frame, sample_times
from mmsla.obligations.day import evaluate_day
from mmsla.obligations.result import DayResult
from mmsla.obligations.timeline import (
    build_segments,
    eligible_intervals,
    segment_mask,
    state_intervals,
)

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Status:
    """The quote at an instant: valid or not, why not, whether the instant is obligation
    time (`eligible`: in the window, not excluded by clock or state), and presence so far."""

    ts_ns: int
    valid: bool
    reasons: tuple[Reason, ...]
    stressed: bool
    eligible: bool
    presence_pct: float | None


def _cat(parts: list[I64], width: int | None = None) -> I64:
    if not parts:
        return np.zeros((0, width) if width else 0, np.int64)
    return np.concatenate(parts)


class StreamingEvaluator:
    """Incremental evaluation of one symbol under one agreement.

    Prices/sizes are scaled ints (`px_scale`, `qty_scale`); level arrays (n, levels).
    """

    def __init__(
        self, agreement: Agreement, symbol: str, *, px_scale: int, qty_scale: int, levels: int = 1
    ) -> None:
        self.agreement = agreement
        self.symbol = symbol
        self.px_scale = px_scale
        self.qty_scale = qty_scale
        self.levels = levels
        self._q: dict[str, list[npt.NDArray[np.int64]]] = {
            k: [] for k in ("ts", "bid_px", "bid_qty", "ask_px", "ask_qty")
        }
        self._fill: list[Bools] = []
        self._m: dict[str, list[npt.NDArray[np.int64]]] = {
            k: [] for k in ("ts", "bid_px", "ask_px")
        }
        self._m_ok: dict[str, list[Bools]] = {"bid": [], "ask": []}
        self._states: list[StateInterval] = []
        self._last_q_ts: int | None = None
        self._last_m_ts: int | None = None
        self._frames: dict[date, DayFrame] = {}

    # ---- input -------------------------------------------------------------------------
    def push_quotes(
        self,
        ts_ns: I64,
        bid_px: I64,
        bid_qty: I64,
        ask_px: I64,
        ask_qty: I64,
        is_fill: Bools | None = None,
    ) -> None:
        """Append quote rows (time-ordered); level arrays (n, levels), qty 0 = absent."""
        ts = np.asarray(ts_ns, np.int64)
        if ts.size == 0:
            return
        if (ts[1:] < ts[:-1]).any() or (self._last_q_ts is not None and ts[0] < self._last_q_ts):
            raise ValueError("quote rows must arrive in time order")
        for key, arr in (
            ("ts", ts),
            ("bid_px", bid_px),
            ("bid_qty", bid_qty),
            ("ask_px", ask_px),
            ("ask_qty", ask_qty),
        ):
            a = np.asarray(arr, np.int64)
            self._q[key].append(a if key == "ts" else a.reshape(ts.size, self.levels))
        self._fill.append(np.zeros(ts.size, bool) if is_fill is None else np.asarray(is_fill, bool))
        self._last_q_ts = int(ts[-1])

    def push_market(
        self,
        ts_ns: I64,
        bid_px: I64,
        ask_px: I64,
        bid_ok: Bools | None = None,
        ask_ok: Bools | None = None,
    ) -> None:
        """Append market best bid/offer rows (time-ordered), prices at `px_scale`."""
        ts = np.asarray(ts_ns, np.int64)
        if ts.size == 0:
            return
        if (ts[1:] < ts[:-1]).any() or (self._last_m_ts is not None and ts[0] < self._last_m_ts):
            raise ValueError("market rows must arrive in time order")
        self._m["ts"].append(ts)
        self._m["bid_px"].append(np.asarray(bid_px, np.int64))
        self._m["ask_px"].append(np.asarray(ask_px, np.int64))
        self._m_ok["bid"].append(
            np.ones(ts.size, bool) if bid_ok is None else np.asarray(bid_ok, bool)
        )
        self._m_ok["ask"].append(
            np.ones(ts.size, bool) if ask_ok is None else np.asarray(ask_ok, bool)
        )
        self._last_m_ts = int(ts[-1])

    def push_state(self, interval: StateInterval) -> None:
        """Add a market-state interval (for this symbol or all symbols)."""
        if interval.symbol in (None, self.symbol):
            self._states.append(interval)

    # ---- buffered arrays ---------------------------------------------------------------
    def quotes(self) -> QuoteArrays:
        """The buffered quote rows as one array set (compacts the buffer)."""
        for key in self._q:
            width = None if key == "ts" else self.levels
            self._q[key] = [_cat(self._q[key], width)]
        self._fill = [np.concatenate(self._fill) if self._fill else np.zeros(0, bool)]
        return QuoteArrays(
            self.symbol,
            self._q["ts"][0],
            self._q["bid_px"][0],
            self._q["bid_qty"][0],
            self._q["ask_px"][0],
            self._q["ask_qty"][0],
            self._fill[0],
            self.px_scale,
            self.qty_scale,
        )

    def market(self) -> MarketArrays | None:
        """The buffered market rows, or None when no market row was ever pushed."""
        if self._last_m_ts is None:
            return None
        for key in self._m:
            self._m[key] = [_cat(self._m[key])]
        for key in self._m_ok:
            self._m_ok[key] = [np.concatenate(self._m_ok[key])]
        n = self._m["ts"][0].size
        zeros = np.zeros(n, np.int64)
        return MarketArrays(
            self.symbol,
            self._m["ts"][0],
            self._m["bid_px"][0],
            self._m["ask_px"][0],
            zeros,
            zeros,
            self._m_ok["bid"][0],
            self._m_ok["ask"][0],
            self.px_scale,
            0,
        )

    def _frame(self, day: date) -> DayFrame:
        if day not in self._frames:
            self._frames[day] = day_frame(self.agreement, day)
        return self._frames[day]

    # ---- output ------------------------------------------------------------------------
    def valid_now(self, now_ns: int) -> tuple[bool, tuple[Reason, ...], bool]:
        """(valid, reasons, stressed) of the quote in force at `now_ns`."""
        q, m = self.quotes(), self.market()
        t = np.asarray([now_ns], np.int64)
        qi = np.searchsorted(q.ts_ns, t, side="right") - 1
        mi = np.searchsorted(m.ts_ns, t, side="right") - 1 if m is not None else np.asarray([-1])
        stressed_iv = state_intervals(self._states, self.symbol, frozenset({"stressed"}))
        stressed = any(a <= now_ns < b for a, b in stressed_iv)
        mask = int(
            segment_mask(self.agreement, self.symbol, q, m, qi, mi, np.asarray([stressed]))[0]
        )
        return mask == 0, tuple(reasons_from_mask(mask)), stressed

    def day_so_far(self, day: date, now_ns: int | None = None) -> DayResult:
        """The day's result over eligible time before `now_ns` (the whole day when None)."""
        frame = self._frame(day)
        segs = build_segments(
            self.agreement,
            self.symbol,
            [frame],
            self.quotes(),
            self.market(),
            self._states,
            until_ns=now_ns,
        )
        return evaluate_day(
            self.agreement,
            self.symbol,
            day,
            segs,
            int(segs.day_bounds[0]),
            int(segs.day_bounds[1]),
            sample_times(self.agreement, frame),
        )

    def status(self, day: date, now_ns: int) -> Status:
        """Validity at `now_ns` and the presence of `day` so far."""
        valid, reasons, stressed = self.valid_now(now_ns)
        so_far = self.day_so_far(day, now_ns)
        excluded = state_intervals(self._states, self.symbol, self.agreement.states.excluded())
        eligible = any(
            a <= now_ns < b for a, b in eligible_intervals(self._frame(day), excluded, None)
        )
        return Status(now_ns, valid, reasons, stressed, eligible, so_far.presence_pct)

    def close_day(self, day: date) -> DayResult:
        """The finished day's result; then drop rows no later day needs."""
        result = self.day_so_far(day)
        self._trim(self._frame(day).end_ns)
        del self._frames[day]
        return result

    def _trim(self, before_ns: int) -> None:
        """Keep rows from the last one at or before `before_ns` on (it stays in force)."""
        q = self.quotes()
        k = max(int(np.searchsorted(q.ts_ns, before_ns, side="right")) - 1, 0)
        for key in self._q:
            self._q[key] = [self._q[key][0][k:]]
        self._fill = [self._fill[0][k:]]
        m = self.market()
        if m is not None:
            j = max(int(np.searchsorted(m.ts_ns, before_ns, side="right")) - 1, 0)
            for key in self._m:
                self._m[key] = [self._m[key][0][j:]]
            for key in self._m_ok:
                self._m_ok[key] = [self._m_ok[key][0][j:]]
        self._states = [s for s in self._states if s.end_ns > before_ns]
