"""Merge one symbol's quote rows, market reference and state changes into timeline segments.

A segment is a half-open interval `[start, end)` of eligible time over which
nothing changes: the quote row in force (`qi`, -1 = none yet), the market row
(`mi`), the stressed flag and the clock hour are constant. Segment edges are the
union of quote and market timestamps, window/exclusion/state edges and local
clock-hour edges. Built with np.searchsorted (no per-row Python loop); the
reason mask comes from `validity.validity_mask`. Does not aggregate anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mmsla.domain.agreement import Agreement
from mmsla.io.columns import rescale
from mmsla.io.tables import MarketArrays, QuoteArrays, StateInterval
from mmsla.obligations.calendar import DayFrame
from mmsla.obligations.validity import (
    CHUNK_ROWS,
    NO_QUOTE,
    Book,
    MarketAt,
    Mask,
    validity_mask,
)

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Intervals = list[tuple[int, int]]


@dataclass(frozen=True)
class Segments:
    """Eligible timeline segments of one symbol, in time order, over some trading days.

    `day_bounds[k]:day_bounds[k+1]` are the segments of frame k; `hour` is a global
    clock-hour id. `quotes`/`market` are the arrays `qi`/`mi` index into (prices at
    one common scale).
    """

    start: I64
    end: I64
    qi: I64
    mi: I64
    stressed: Bools
    hour: npt.NDArray[np.int32]
    mask: Mask
    day_bounds: I64
    quotes: QuoteArrays
    market: MarketArrays | None

    def __len__(self) -> int:
        return int(self.start.shape[0])


def merge(intervals: Intervals) -> Intervals:
    """Union of half-open intervals, sorted, touching ones joined."""
    out: Intervals = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def subtract(window: tuple[int, int], holes: Intervals) -> Intervals:
    """`window` minus the union of `holes`."""
    out: Intervals = []
    cur = window[0]
    for a, b in merge(holes):
        if b <= cur or a >= window[1]:
            continue
        if a > cur:
            out.append((cur, a))
        cur = max(cur, b)
    if cur < window[1]:
        out.append((cur, window[1]))
    return out


def state_intervals(states: list[StateInterval], symbol: str, names: frozenset[str]) -> Intervals:
    """Merged intervals of this symbol (or all symbols) whose state is in `names`."""
    return merge(
        [(s.start_ns, s.end_ns) for s in states if s.state in names and s.symbol in (None, symbol)]
    )


def eligible_intervals(
    frame: DayFrame, excluded_states: Intervals, until_ns: int | None = None
) -> Intervals:
    """The frame's window minus clock exclusions minus excluded states (and after `until_ns`)."""
    end = frame.end_ns if until_ns is None else min(frame.end_ns, until_ns)
    if end <= frame.start_ns:
        return []
    return subtract((frame.start_ns, end), [*frame.excludes, *excluded_states])


def _flat(intervals: Intervals) -> I64:
    return np.asarray([t for iv in intervals for t in iv], dtype=np.int64)


def _inside(flat_edges: I64, t: I64) -> Bools:
    """Whether each instant lies in the union given by sorted flat edges [a0, b0, a1, b1, ...]."""
    out: Bools = (np.searchsorted(flat_edges, t, side="right") % 2) == 1
    return out


def empty_quotes(symbol: str) -> QuoteArrays:
    z = np.zeros((0, 1), np.int64)
    return QuoteArrays(symbol, np.zeros(0, np.int64), z, z, z, z, np.zeros(0, bool), 0, 0)


def common_scale(
    quotes: QuoteArrays, market: MarketArrays | None
) -> tuple[QuoteArrays, MarketArrays | None]:
    """Quote and market prices at one scale (the larger of the two)."""
    if market is None or market.px_scale == quotes.px_scale:
        return quotes, market
    target = max(market.px_scale, quotes.px_scale)
    q, m = quotes, market
    if q.px_scale < target:
        q = QuoteArrays(
            q.symbol,
            q.ts_ns,
            rescale(q.bid_px, q.px_scale, target, what="price"),
            q.bid_qty,
            rescale(q.ask_px, q.px_scale, target, what="price"),
            q.ask_qty,
            q.is_fill,
            target,
            q.qty_scale,
        )
    if m.px_scale < target:
        m = MarketArrays(
            m.symbol,
            m.ts_ns,
            rescale(m.bid_px, m.px_scale, target, what="price"),
            rescale(m.ask_px, m.px_scale, target, what="price"),
            m.bid_qty,
            m.ask_qty,
            m.bid_ok,
            m.ask_ok,
            target,
            m.qty_scale,
        )
    return q, m


