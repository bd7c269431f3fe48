"""The monitor's streaming engine: decoded events in, alerts, actions and rows out. Pure.

Per symbol it keeps an obligation-engine `StreamingEvaluator` (the same
`validity_mask` and day bookkeeping as `mmsla check`) and, per micro-batch:

- appends the batch's quote/market rows to the evaluator and computes the reason
  mask at every event instant in one vectorised `segment_mask` call (O(1) per event),
  or, for a batch of a few instants, looks them up in a per-symbol memo keyed by
  (quote row, stressed) when no term refers to the market;
- walks the instants where the mask or exclusion changes (and the eligibility edges
  between them: window start/end, clock exclusions, local midnight) to open and
  close live breaches;
- every `recheck_events` events or `recheck_s` of event time asks the evaluator for
  the day's presence so far (`so_far`: incremental, O(rows since the last re-check))
  for `budget_warning`, `daily_fail_certain`, `obligation_secured`;
- closes each trading day at its window end with the evaluator's `close_day`, the
  exact `DayResult` `mmsla check` gives for the same quote log.

Silence and loss count as invalid, never valid: `mark_stale` (no event for N
heartbeats, decided by the caller's wall clock) and `mark_unknown` (a `seq` gap
that replay could not fill) append synthetic empty quote rows (event `stale` /
`unknown`, NO_QUOTE) at the last event time; they are persisted like real rows,
so the quote log the monitor writes gives the same verdict under `mmsla check`.
After `stale` the last real quotes are restored at the next event (the feed
had no gap, so nothing changed); after `unknown` a symbol stays invalid until
its next real quote.

Does not: touch sockets, files or wall clocks (the runner does), or send anything.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from mmsla.domain.agreement import Agreement
from mmsla.domain.reasons import Reason, reasons_from_mask
from mmsla.io.tables import MarketArrays, QuoteArrays, StateInterval
from mmsla.monitor.alerts import Alert, Severity, alert_id
from mmsla.monitor.config import MonitorConfig
from mmsla.monitor.scaled import scaled_int
from mmsla.obligations.calendar import DayFrame, day_frame, local_ns, sample_times
from mmsla.obligations.exact import ns_from_seconds
from mmsla.obligations.result import DayResult
from mmsla.obligations.streaming import SoFar, StreamingEvaluator
from mmsla.obligations.timeline import eligible_intervals, segment_mask, state_intervals

NS = 1_000_000_000
MEMO_BATCH = 16  # batches up to this many instants per symbol look their masks up first
# A quote-log row as persisted: (ts_ns, symbol, bids [[px, qty], ...], asks, event), raw strings.
QuoteRow = tuple[int, str, list[list[str]], list[list[str]], str | None]
# A market row: (ts_ns, symbol, bid_px, ask_px, bid_qty, ask_qty), raw strings or None.
MarketRow = tuple[int, str, str | None, str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class Action:
    """A control command for the quoter (`widen`, `pull`, `resume`) and why."""

    kind: str
    symbol: str
    cause: str
    ts_ns: int
    factor: Decimal | None = None

    def command(self) -> dict[str, Any]:
        cmd: dict[str, Any] = {"type": self.kind, "symbol": self.symbol, "reason": self.cause}
        if self.factor is not None:
            cmd["factor"] = str(self.factor)
        return cmd


@dataclass
class Outbox:
    """What the engine produced since the last `drain`."""

    alerts: list[Alert] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    quotes: list[QuoteRow] = field(default_factory=list)
    market: list[MarketRow] = field(default_factory=list)
    states: list[StateInterval] = field(default_factory=list)
    days: list[DayResult] = field(default_factory=list)


@dataclass(frozen=True)
class SymbolStatus:
    """One symbol right now (for `mmsla monitor status`)."""

    symbol: str
    day: str | None
    valid: bool
    eligible: bool
    reasons: tuple[str, ...]
    presence_pct: float | None
    budget_left_s: float | None
    breach_start_ns: int | None
    breach_reasons: tuple[str, ...]
    last_event_ns: int | None


_REASONS: dict[int, list[str]] = {}


def reason_names(mask: int) -> list[str]:
    """Reason names of a mask (memoised: there are few distinct masks)."""
    names = _REASONS.get(mask)
    if names is None:
        names = _REASONS[mask] = [r.value for r in reasons_from_mask(mask)]
    return list(names)


class _Day:
    """The local calendar day containing an instant, and its frame if it is a trading day."""

    __slots__ = ("day", "edges", "frame", "hi", "lo")

    def __init__(self, agreement: Agreement, tz: ZoneInfo, ts_ns: int) -> None:
        local = datetime.fromtimestamp(ts_ns // NS, tz=tz).date()
        self.day = local
        self.lo = local_ns(tz, local, 0)
        self.hi = local_ns(tz, local + timedelta(days=1), 0)
        self.frame: DayFrame | None = (
            day_frame(agreement, local) if agreement.calendar.is_trading_day(local) else None
        )
        edges = {self.hi}
        if self.frame is not None:
            edges |= {self.frame.start_ns, self.frame.end_ns}
            edges |= {t for iv in self.frame.excludes for t in iv}
        self.edges = sorted(e for e in edges if self.lo <= e <= self.hi)

    def eligible_clock(self, t: int) -> bool:
        f = self.frame
        if f is None or not f.start_ns <= t < f.end_ns:
            return False
        return not any(a <= t < b for a, b in f.excludes)


class _Sym:
    """Per-symbol live state."""

    def __init__(self, engine: MonitorEngine, symbol: str) -> None:
        cfg = engine.config
        self.symbol = symbol
        self.levels = engine.levels
        self.in_scope = engine.in_scope(symbol)
        self.ev = StreamingEvaluator(
            engine.agreement,
            symbol,
            px_scale=cfg.px_scale,
            qty_scale=cfg.qty_scale,
            levels=engine.levels,
        )
        z = [0] * engine.levels
        # the quote row in force before this batch: (bid_px, bid_qty, ask_px, ask_qty) as
        # (1, levels) arrays, and whether it is a fill
        self.cur_q: tuple[npt.NDArray[np.int64], ...] | None = None
        self.cur_key: tuple[tuple[int, ...], ...] | None = None  # the same row as a memo key
        self.cur_fill = False
        # (quote row, stressed) -> reason mask, when no term looks at the market: a batch of
        # a few events (the quiet case, where alert latency is measured) skips numpy
        self.memo: dict[tuple[Any, ...], int] | None = (
            {} if self.in_scope and not engine.agreement.terms_for(symbol).needs_market else None
        )
        self.cur_m: tuple[int, int, bool, bool] | None = None
        self.last_real: QuoteRow | None = None  # the last real quote (sides re-scaled on use)
        self.unknown = False
        self.zero = z
        self.q_ts = -(1 << 62)
        self.m_ts = -(1 << 62)
        self.reset_batch()
        # live breach state
        self.started = False
        self.clock = 0
        self.daynow: _Day | None = None
        self.edge_i = 0
        self.mask = 0
        self.excl = False
        self.fill_now = False
        # flags of the open states, kept with `open_states` (read at every event)
        self.stressed_now = False
        self.excluded_now = False
        self.breach: tuple[int, int, bool] | None = None  # (start_ns, mask, began_at_fill)
        # day so far
        self.fired: set[str] = set()
        self.so_far: DayResult | SoFar | None = None
        self.budget_left_ns: int | None = None
        self.last_recheck_ts = 0
        self.events_since = 0
        self.states: list[StateInterval] = []
        self.open_states: dict[str, int] = {}
        # actions
        self.widened = False
        self.pulled = False
        self.calm_since: int | None = None
        self.mids: deque[tuple[int, int]] = deque()

    def reset_batch(self) -> None:
        # quote rows of the batch; price/size lists are flat, `levels` values per row
        self.b_ts: list[int] = []
        self.b_bp: list[int] = []
        self.b_bq: list[int] = []
        self.b_ap: list[int] = []
        self.b_aq: list[int] = []
        self.b_fill: list[bool] = []
        self.m_ts_b: list[int] = []
        self.m_b: list[tuple[int, int, bool, bool]] = []
        # instants to check: time, rows in force (counts so far), flags, causing event
        self.i_ts: list[int] = []
        self.i_q: list[int] = []
        self.i_m: list[int] = []
        self.i_str: list[bool] = []
        self.i_excl: list[bool] = []
        self.i_fill: list[bool] = []
        self.i_ev: list[dict[str, Any] | None] = []  # the causing event (None: synthetic)

    def state_flags(self, excluded: frozenset[str]) -> None:
        """Refresh the open-state flags after `open_states` changed."""
        self.stressed_now = "stressed" in self.open_states
        self.excluded_now = not excluded.isdisjoint(self.open_states)


def _convert(cache: dict[str, int], text: str, scale: int) -> int:
    value = scaled_int(text, scale)
    if len(cache) > 200_000:
        cache.clear()
    cache[text] = value
    return value


class MonitorEngine:
    """Streaming obligation checks over decoded event dicts (see module docstring)."""

    def __init__(
        self,
        agreement: Agreement,
        config: MonitorConfig | None = None,
        *,
        wall_clock: Callable[[], float] | None = None,
    ) -> None:
        self.agreement = agreement
        self.config = config or MonitorConfig()
        self.tz = ZoneInfo(agreement.timezone)
        any_depth = agreement.defaults.depth is not None or any(
            i.terms.depth is not None for i in agreement.instruments
        )
        self.levels = self.config.levels if any_depth else 1
        self.syms: dict[str, _Sym] = {}
        self.out = Outbox()
        self.now_ns: int | None = None  # latest event time seen
        self.started = False
        self.stale_since: int | None = None
        self.events = 0
        self.rejected = 0
        self._dirty: set[str] = set()
        self._global_states: dict[str, int] = {}
        self._excluded = agreement.states.excluded()
        self._px_cache: dict[str, int] = {}
        self._qty_cache: dict[str, int] = {}
        self._pair_cache: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
        self._zero1: tuple[list[int], list[int]] = ([0], [0])
        # one-level quotes: (bid px, bid qty, ask px, ask qty) text -> the four scaled lists
        self._quad_cache: dict[
            tuple[str, str, str, str], tuple[list[int], list[int], list[int], list[int]]
        ] = {}
        self._clock = wall_clock
        self._last_recheck_wall = -1e18
        self._recheck_ns = ns_from_seconds(self.config.recheck_s)
        p = self.config.actions
        self._vol_window_ns = ns_from_seconds(p.vol_window_s)
        self._calm_ns = ns_from_seconds(p.calm_s)
        self._mstale_ns = (
            ns_from_seconds(p.pull_on_market_stale_s)
            if p.pull_on_market_stale_s is not None
            else None
        )

    # ---- helpers ----------------------------------------------------------------------
    def in_scope(self, symbol: str) -> bool:
        return not self.agreement.instruments or any(
            i.symbol == symbol for i in self.agreement.instruments
        )

    def _sym(self, symbol: str) -> _Sym:
        s = self.syms.get(symbol)
        if s is None:
            s = self.syms[symbol] = _Sym(self, symbol)
            for name, start in self._global_states.items():
                s.open_states[name] = start
            s.state_flags(self._excluded)
            if self.started:
                self._start(s, self._start_ts)
        return s

    def _start(self, s: _Sym, ts: int) -> None:
        s.started = True
        s.clock = ts
        s.daynow = _Day(self.agreement, self.tz, ts)
        s.edge_i = sum(1 for e in s.daynow.edges if e <= ts)
        s.last_recheck_ts = ts

    def _alert(
        self,
        kind: str,
        severity: Severity,
        ts: int,
        symbol: str | None,
        message: str,
        disc: str,
        day: date | None = None,
        **fields: Any,
    ) -> None:
        d = (day or datetime.fromtimestamp(ts // NS, tz=self.tz).date()).isoformat()
        self.out.alerts.append(
            Alert(alert_id(kind, symbol, d, disc), kind, severity, ts, symbol, message, fields)
        )

    def drain(self) -> Outbox:
        """Hand over what was produced since the last call."""
        out, self.out = self.out, Outbox()
        return out

    # ---- input ------------------------------------------------------------------------
    def _side(self, levels: list[list[str]]) -> tuple[list[int], list[int]]:
        """Scaled (px, qty) per level; qty 0 = absent. Repeated strings hit a cache.

        The lists returned may be shared between calls: callers copy, never mutate.
        """
        n = self.levels
        if n == 1 and levels.__class__ is list:
            # one level kept (no depth term): the common case, one cache lookup per side;
            # anything unusual takes the general path (same result, same errors)
            if not levels:
                return self._zero1
            lv = levels[0]
            if lv.__class__ is list and len(lv) == 2:
                key = (lv[0], lv[1])
                try:
                    hit = self._pair_cache.get(key)
                except TypeError:
                    return self._side_levels(levels, n)
                if hit is None:
                    hit = self._side_levels(levels, 1)
                    if len(self._pair_cache) > 200_000:
                        self._pair_cache.clear()
                    self._pair_cache[key] = hit
                return hit
        return self._side_levels(levels, n)

    def _side_levels(self, levels: list[list[str]], n: int) -> tuple[list[int], list[int]]:
        px = [0] * n
        qty = [0] * n
        pc, qc = self._px_cache, self._qty_cache
        for k, (p, q) in enumerate(levels[:n]):
            qi = qc.get(q)
            if qi is None:
                qi = _convert(qc, q, self.config.qty_scale)
                if qi < 0:
                    del qc[q]
                    raise ValueError(f"negative size {q!r}")
            if qi > 0:
                pi = pc.get(p)
                px[k] = pi if pi is not None else _convert(pc, p, self.config.px_scale)
                qty[k] = qi
        return px, qty

    def on_events(self, events: list[dict[str, Any]]) -> None:
        """Process one micro-batch of events in `seq` order (JSON dicts, decimals as strings)."""
        cfg = self.config
        ps = cfg.px_scale
        side, syms, dirty = self._side, self.syms, self._dirty
        quad = self._quad_cache
        quad_get, one_level = quad.get, self.levels == 1
        quotes_out = self.out.quotes
        for e in events:
            try:
                kind = e["type"]
                ts = int(e["ts_event"])
            except (KeyError, TypeError, ValueError):
                self.rejected += 1
                continue
            if not self.started and kind != "quote":
                # before the first quote nothing is evaluated; a publisher's clock may still
                # settle (e.g. wall-clock heartbeats before it follows the venue's clock)
                if kind == "heartbeat":
                    self.events += 1
                    continue
            elif self.now_ns is not None and ts < self.now_ns:
                ts = self.now_ns  # never let time run backwards: taken at the latest time seen
            if self.stale_since is not None:
                self._unstale(ts)
            self.now_ns = ts
            self.events += 1
            if kind == "quote":  # the hot path: `_push_q` and `_instant` inlined
                try:
                    sym = e["symbol"]
                    bids, asks = e["bids"], e["asks"]
                    # the usual one-level quote: one cache lookup for both sides (same
                    # result as `_side` twice; anything else, or a miss, takes `_side`)
                    hit = None
                    if (
                        one_level
                        and bids.__class__ is list
                        and asks.__class__ is list
                        and len(bids) == 1
                        and len(asks) == 1
                    ):
                        lb, la = bids[0], asks[0]
                        if (
                            lb.__class__ is list
                            and la.__class__ is list
                            and len(lb) == 2
                            and len(la) == 2
                        ):
                            qkey: tuple[str, str, str, str] | None = (lb[0], lb[1], la[0], la[1])
                            try:
                                hit = quad_get(qkey)  # type: ignore[arg-type]
                            except TypeError:  # unhashable cells: `_side` says what is wrong
                                qkey = None
                            if hit is None and qkey is not None:
                                bp, bq = side(bids)
                                ap, aq = side(asks)
                                if len(quad) > 200_000:
                                    quad.clear()
                                quad[qkey] = hit = (bp, bq, ap, aq)
                    if hit is None:
                        bp, bq = side(bids)
                        ap, aq = side(asks)
                    else:
                        bp, bq, ap, aq = hit
                except (KeyError, TypeError, ValueError):
                    self.rejected += 1
                    continue
                if not self.started:
                    self._begin(ts)
                s = syms.get(sym) or self._sym(sym)
                cause = e.get("cause")
                fill = cause == "fill"
                row: QuoteRow = (ts, sym, bids, asks, cause)
                s.last_real = row
                s.unknown = False
                b_ts = s.b_ts
                b_ts.append(ts)
                s.b_bp.extend(bp)
                s.b_bq.extend(bq)
                s.b_ap.extend(ap)
                s.b_aq.extend(aq)
                s.b_fill.append(fill)
                s.q_ts = ts
                quotes_out.append(row)
                if s.started:
                    s.i_ts.append(ts)
                    s.i_q.append(len(b_ts))
                    s.i_m.append(len(s.m_ts_b))
                    s.i_str.append(s.stressed_now)
                    s.i_excl.append(s.excluded_now)
                    s.i_fill.append(fill)
                    s.i_ev.append(e)
                    s.events_since += 1
                    dirty.add(sym)
            elif kind == "market":
                try:
                    sym = e["symbol"]
                    b, a = e.get("bid_px"), e.get("ask_px")
                    bi = scaled_int(b, ps) if b is not None else 0
                    ai = scaled_int(a, ps) if a is not None else 0
                except (KeyError, TypeError, ValueError):
                    self.rejected += 1
                    continue
                s = self._sym(sym)
                s.m_ts_b.append(ts)
                s.m_b.append((bi, ai, b is not None, a is not None))
                s.m_ts = ts
                self.out.market.append((ts, sym, b, a, e.get("bid_qty"), e.get("ask_qty")))
                self._instant(s, ts, False, e)
                if b is not None and a is not None:
                    self._vol(s, ts, bi + ai)
            elif kind == "state":
                self._state(e, ts)
            elif kind == "risk":
                self._risk(e, ts)
            elif kind == "heartbeat":
                self._heartbeat(ts)
        self._flush()

    def _begin(self, ts: int) -> None:
        self.started = True
        self._start_ts = ts
        for s in self.syms.values():
            self._start(s, ts)
        for inst in self.agreement.instruments:
            self._sym(inst.symbol)

    def _push_q(
        self,
        s: _Sym,
        ts: int,
        bp: list[int],
        bq: list[int],
        ap: list[int],
        aq: list[int],
        fill: bool,
        row: QuoteRow,
        e: dict[str, Any] | None,
    ) -> None:
        s.b_ts.append(ts)
        s.b_bp.extend(bp)
        s.b_bq.extend(bq)
        s.b_ap.extend(ap)
        s.b_aq.extend(aq)
        s.b_fill.append(fill)
        s.q_ts = ts
        self.out.quotes.append(row)
        self._instant(s, ts, fill, e)

    def _instant(self, s: _Sym, ts: int, fill: bool, e: dict[str, Any] | None) -> None:
        if not s.started:
            return
        s.i_ts.append(ts)
        s.i_q.append(len(s.b_ts))
        s.i_m.append(len(s.m_ts_b))
        s.i_str.append(s.stressed_now)
        s.i_excl.append(s.excluded_now)
        s.i_fill.append(fill)
        s.i_ev.append(e)
        s.events_since += 1
        self._dirty.add(s.symbol)

    # ---- silence and loss -------------------------------------------------------------
    def _synthetic(self, event: str) -> None:
        if self.now_ns is None or not self.started:
            return
        ts = self.now_ns
        for s in self.syms.values():
            z = [0] * self.levels
            self._push_q(s, ts, z, z, z, z, False, (ts, s.symbol, [], [], event), None)

    def mark_stale(self, silent_s: float) -> None:
        """No event for `silent_s` (wall clock): the silent time counts as NO_QUOTE."""
        if self.stale_since is not None:
            return
        ts = self.now_ns if self.now_ns is not None else 0
        self.stale_since = ts
        self._synthetic("stale")
        self._alert(
            "feed_stale",
            Severity.CRITICAL,
            ts,
            None,
            f"no event for {silent_s:.1f} s: the quoter may be dead; counted invalid",
            str(ts),
            silent_s=silent_s,
        )
        self._flush()

    def _unstale(self, ts: int) -> None:
        self.stale_since = None
        for s in self.syms.values():
            if s.last_real is not None and not s.unknown:
                row = s.last_real
                bp, bq = self._side(row[2])
                ap, aq = self._side(row[3])
                restored: QuoteRow = (ts, s.symbol, row[2], row[3], "restored")
                self._push_q(s, ts, bp, bq, ap, aq, False, restored, None)

    def mark_unknown(self, first_seq: int, last_seq: int) -> None:
        """Events `first..last` are lost for good: invalid until each symbol's next quote."""
        self._synthetic("unknown")
        for s in self.syms.values():
            s.unknown = True
        ts = self.now_ns or 0
        self._alert(
            "gap_detected",
            Severity.CRITICAL,
            ts,
            None,
            f"events {first_seq}..{last_seq} lost and not recovered; counted invalid",
            f"{first_seq}-{last_seq}",
            first_missing=first_seq,
            last_missing=last_seq,
            recovered=False,
        )
        self._flush()

    def gap_recovered(self, first_seq: int, last_seq: int) -> None:
        """Record that the replay filled `first..last` (call after feeding those events)."""
        ts = self.now_ns or 0
        self._alert(
            "gap_detected",
            Severity.WARNING,
            ts,
            None,
            f"events {first_seq}..{last_seq} missed and recovered by replay",
            f"{first_seq}-{last_seq}",
            first_missing=first_seq,
            last_missing=last_seq,
            recovered=True,
        )

    # ---- states, risk, heartbeats and actions ----------------------------------------
    def _state(self, e: dict[str, Any], ts: int) -> None:
        name = e.get("state")
        sym = e.get("symbol")
        active = bool(e.get("active"))
        if name not in ("stressed", "exceptional", "halt", "auction"):
            self.rejected += 1
            return
        if not self.started:
            self._begin(ts)
        targets = list(self.syms.values()) if sym in (None, "", "*") else [self._sym(sym)]
        if sym in (None, "", "*"):
            if active:
                self._global_states.setdefault(name, ts)
            else:
                self._global_states.pop(name, None)
        for s in targets:
            if active and name not in s.open_states:
                s.open_states[name] = ts
                s.state_flags(self._excluded)
                self._instant(s, ts, False, e)
            elif not active and name in s.open_states:
                start = s.open_states.pop(name)
                s.state_flags(self._excluded)
                if ts > start:  # opened and closed at one instant: no time, no interval
                    iv = StateInterval(start, ts, s.symbol, name, e.get("reason"))
                    s.states.append(iv)
                    s.ev.push_state(iv)
                    self.out.states.append(iv)
                self._instant(s, ts, False, e)
            if name == "stressed":
                if active and self.config.actions.widen_on_stressed:
                    self._widen(s, ts, "market stressed")
                elif not active:
                    s.calm_since = ts

    def _widen(self, s: _Sym, ts: int, cause: str) -> None:
        s.calm_since = None
        if not s.widened:
            s.widened = True
            self._act(Action("widen", s.symbol, cause, ts, self.config.actions.widen_factor))

    def _act(self, action: Action) -> None:
        self.out.actions.append(action)
        factor = f" x{action.factor}" if action.factor is not None else ""
        self._alert(
            "action",
            Severity.WARNING if action.kind != "resume" else Severity.INFO,
            action.ts_ns,
            action.symbol,
            f"{action.kind}{factor}: {action.cause}",
            f"{action.kind}:{action.ts_ns}",
            action=action.kind,
            cause=action.cause,
            factor=str(action.factor) if action.factor is not None else None,
        )

    def _vol(self, s: _Sym, ts: int, mid2: int) -> None:
        bps = self.config.actions.vol_jump_bps
        if bps is None:
            return
        d = s.mids
        while d and ts - d[0][0] > self._vol_window_ns:
            d.popleft()
        d.append((ts, mid2))
        lo = min(m for _, m in d)
        hi = max(m for _, m in d)
        n, den = Fraction(bps).numerator, Fraction(bps).denominator
        if lo > 0 and (hi - lo) * 10_000 * den > n * lo:
            window = self.config.actions.vol_window_s
            self._widen(s, ts, f"volatility jump > {bps} bps in {window} s")
            d.clear()
            d.append((ts, mid2))

    def _risk(self, e: dict[str, Any], ts: int) -> None:
        decision = str(e.get("decision", "")).lower()
        if not self.config.actions.pull_on_kill:
            return
        if decision in ("kill", "kill_switch", "halted", "halt"):
            self._act(Action("pull", "*", f"risk: {decision}", ts))
            for s in self.syms.values():
                s.pulled = True
                s.calm_since = None

    def _heartbeat(self, ts: int) -> None:
        for s in self.syms.values():
            if s.started:
                self._instant(s, ts, False, None)
        if self._mstale_ns is None:
            return
        for s in self.syms.values():
            if s.m_ts > -(1 << 62) and not s.pulled and ts - s.m_ts > self._mstale_ns:
                s.pulled = True
                s.calm_since = None
                self._act(
                    Action(
                        "pull",
                        s.symbol,
                        f"no market data for {(ts - s.m_ts) / NS:.1f} s (venue feed stale)",
                        ts,
                    )
                )

    def _maybe_resume(self, s: _Sym, ts: int) -> None:
        if not (s.widened or s.pulled) or "stressed" in s.open_states:
            return
        if s.pulled and (self._mstale_ns is None or ts - s.m_ts > self._mstale_ns):
            return
        if s.pulled and s.calm_since is None:
            s.calm_since = s.m_ts
        if s.calm_since is None:
            s.calm_since = ts
        if ts - s.calm_since >= self._calm_ns:
            s.widened = s.pulled = False
            s.calm_since = None
            self._act(Action("resume", s.symbol, "conditions cleared", ts))

    # ---- batch evaluation -------------------------------------------------------------
    def _flush(self) -> None:
        for name in self._dirty:
            s = self.syms[name]
            self._evaluate(s)
        self._dirty.clear()
        now = self.now_ns
        if now is None:
            return
        wall = self._clock() if self._clock is not None else None
        gated = wall is not None and (
            wall - self._last_recheck_wall < float(self.config.recheck_min_wall_s)
        )
        rechecked = False
        for s in self.syms.values():
            if not s.started:
                continue
            self._advance(s, now)
            self._maybe_resume(s, now)
            due = s.events_since and (
                s.events_since >= self.config.recheck_events
                or now - s.last_recheck_ts >= self._recheck_ns
            )
            if due and not gated:  # O(day) work, at most every recheck_min_wall_s of wall time
                self._recheck(s, now)
                rechecked = True
        if rechecked and wall is not None:
            self._last_recheck_wall = wall

    def _evaluate(self, s: _Sym) -> None:
        n_q = len(s.b_ts)
        rows: tuple[npt.NDArray[np.int64], ...] = ()
        if n_q:
            shape = (n_q, self.levels)
            bp, bq, ap, aq = rows = tuple(
                np.asarray(col, np.int64).reshape(shape) for col in (s.b_bp, s.b_bq, s.b_ap, s.b_aq)
            )
            s.ev.push_quotes(
                np.asarray(s.b_ts, np.int64), bp, bq, ap, aq, np.asarray(s.b_fill, bool)
            )
        if s.m_b:
            m = np.asarray([r[:2] for r in s.m_b], np.int64)
            ok = np.asarray([r[2:] for r in s.m_b], bool)
            s.ev.push_market(np.asarray(s.m_ts_b, np.int64), m[:, 0], m[:, 1], ok[:, 0], ok[:, 1])
        if s.i_ts and s.in_scope:
            self._walk(s, self._memo_masks(s, rows))
        # remember the rows in force for the next batch
        if n_q:
            s.cur_q = tuple(r[-1:] for r in rows)
            a = (n_q - 1) * self.levels
            s.cur_key = tuple(tuple(c[a:]) for c in (s.b_bp, s.b_bq, s.b_ap, s.b_aq))
            s.cur_fill = s.b_fill[-1]
        if s.m_b:
            s.cur_m = s.m_b[-1]
        s.reset_batch()

    def _memo_masks(
        self, s: _Sym, rows: tuple[npt.NDArray[np.int64], ...]
    ) -> npt.NDArray[np.int64]:
        """`_masks`, through the symbol's memo for batches of up to `MEMO_BATCH` instants."""
        memo = s.memo
        if memo is None or len(s.i_ts) > MEMO_BATCH:
            return self._masks(s, rows)
        nl = self.levels
        keys: list[tuple[Any, ...]] = []
        for k, r in enumerate(s.i_q):  # r rows of this batch in force: row r - 1 (0: before)
            if r:
                a, b = (r - 1) * nl, r * nl
                row = tuple(tuple(c[a:b]) for c in (s.b_bp, s.b_bq, s.b_ap, s.b_aq))
            elif s.cur_key is not None:
                row = s.cur_key
            else:
                return self._masks(s, rows)  # no quote yet: NO_QUOTE, not memoised
            keys.append((row, s.i_str[k]))
        got = [memo.get(key) for key in keys]
        if None not in got:
            return np.asarray(got, np.int64)
        masks = self._masks(s, rows)
        if len(memo) > 100_000:
            memo.clear()
        for key, m in zip(keys, masks.tolist(), strict=True):
            memo[key] = m
        return masks

    def _masks(self, s: _Sym, rows: tuple[npt.NDArray[np.int64], ...]) -> npt.NDArray[np.int64]:
        """Reason mask at every instant of the batch (one vectorised call)."""
        cfg, nl = self.config, self.levels
        cols: list[npt.NDArray[np.int64]] = list(rows) or [np.zeros((0, nl), np.int64)] * 4
        fills = s.b_fill
        off = 0
        if s.cur_q is not None:
            off = 1
            cols = [np.concatenate((c0, c)) for c0, c in zip(s.cur_q, cols, strict=True)]
            fills = [s.cur_fill, *fills]
        z = np.zeros(cols[0].shape[0], np.int64)
        bp, bq, ap, aq = cols
        q = QuoteArrays(
            s.symbol, z, bp, bq, ap, aq, np.asarray(fills, bool), cfg.px_scale, cfg.qty_scale
        )
        m_rows = ([s.cur_m] if s.cur_m is not None else []) + s.m_b
        moff = 1 if s.cur_m is not None else 0
        market = None
        if m_rows:
            mm = np.asarray([r[:2] for r in m_rows], np.int64)
            ok = np.asarray([r[2:] for r in m_rows], bool)
            zm = np.zeros(len(m_rows), np.int64)
            market = MarketArrays(
                s.symbol, zm, mm[:, 0], mm[:, 1], zm, zm, ok[:, 0], ok[:, 1], cfg.px_scale, 0
            )
        qi = np.asarray(s.i_q, np.int64) + (off - 1)
        mi = np.asarray(s.i_m, np.int64) + (moff - 1)
        stressed = np.asarray(s.i_str, bool)
        return segment_mask(self.agreement, s.symbol, q, market, qi, mi, stressed).astype(np.int64)

    def _walk(self, s: _Sym, masks: npt.NDArray[np.int64]) -> None:
        """Breach state through the batch's instants, visiting only those where it may change.

        Between two instants nothing changes but the clock, and `_advance` handles the
        clock's edges (window, exclusions, day end), so only instants whose (mask,
        excluded) differ from the previous instant's need `_update`: a steady feed costs
        O(changes) Python steps per batch, not O(events).
        """
        key = masks * 2 + np.asarray(s.i_excl, np.int64)
        prev = np.empty_like(key)
        prev[0] = s.mask * 2 + s.excl
        prev[1:] = key[:-1]
        ts_list = s.i_ts
        for k in np.flatnonzero(key != prev).tolist():
            ts = ts_list[k]
            self._advance(s, ts)
            s.mask = int(masks[k])
            s.excl = s.i_excl[k]
            s.fill_now = s.i_fill[k]
            e = s.i_ev[k]
            if e is None:
                self._update(s, ts, 0, 0)
            else:
                self._update(s, ts, e.get("seq", 0), e.get("ts_init", 0))
        self._advance(s, ts_list[-1])

    def _advance(self, s: _Sym, ts: int) -> None:
        """Cross eligibility edges in (clock, ts]: window, exclusions, day end, midnight."""
        d = s.daynow
        assert d is not None
        while s.edge_i < len(d.edges) and d.edges[s.edge_i] <= ts:
            t = d.edges[s.edge_i]
            s.edge_i += 1
            s.clock = t
            if d.frame is not None and t == d.frame.end_ns:
                self._update(s, t, 0, 0)
                self._close_day(s, d)
            if t == d.hi:
                d = s.daynow = _Day(self.agreement, self.tz, t)
                s.edge_i = sum(1 for e in d.edges if e <= t)
                s.fired = set()
                s.so_far = None
                s.budget_left_ns = None
            self._update(s, t, 0, 0)
        s.clock = max(s.clock, ts)

    def _update(self, s: _Sym, t: int, seq: int, ts_init: int) -> None:
        d = s.daynow
        assert d is not None
        bad = s.in_scope and s.mask != 0 and not s.excl and d.eligible_clock(t)
        b = s.breach
        if b is not None and (not bad or b[1] != s.mask):
            start, mask, _at_fill = b
            reasons = reason_names(mask)
            dur_s = (t - start) / NS
            self._alert(
                "breach_closed",
                Severity.INFO,
                t,
                s.symbol,
                f"{'+'.join(reasons)} ended after {dur_s:.3f} s",
                str(start),
                day=d.day,
                reasons=reasons,
                duration_s=dur_s,
                start_ns=start,
                seq=seq,
            )
            s.breach = None
        if bad and s.breach is None:
            s.breach = (t, s.mask, s.fill_now)
            reasons = reason_names(s.mask)
            self._alert(
                "breach_opened",
                Severity.WARNING,
                t,
                s.symbol,
                f"quote invalid: {'+'.join(reasons)}",
                str(t),
                day=d.day,
                reasons=reasons,
                start_ns=t,
                seq=seq,
                event_ts_init=ts_init,
            )

    def _push_open_states(self, s: _Sym, until: int, *, persist: bool = False) -> None:
        """States still open count up to `until` (intervals overlap; evaluation merges them)."""
        for name, start in s.open_states.items():
            if until > start:
                iv = StateInterval(start, until, s.symbol, name)
                s.states.append(iv)
                s.ev.push_state(iv)
                if persist:
                    self.out.states.append(iv)

    def _close_day(self, s: _Sym, d: _Day) -> None:
        assert d.frame is not None
        self._push_open_states(s, d.frame.end_ns, persist=True)
        if s.in_scope:
            result = s.ev.close_day(d.day)
            self.out.days.append(result)
            self._budget(s, result, d, final=True)
        s.states = [iv for iv in s.states if iv.end_ns > d.frame.end_ns]

    def _recheck(self, s: _Sym, now: int) -> None:
        s.events_since = 0
        s.last_recheck_ts = now
        d = s.daynow
        if d is None or d.frame is None or not s.in_scope or now <= d.frame.start_ns:
            return
        if now >= d.frame.end_ns:
            return
        # incremental: O(rows since the last re-check), the same figures as day_so_far
        result = s.ev.so_far(d.day, now, s.open_states)
        self._budget(s, result, d, final=False)

    def _budget(self, s: _Sym, so_far: DayResult | SoFar, d: _Day, *, final: bool) -> None:
        s.so_far = so_far
        presence = self.agreement.terms_for(s.symbol).presence
        if presence is None or d.frame is None:
            return
        now = self.now_ns if self.now_ns is not None else d.frame.end_ns
        known = s.states + [
            StateInterval(start, now, s.symbol, name)
            for name, start in s.open_states.items()
            if not final and now > start
        ]
        excluded = state_intervals(known, s.symbol, self.agreement.states.excluded())
        full = eligible_intervals(d.frame, excluded)
        if so_far.samples_eligible is not None:
            samples = sample_times(self.agreement, d.frame)
            assert samples is not None
            total = sum(
                int(np.searchsorted(samples, b, "left") - np.searchsorted(samples, a, "left"))
                for a, b in full
            )
            used = so_far.samples_eligible - (so_far.samples_valid or 0)
            valid = so_far.samples_valid or 0
            unit_ns = ns_from_seconds(self.agreement.measurement.interval_s or Decimal(1))
        else:
            total = sum(b - a for a, b in full)
            used = so_far.eligible_ns - so_far.valid_ns
            valid = so_far.valid_ns
            unit_ns = 1
        budget = Fraction(total) * (100 - Fraction(presence.min_pct)) / 100
        left = budget - used
        s.budget_left_ns = int(left * unit_ns) if left > 0 else 0
        ts = min(self.now_ns or d.frame.end_ns, d.frame.end_ns)
        if budget > 0:
            used_pct = Fraction(used) * 100 / budget
            for share in self.config.budget_warn_pct:
                key = f"warn{share}"
                if used_pct >= Fraction(share) and key not in s.fired and used <= budget:
                    s.fired.add(key)
                    self._alert(
                        "budget_warning",
                        Severity.WARNING,
                        ts,
                        s.symbol,
                        f"{float(used_pct):.1f}% of the day's invalid-time budget used",
                        str(share),
                        day=d.day,
                        used_pct=float(used_pct),
                        budget_left_s=s.budget_left_ns / NS,
                    )
        if used > budget and "fail" not in s.fired:
            s.fired.add("fail")
            self._alert(
                "daily_fail_certain",
                Severity.CRITICAL,
                ts,
                s.symbol,
                f"presence cannot reach {presence.min_pct}% today: budget exhausted",
                "",
                day=d.day,
            )
        reached = total and Fraction(valid) * 100 >= Fraction(presence.min_pct) * total
        if reached and "secured" not in s.fired:
            s.fired.add("secured")
            self._alert(
                "obligation_secured",
                Severity.INFO,
                ts,
                s.symbol,
                f"presence {presence.min_pct}% reached for the day",
                "",
                day=d.day,
            )

    # ---- output -----------------------------------------------------------------------
    def finish(self) -> None:
        """End of stream: evaluate the current day of every symbol as a whole day (like check)."""
        for s in self.syms.values():
            d = s.daynow
            if not s.started or d is None or d.frame is None or not s.in_scope:
                continue
            if self.now_ns is not None and self.now_ns >= d.frame.end_ns:
                continue
            self._push_open_states(s, d.frame.end_ns, persist=True)
            self.out.days.append(s.ev.close_day(d.day))

    def status(self) -> list[SymbolStatus]:
        """Every symbol's live view."""
        out = []
        for s in self.syms.values():
            d = s.daynow
            elig = bool(d and s.in_scope and not s.excl and d.eligible_clock(s.clock))
            b = s.breach
            out.append(
                SymbolStatus(
                    s.symbol,
                    d.day.isoformat() if d else None,
                    s.mask == 0,
                    elig,
                    tuple(r.value for r in reasons_from_mask(s.mask)),
                    s.so_far.presence_pct if s.so_far is not None else None,
                    s.budget_left_ns / NS if s.budget_left_ns is not None else None,
                    b[0] if b else None,
                    tuple(r.value for r in reasons_from_mask(b[1])) if b else (),
                    max(s.q_ts, s.m_ts) if max(s.q_ts, s.m_ts) > -(1 << 62) else None,
                )
            )
        return out


__all__ = ["Action", "MonitorEngine", "Outbox", "Reason", "SymbolStatus"]
