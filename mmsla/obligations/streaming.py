"""Streaming driver: feed one symbol's quote, market and state updates in micro-batches.

`StreamingEvaluator` keeps the rows of the current trading day (plus the row in
force at its start), answers "valid now, and why not" with the same
`validity_mask`, and evaluates the day so far or the finished day with the same
`timeline.build_segments` + `day.evaluate_day` as the batch driver, so a day
gives the identical `DayResult` through both drivers.

Cost:
- rows are appended to growable column buffers (amortised O(1) per row) and read
  back as views, never re-concatenated;
- `so_far` (presence figures of the day up to now: eligible and valid time,
  snapshot samples, with refresh-after-fill grace) is incremental: each call
  evaluates only the segments since the previous call with the shared segment
  code and folds them into per-day accumulators, carrying the open invalid
  stretch across calls (its grace is decided when it ends). O(rows since the
  last call), so a live monitor can ask after every micro-batch;
- `day_so_far`/`close_day` re-evaluate the buffered day (O(rows in the day),
  vectorised): the full `DayResult` (episodes, side uptime, ...) comes only from
  the shared day code.

Rows must arrive in time order per stream. `so_far` assumes nothing is later
pushed for an instant before the previous `so_far` time, and that states given
as open stay as given (the monitor pushes each state once it closes, with the
same start); anything else makes the next `so_far` start over from the day's
start (still exact, just O(day) once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from mmsla.domain.agreement import Agreement
from mmsla.domain.reasons import Reason, reasons_from_mask
from mmsla.io.tables import MarketArrays, QuoteArrays, StateInterval
from mmsla.obligations.calendar import DayFrame, day_frame, sample_times
from mmsla.obligations.day import evaluate_day, flag_runs
from mmsla.obligations.exact import ns_from_seconds
from mmsla.obligations.result import DayResult, pct
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


@dataclass(frozen=True)
class SoFar:
    """Presence figures of a day up to an instant: the same numbers `day_so_far` gives."""

    day: date
    until_ns: int
    eligible_ns: int
    valid_ns: int
    samples_eligible: int | None
    samples_valid: int | None

    @property
    def presence_num(self) -> int:
        return self.samples_valid if self.samples_valid is not None else self.valid_ns

    @property
    def presence_den(self) -> int:
        return self.samples_eligible if self.samples_eligible is not None else self.eligible_ns

    @property
    def presence_pct(self) -> float | None:
        return pct(self.presence_num, self.presence_den)


class _Columns:
    """Append-only named columns (1-d or (n, width)) with amortised O(1) appends.

    `view(name)` is a view of the live rows; `drop(k)` forgets the first k live rows.
    Rows once written never change, so views handed out stay correct.
    """

    def __init__(self, spec: dict[str, tuple[type, int | None]]) -> None:
        self._spec = spec
        self._lo = self._n = 0
        self._cols = {k: self._alloc(k, 0) for k in spec}

    def _alloc(self, key: str, cap: int) -> npt.NDArray[np.generic]:
        dtype, width = self._spec[key]
        return np.empty((cap, width) if width is not None else cap, dtype)

    def __len__(self) -> int:
        return self._n - self._lo

    def append(self, values: dict[str, npt.NDArray[np.generic]]) -> None:
        k = next(iter(values.values())).shape[0]
        need = self._n + k
        cap = next(iter(self._cols.values())).shape[0]
        if need > cap:
            live = self._n - self._lo
            new_cap = max(2 * (live + k), 1024)
            for key, col in self._cols.items():
                grown = self._alloc(key, new_cap)
                grown[:live] = col[self._lo : self._n]
                self._cols[key] = grown
            self._lo, self._n = 0, live
            need = live + k
        for key, col in self._cols.items():
            col[self._n : need] = values[key]
        self._n = need

    def view(self, key: str) -> npt.NDArray[Any]:
        return self._cols[key][self._lo : self._n]

    def drop(self, k: int) -> None:
        self._lo = min(self._lo + k, self._n)


@dataclass
class _Tally:
    """Accumulators of one day's presence up to `frontier` (see `StreamingEvaluator.so_far`).

    The last invalid stretch seen is kept apart (`c_*`): whether its refresh-after-
    fill grace applies depends on where it ends, which a later call may move.
    """

    day: date
    frontier: int
    eligible: int = 0
    valid: int = 0
    s_elig: int = 0
    s_valid: int = 0
    c_start: int | None = None  # open (last) invalid stretch: start, end, fill start, samples
    c_end: int = 0
    c_fill: bool = False
    c_samples: int = 0
    open_used: tuple[tuple[str, int], ...] = ()


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
        self._q = _Columns(
            {
                "ts": (np.int64, None),
                "bid_px": (np.int64, levels),
                "bid_qty": (np.int64, levels),
                "ask_px": (np.int64, levels),
                "ask_qty": (np.int64, levels),
                "fill": (np.bool_, None),
            }
        )
        self._m = _Columns(
            {
                "ts": (np.int64, None),
                "bid_px": (np.int64, None),
                "ask_px": (np.int64, None),
                "bid_ok": (np.bool_, None),
                "ask_ok": (np.bool_, None),
            }
        )
        self._states: list[StateInterval] = []
        self._last_q_ts: int | None = None
        self._last_m_ts: int | None = None
        self._frames: dict[date, DayFrame] = {}
        self._samples: dict[date, I64 | None] = {}
        self._tally: _Tally | None = None
        terms = agreement.terms_for(symbol)
        raf = terms.refresh_after_fill
        self._grace_ns = ns_from_seconds(raf.grace_s) if raf is not None else None

    # ---- input -------------------------------------------------------------------------
    def _touch(self, ts_ns: int) -> None:
        """Input at `ts_ns`: the tally must start over if it already counted that instant."""
        t = self._tally
        if t is not None and ts_ns < t.frontier:
            self._tally = None

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
        n = ts.size
        shape = (n, self.levels)
        self._q.append(
            {
                "ts": ts,
                "bid_px": np.asarray(bid_px, np.int64).reshape(shape),
                "bid_qty": np.asarray(bid_qty, np.int64).reshape(shape),
                "ask_px": np.asarray(ask_px, np.int64).reshape(shape),
                "ask_qty": np.asarray(ask_qty, np.int64).reshape(shape),
                "fill": np.zeros(n, bool) if is_fill is None else np.asarray(is_fill, bool),
            }
        )
        self._touch(int(ts[0]))
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
        ones = np.ones(ts.size, bool)
        self._m.append(
            {
                "ts": ts,
                "bid_px": np.asarray(bid_px, np.int64),
                "ask_px": np.asarray(ask_px, np.int64),
                "bid_ok": ones if bid_ok is None else np.asarray(bid_ok, bool),
                "ask_ok": ones if ask_ok is None else np.asarray(ask_ok, bool),
            }
        )
        self._touch(int(ts[0]))
        self._last_m_ts = int(ts[-1])

    def push_state(self, interval: StateInterval) -> None:
        """Add a market-state interval (for this symbol or all symbols)."""
        if interval.symbol in (None, self.symbol):
            self._states.append(interval)
            t = self._tally
            if t is not None and (interval.state, interval.start_ns) not in t.open_used:
                self._touch(interval.start_ns)

    # ---- buffered arrays ---------------------------------------------------------------
    def quotes(self) -> QuoteArrays:
        """The buffered quote rows as one array set (views, O(1))."""
        v = self._q.view
        return QuoteArrays(
            self.symbol,
            v("ts"),
            v("bid_px"),
            v("bid_qty"),
            v("ask_px"),
            v("ask_qty"),
            v("fill"),
            self.px_scale,
            self.qty_scale,
        )

    def market(self) -> MarketArrays | None:
        """The buffered market rows, or None when no market row was ever pushed."""
        if self._last_m_ts is None:
            return None
        v = self._m.view
        zeros = np.zeros(len(self._m), np.int64)
        return MarketArrays(
            self.symbol,
            v("ts"),
            v("bid_px"),
            v("ask_px"),
            zeros,
            zeros,
            v("bid_ok"),
            v("ask_ok"),
            self.px_scale,
            0,
        )

    def _frame(self, day: date) -> DayFrame:
        if day not in self._frames:
            self._frames[day] = day_frame(self.agreement, day)
        return self._frames[day]

    def _sample_times(self, day: date) -> I64 | None:
        if day not in self._samples:
            self._samples[day] = sample_times(self.agreement, self._frame(day))
        return self._samples[day]

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

    def _with_open(
        self, open_states: Mapping[str, int] | None, until_ns: int
    ) -> list[StateInterval]:
        extra = [
            StateInterval(start, until_ns, self.symbol, name)
            for name, start in (open_states or {}).items()
            if until_ns > start
        ]
        return self._states + extra if extra else self._states

    def day_so_far(
        self, day: date, now_ns: int | None = None, open_states: Mapping[str, int] | None = None
    ) -> DayResult:
        """The day's result over eligible time before `now_ns` (the whole day when None).

        `open_states` (name -> start) are states still in force, counted up to `now_ns`.
        """
        frame = self._frame(day)
        until = now_ns if now_ns is not None else frame.end_ns
        segs = build_segments(
            self.agreement,
            self.symbol,
            [frame],
            self.quotes(),
            self.market(),
            self._with_open(open_states, until),
            until_ns=now_ns,
        )
        return evaluate_day(
            self.agreement,
            self.symbol,
            day,
            segs,
            int(segs.day_bounds[0]),
            int(segs.day_bounds[1]),
            self._sample_times(day),
        )

    def so_far(self, day: date, now_ns: int, open_states: Mapping[str, int] | None = None) -> SoFar:
        """Presence figures of `day` over eligible time before `now_ns`, incrementally.

        Equal to the same fields of `day_so_far(day, now_ns, open_states)`; costs
        O(rows since the previous call) when calls come in time order.
        """
        frame = self._frame(day)
        samples = self._sample_times(day)
        t = self._tally
        if t is None or t.day != day or now_ns < t.frontier:
            t = self._tally = _Tally(day, frame.start_ns)
        until = min(now_ns, frame.end_ns)
        if until > t.frontier:
            self._extend(t, frame, until, samples, open_states or {})
        # the open stretch counts as valid while it may still end within its grace
        c_ok = (
            t.c_start is not None
            and t.c_fill
            and self._grace_ns is not None
            and t.c_end - t.c_start <= self._grace_ns
        )
        return SoFar(
            day,
            max(until, frame.start_ns),
            t.eligible,
            t.valid + (t.c_end - t.c_start if c_ok and t.c_start is not None else 0),
            t.s_elig if samples is not None else None,
            t.s_valid + (t.c_samples if c_ok else 0) if samples is not None else None,
        )

    def _extend(
        self,
        t: _Tally,
        frame: DayFrame,
        until: int,
        samples: I64 | None,
        open_states: Mapping[str, int],
    ) -> None:
        """Fold the segments of [t.frontier, until) into the tally."""
        lo = t.frontier
        # rows from the one in force at `lo` up to `until` (later ones do not matter yet)
        q = self.quotes().window(lo, until)
        full_m = self.market()
        m = None if full_m is None else full_m.window(lo, until)
        states = [s for s in self._states if s.end_ns > lo and s.start_ns < until]
        states += [
            StateInterval(start, until, self.symbol, name)
            for name, start in open_states.items()
            if until > start
        ]
        t.open_used = tuple(sorted({*t.open_used, *open_states.items()}))
        window = replace(frame, start_ns=lo, hour_edges=np.zeros(0, np.int64))
        segs = build_segments(self.agreement, self.symbol, [window], q, m, states, until_ns=until)
        t.frontier = until
        start, end, mask = segs.start, segs.end, segs.mask
        if start.size == 0:
            return
        dur = end - start
        invalid = mask != 0
        t.eligible += int(dur.sum())
        t.valid += int(dur[~invalid].sum())
        first, last = flag_runs(invalid, start, end)
        pos = np.zeros(0, np.int64)
        if samples is not None:
            i, j = np.searchsorted(samples, [lo, until], side="left")
            sl = samples[i:j]
            pos = np.searchsorted(start, sl, side="right") - 1
            ok = pos >= 0
            ok[ok] = sl[ok] < end[pos[ok]]
            pos = pos[ok]
            t.s_elig += int(pos.size)
            t.s_valid += int((~invalid[pos]).sum())
        if first.size == 0:
            self._commit(t)
            return
        r_start, r_end = start[first], end[last]
        fill = np.zeros(first.size, bool)
        sq = segs.quotes
        if self._grace_ns is not None and len(sq):
            r = segs.qi[first]
            k = np.maximum(r, 0)
            fill = (r >= 0) & (sq.ts_ns[k] == r_start) & sq.is_fill[k]
        counts = np.zeros(first.size, np.int64)
        if samples is not None:
            bad = pos[invalid[pos]]
            counts = np.bincount(
                np.searchsorted(first, bad, side="right") - 1, minlength=first.size
            ).astype(np.int64)
        if t.c_start is not None and first[0] == 0 and start[0] == t.c_end:
            # the open stretch goes on: it keeps its start and whether it began at a fill
            r_start = r_start.copy()
            r_start[0] = t.c_start
            fill[0] = t.c_fill
            counts[0] += t.c_samples
        else:
            self._commit(t)
        if self._grace_ns is not None and first.size > 1:
            done = slice(0, first.size - 1)
            forgiven = fill[done] & (r_end[done] - r_start[done] <= self._grace_ns)
            t.valid += int((r_end[done] - r_start[done])[forgiven].sum())
            t.s_valid += int(counts[done][forgiven].sum())
        t.c_start, t.c_end = int(r_start[-1]), int(r_end[-1])
        t.c_fill, t.c_samples = bool(fill[-1]), int(counts[-1])

    def _commit(self, t: _Tally) -> None:
        """The open stretch has ended: count it valid if its grace applies."""
        if t.c_start is None:
            return
        if t.c_fill and self._grace_ns is not None and t.c_end - t.c_start <= self._grace_ns:
            t.valid += t.c_end - t.c_start
            t.s_valid += t.c_samples
        t.c_start = None

    def status(
        self, day: date, now_ns: int, open_states: Mapping[str, int] | None = None
    ) -> Status:
        """Validity at `now_ns` and the presence of `day` so far."""
        valid, reasons, stressed = self.valid_now(now_ns)
        so_far = self.so_far(day, now_ns, open_states)
        states = self._with_open(open_states, now_ns + 1)
        excluded = state_intervals(states, self.symbol, self.agreement.states.excluded())
        eligible = any(
            a <= now_ns < b for a, b in eligible_intervals(self._frame(day), excluded, None)
        )
        return Status(now_ns, valid, reasons, stressed, eligible, so_far.presence_pct)

    def close_day(self, day: date) -> DayResult:
        """The finished day's result; then drop rows no later day needs."""
        result = self.day_so_far(day)
        self._trim(self._frame(day).end_ns)
        del self._frames[day]
        self._samples.pop(day, None)
        if self._tally is not None and self._tally.day == day:
            self._tally = None
        return result

    def _trim(self, before_ns: int) -> None:
        """Keep rows from the last one at or before `before_ns` on (it stays in force)."""
        k = max(int(np.searchsorted(self._q.view("ts"), before_ns, side="right")) - 1, 0)
        self._q.drop(k)
        if self._last_m_ts is not None:
            j = max(int(np.searchsorted(self._m.view("ts"), before_ns, side="right")) - 1, 0)
            self._m.drop(j)
        self._states = [s for s in self._states if s.end_ns > before_ns]