def build_segments(
    agreement: Agreement,
    symbol: str,
    frames: list[DayFrame],
    quotes: QuoteArrays | None,
    market: MarketArrays | None,
    states: list[StateInterval],
    *,
    until_ns: int | None = None,
) -> Segments:
    """Eligible segments of `symbol` over `frames` with their reason masks."""
    q, m = common_scale(quotes if quotes is not None else empty_quotes(symbol), market)
    terms = agreement.terms_for(symbol)
    inst = agreement.instrument(symbol)
    policy = agreement.states
    excluded = state_intervals(states, symbol, policy.excluded())
    stressed_iv = state_intervals(states, symbol, frozenset({"stressed"}))
    per_frame = [eligible_intervals(f, excluded, until_ns) for f in frames]
    elig = _flat([iv for ivs in per_frame for iv in ivs])
    stress_edges = _flat(stressed_iv)
    lo = frames[0].start_ns if frames else 0
    hi = frames[-1].end_ns if frames else 0
    hour_edges = (
        np.sort(
            np.concatenate(
                [np.asarray([f.start_ns for f in frames], np.int64)]
                + [f.hour_edges for f in frames]
            )
        )
        if frames
        else np.zeros(0, np.int64)
    )

    def clip(ts: I64) -> I64:
        a, b = np.searchsorted(ts, [lo, hi], side="left")
        return ts[a:b]

    parts = [elig, clip(stress_edges), hour_edges, clip(q.ts_ns)]
    if m is not None:
        parts.append(clip(m.ts_ns))
    edges = np.concatenate(parts)
    edges.sort(kind="stable")  # in place: a merge of already-sorted runs
    if edges.size:
        keep = np.empty(edges.size, bool)
        keep[0] = True
        np.not_equal(edges[1:], edges[:-1], out=keep[1:])
        edges = edges[keep]
    ok = _inside(elig, edges[:-1])
    start, end = edges[:-1][ok], edges[1:][ok]
    del edges, ok, parts
    qi = np.searchsorted(q.ts_ns, start, side="right")
    qi -= 1
    mi = (
        np.searchsorted(m.ts_ns, start, side="right") - 1
        if m is not None
        else np.full(start.size, -1)
    )
    stressed = _inside(stress_edges, start) if stressed_iv else np.zeros(start.size, bool)
    hour = (np.searchsorted(hour_edges, start, side="right") - 1).astype(np.int32)
    day_bounds = np.searchsorted(start, np.asarray([f.start_ns for f in frames] + [hi], np.int64))
    day_bounds[-1] = start.size

    varying = terms.needs_market or (
        stressed.any()
        and (policy.stressed_spread_multiplier != 1 or policy.stressed_size_multiplier != 1)
    )
    if not varying and len(q):
        row_mask = validity_mask(
            Book(q.bid_px, q.bid_qty, q.ask_px, q.ask_qty, q.px_scale, q.qty_scale),
            terms,
            tick_size=inst.tick_size,
        )
        mask = np.where(qi >= 0, row_mask[np.maximum(qi, 0)], NO_QUOTE).astype(np.uint16)
    else:
        mask = segment_mask(agreement, symbol, q, m, qi, mi, stressed)
    return Segments(start, end, qi, mi, stressed, hour, mask, day_bounds, q, m)


def segment_mask(
    agreement: Agreement,
    symbol: str,
    q: QuoteArrays,
    m: MarketArrays | None,
    qi: I64,
    mi: I64,
    stressed: Bools,
) -> Mask:
    """Reason masks for instants with quote row `qi`, market row `mi` and stressed flags.

    Gathers and evaluates in blocks of `CHUNK_ROWS`, so memory stays flat.
    """
    inst = agreement.instrument(symbol)
    policy = agreement.states
    n = qi.size
    out = np.empty(n, np.uint16)
    for lo in range(0, n, CHUNK_ROWS):
        hi = min(lo + CHUNK_ROWS, n)
        q_i, m_i = qi[lo:hi], mi[lo:hi]
        has = q_i >= 0
        if len(q) == 0:
            z = np.zeros((hi - lo, 1), np.int64)
            book = Book(z, z, z, z, q.px_scale, q.qty_scale, np.zeros(hi - lo, bool))
        else:
            r = np.maximum(q_i, 0)
            book = Book(
                q.bid_px[r], q.bid_qty[r], q.ask_px[r], q.ask_qty[r], q.px_scale, q.qty_scale, has
            )
        market_at = None
        if m is not None and len(m):
            mhas = m_i >= 0
            k = np.maximum(m_i, 0)
            market_at = MarketAt(m.bid_px[k], m.ask_px[k], m.bid_ok[k] & mhas, m.ask_ok[k] & mhas)
        out[lo:hi] = validity_mask(
            book,
            inst.terms,
            tick_size=inst.tick_size,
            market=market_at,
            stressed=stressed[lo:hi],
            spread_multiplier=policy.stressed_spread_multiplier,
            size_multiplier=policy.stressed_size_multiplier,
        )
    return out
