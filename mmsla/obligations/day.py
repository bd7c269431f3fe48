"""Interval bookkeeping for one symbol-day: the measures both drivers report.

From a day's eligible segments (and their reason masks) this computes refresh-
after-fill grace, breach episodes, presence (time-weighted and snapshot), side
uptime, at-inside time, downtime per clock hour and time-weighted stats. All
vectorised over segments; verdicts are exact integer ratios. Does not read
files or decide which days exist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import numpy.typing as npt

from mmsla.domain.agreement import Agreement, AtInside, Downtime, SideUptime
from mmsla.obligations.exact import ns_from_seconds, ratio
from mmsla.obligations.result import (
    NS,
    AtInsideResult,
    DayResult,
    DowntimeResult,
    Episodes,
    PresenceResult,
    SideUptimeResult,
    Stats,
    at_least,
    pct,
)
from mmsla.obligations.timeline import Segments

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def flag_runs(flag: Bools, start: I64, end: I64, breaks: Bools | None = None) -> tuple[I64, I64]:
    """(first, last) segment index of each maximal run of touching flagged segments.

    `breaks[i]` True forces a new run at segment i even when it touches i-1.
    Works on whole-length boolean arrays (one byte per segment), no gathers.
    """
    if flag.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    joined = flag[1:] & flag[:-1] & (start[1:] == end[:-1])  # segment i+1 continues i
    if breaks is not None:
        joined &= ~breaks[1:]
    first = flag.copy()
    first[1:] &= ~joined
    last = flag.copy()
    last[:-1] &= ~joined
    return np.flatnonzero(first), np.flatnonzero(last)


def evaluate_day(
    agreement: Agreement,
    symbol: str,
    day: date,
    segs: Segments,
    lo: int,
    hi: int,
    samples: I64 | None,
) -> DayResult:
    """Measures of `symbol` on `day` from segments `lo:hi` of `segs`; `samples` when snapshot."""
    terms = agreement.terms_for(symbol)
    start, end = segs.start[lo:hi], segs.end[lo:hi]
    mask, qi = segs.mask[lo:hi], segs.qi[lo:hi]
    dur = end - start
    q = segs.quotes
    invalid = mask != 0

    # refresh after fill: a stretch starting at a fill row and ending within grace counts as valid
    s_first, s_last = flag_runs(invalid, start, end)
    forgiven_seg = np.zeros(start.size, bool)
    stretch_forgiven = np.zeros(s_first.size, bool)
    if terms.refresh_after_fill is not None and s_first.size and len(q):
        grace_ns = ns_from_seconds(terms.refresh_after_fill.grace_s)
        r = qi[s_first]
        at_row = (r >= 0) & (q.ts_ns[np.maximum(r, 0)] == start[s_first])
        is_fill = at_row & q.is_fill[np.maximum(r, 0)]
        stretch_forgiven = is_fill & (end[s_last] - start[s_first] <= grace_ns)
        if stretch_forgiven.any():
            delta = np.zeros(start.size + 1, np.int64)
            np.add.at(delta, s_first[stretch_forgiven], 1)
            np.add.at(delta, s_last[stretch_forgiven] + 1, -1)
            forgiven_seg = np.cumsum(delta[:-1]) > 0
    valid = ~invalid | forgiven_seg
    eligible_ns = int(dur.sum())
    valid_ns = int(dur[valid].sum())

    # breach episodes: touching invalid segments with the same reason set
    breaks = np.zeros(start.size, bool)
    breaks[1:] = mask[1:] != mask[:-1]
    e_first, e_last = flag_runs(invalid, start, end, breaks)
    stretch_of = np.searchsorted(s_first, e_first, side="right") - 1
    breaches = Episodes(
        start[e_first],
        end[e_last],
        mask[e_first],
        stretch_forgiven[stretch_of] if s_first.size else np.zeros(0, bool),
    )

    samples_eligible = samples_valid = None
    if samples is not None:
        pos = np.searchsorted(start, samples, side="right") - 1
        ok = pos >= 0
        ok[ok] = samples[ok] < end[pos[ok]]
        samples_eligible = int(ok.sum())
        samples_valid = int(valid[pos[ok]].sum())
    num = samples_valid if samples_valid is not None else valid_ns
    den = samples_eligible if samples_eligible is not None else eligible_ns

    presence = None
    if terms.presence is not None:
        presence = PresenceResult(
            pct(num, den),
            terms.presence.min_pct,
            den == 0 or at_least(num, den, terms.presence.min_pct),
        )

    def best_levels(rows: slice) -> tuple[I64, I64, I64, I64]:
        """Our best bid px/qty and ask px/qty per segment in `rows` (0 where no quote)."""
        q_i = qi[rows]
        if len(q) == 0:
            z = np.zeros(q_i.size, np.int64)
            return z, z, z, z
        has = q_i >= 0
        every = bool(has.all())
        r = q_i if every else np.maximum(q_i, 0)

        def best(column: I64) -> I64:
            values = column.take(r)
            if not every:
                values[~has] = 0
            return values

        return (
            best(q.bid_px[:, 0]),
            best(q.bid_qty[:, 0]),
            best(q.ask_px[:, 0]),
            best(q.ask_qty[:, 0]),
        )

    if terms.side_uptime is not None or terms.at_inside is not None:
        bid_px, bid_qty, ask_px, ask_qty = best_levels(slice(None))

    side_uptime = None
    if terms.side_uptime is not None:
        side_uptime = _side_uptime(
            terms.side_uptime, dur, bid_qty, ask_qty, q.qty_scale, eligible_ns
        )
    at_inside = None
    if terms.at_inside is not None:
        at_inside = _at_inside(terms.at_inside, segs, lo, hi, dur, bid_px, bid_qty, ask_px, ask_qty)
    downtime = None
    if terms.downtime is not None:
        downtime = _downtime(terms.downtime, start, end, segs.hour[lo:hi], ~valid)

    return DayResult(
        day=day,
        symbol=symbol,
        eligible_ns=eligible_ns,
        valid_ns=valid_ns,
        samples_eligible=samples_eligible,
        samples_valid=samples_valid,
        presence=presence,
        side_uptime=side_uptime,
        at_inside=at_inside,
        downtime=downtime,
        breaches=breaches,
        stats=_stats(dur, best_levels, q.qty_scale),
    )


def _side_uptime(
    su: SideUptime, dur: I64, bid_qty: I64, ask_qty: I64, qty_scale: int, eligible_ns: int
) -> SideUptimeResult:
    n, d = ratio(su.min_qty)
    need = n * 10**qty_scale
    bid_ns = int(dur[(bid_qty > 0) & (bid_qty * d >= need)].sum())
    ask_ns = int(dur[(ask_qty > 0) & (ask_qty * d >= need)].sum())
    if su.combine == "avg":
        value, passed = (
            pct(bid_ns + ask_ns, 2 * eligible_ns),
            at_least(bid_ns + ask_ns, 2 * eligible_ns, su.min_pct),
        )
    else:  # min, each: both sides must reach the minimum, so the figure is the smaller side
        low = min(bid_ns, ask_ns)
        value, passed = pct(low, eligible_ns), at_least(low, eligible_ns, su.min_pct)
    if eligible_ns == 0:
        passed = True
    return SideUptimeResult(
        pct(bid_ns, eligible_ns), pct(ask_ns, eligible_ns), value, su.min_pct, passed
    )


def _at_inside(
    ai: AtInside,
    segs: Segments,
    lo: int,
    hi: int,
    dur: I64,
    bid_px: I64,
    bid_qty: I64,
    ask_px: I64,
    ask_qty: I64,
) -> AtInsideResult:
    m = segs.market
    n, d = ratio(ai.min_qty)
    need = n * 10**segs.quotes.qty_scale
    bid_live = (bid_qty > 0) & (bid_qty * d >= need)
    ask_live = (ask_qty > 0) & (ask_qty * d >= need)
    if m is not None and len(m):
        mi = segs.mi[lo:hi]
        k = np.maximum(mi, 0)
        has = mi >= 0
        mb_ok, ma_ok = has & m.bid_ok[k], has & m.ask_ok[k]
        mb, ma = m.bid_px[k], m.ask_px[k]
        bid_at = bid_live & (~mb_ok | (bid_px >= mb))
        ask_at = ask_live & (~ma_ok | (ask_px <= ma))
        locked = mb_ok & ma_ok & (mb >= ma)
    else:
        bid_at, ask_at, locked = bid_live, ask_live, np.zeros(dur.size, bool)
    base = ~locked if ai.exclude_locked_crossed else np.ones(dur.size, bool)
    base_ns = int(dur[base].sum())
    b_ns = int(dur[base & bid_at].sum())
    a_ns = int(dur[base & ask_at].sum())
    if ai.mode == "union":
        part, whole = int(dur[base & (bid_at | ask_at)].sum()), base_ns
    elif ai.mode == "both":
        part, whole = int(dur[base & bid_at & ask_at].sum()), base_ns
    elif ai.mode == "avg_sides":
        part, whole = b_ns + a_ns, 2 * base_ns
    else:  # sum_sides
        part, whole = b_ns + a_ns, base_ns
    passed = whole == 0 or at_least(part, whole, ai.min_pct)
    return AtInsideResult(pct(part, whole), ai.min_pct, passed)


def _downtime(
    dt: Downtime, start: I64, end: I64, hour: npt.NDArray[np.int32], invalid: Bools
) -> DowntimeResult:
    # segments are in time order, so hour ids are non-decreasing: distinct ids without a sort
    change = np.ones(hour.size, bool)
    change[1:] = hour[1:] != hour[:-1]
    hours = hour[change]
    longest_day = 0
    firsts, lasts = flag_runs(invalid, start, end)
    if firsts.size:
        longest_day = int((end[lasts] - start[firsts]).max())
    breaks = np.zeros(start.size, bool)
    breaks[1:] = hour[1:] != hour[:-1]
    c_first, c_last = flag_runs(invalid, start, end, breaks)
    run_len = end[c_last] - start[c_first]
    run_hour = hour[c_first]
    live = 0
    for h in hours.tolist():
        in_h = run_hour == h
        longest = int(run_len[in_h].max()) if in_h.any() else 0
        total = int(run_len[in_h].sum())
        ok = True
        if dt.max_consecutive_s is not None:
            ok &= longest <= ns_from_seconds(dt.max_consecutive_s)
        if dt.max_per_hour_s is not None:
            ok &= total <= ns_from_seconds(dt.max_per_hour_s)
        live += int(ok)
    n_hours = int(hours.size)
    passed = live >= dt.min_live_hours if dt.min_live_hours is not None else live == n_hours
    return DowntimeResult(live, n_hours, longest_day / NS, passed)


def _stats(
    dur: I64, best_levels: Callable[[slice], tuple[I64, I64, I64, I64]], qty_scale: int
) -> Stats:
    """Time-weighted spread (bps) and best sizes over eligible time; floats, display only.

    Accumulated in blocks so the float temporaries stay small.
    """
    sums = np.zeros(6)  # w_two, w*bps, w_bid, w*bid_qty, w_ask, w*ask_qty
    step = 1 << 16
    for lo in range(0, dur.size, step):
        sl = slice(lo, lo + step)
        w = dur[sl].astype(np.float64)
        b, bq, a, aq = best_levels(sl)
        two = (bq > 0) & (aq > 0) & (b < a)
        w_two = np.where(two, w, 0.0)
        bf, af = b.astype(np.float64), a.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            bps = np.where(two, (af - bf) * 20000.0 / (af + bf), 0.0)
        w_bid = np.where(bq > 0, w, 0.0)
        w_ask = np.where(aq > 0, w, 0.0)
        sums += (
            w_two.sum(),
            np.dot(bps, w_two),
            w_bid.sum(),
            np.dot(bq.astype(np.float64), w_bid),
            w_ask.sum(),
            np.dot(aq.astype(np.float64), w_ask),
        )
    unit = float(10**qty_scale)

    def ratio_or_none(num: float, den: float, scale: float = 1.0) -> float | None:
        return None if den <= 0 else num / den / scale

    return Stats(
        ratio_or_none(float(sums[1]), float(sums[0])),
        ratio_or_none(float(sums[3]), float(sums[2]), unit),
        ratio_or_none(float(sums[5]), float(sums[4]), unit),
    )
