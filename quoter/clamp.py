"""The obligation clamp (pure): make a desired ladder valid under the agreement before it leaves.

`ObligationClamp(terms, states, instrument, tick_size)` checks and fixes a
`Ladder` (integer ticks/lots) for one instrument:

- max spread: never above the applicable limit (unit abs|ticks|bps|pct of
  reference own_mid|market_mid|bid|ask; times the stressed spread multiplier
  while the venue flags stress). A too-wide quote is narrowed around its own
  centre; deeper levels move with their best level. The test is the same exact,
  inclusive cross-multiplication as `mmsla.obligations.validity` (a `ticks`
  limit uses the agreement's `tick_size`, and like the checker, the raw value
  when the agreement gives none).
- min size: each side's best level is raised to at least the minimum (qty, or
  notional -> ceil(notional / price) in lots; times the stressed size
  multiplier), rounded up to whole lots.
- two-sided: the clamp never removes a side (only risk pulls, elsewhere).
- safety buffer (`buffer_ticks`, default 0): the spread is kept narrow enough
  that it would still pass with either side `buffer_ticks` further out, so a
  fill that takes the best level (making the next one best) does not breach
  before the requote lands. When the buffer cannot fit, the plain limit applies.

Each change is reported as a `ClampAction` (the app publishes it); a limit that
no one-tick-wide quote can meet is reported as `unmeetable` and left as is.
Not here: terms over time (presence, uptime), depth and price bands, I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from mmsla.domain.agreement import StatesPolicy, Terms
from quoter.intents import Instrument
from quoter.pricing.ladder import Ladder

__all__ = ["ClampAction", "ClampResult", "ObligationClamp"]


@dataclass(frozen=True, slots=True)
class ClampAction:
    """One change the clamp made: `kind` spread|size|unmeetable, the side (or None), detail."""

    kind: str
    side: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class ClampResult:
    """The ladder made valid and what was changed. `kinds`: the (kind, side) of
    each action, computed once (results are memoised and compared on every
    update to publish a clamp event only when what is clamped changes)."""

    ladder: Ladder
    actions: tuple[ClampAction, ...]
    kinds: tuple[tuple[str, str | None], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", tuple([(a.kind, a.side) for a in self.actions]))

    @property
    def clamped(self) -> bool:
        return bool(self.actions)


def _ceil_div(num: Decimal, den: Decimal) -> int:
    q, r = divmod(num, den)
    return int(q) + (1 if r > 0 else 0)


class ObligationClamp:
    """Clamps ladders of one instrument to its agreement terms (see the module docstring)."""

    def __init__(
        self,
        terms: Terms,
        states: StatesPolicy,
        instrument: Instrument,
        tick_size: Decimal | None = None,
        *,
        buffer_ticks: int = 0,
    ) -> None:
        if buffer_ticks < 0:
            raise ValueError("buffer_ticks must be >= 0")
        self.terms = terms
        self.buffer_ticks = buffer_ticks
        self.instrument = instrument
        self._stress_spread = states.stressed_spread_multiplier
        self._stress_size = states.stressed_size_multiplier
        self._tick_size = tick_size
        # exact ratios, computed once: the limit (unstressed, stressed), the tick, the unit
        ms = terms.max_spread
        self._ratios: tuple[tuple[int, int], tuple[int, int]] | None = None
        if ms is not None:
            self._ratios = (
                ms.value.as_integer_ratio(),
                (ms.value * self._stress_spread).as_integer_ratio(),
            )
        self._tick_ratio = instrument.tick.as_integer_ratio()
        unit_px = tick_size if ms is not None and ms.unit == "ticks" and tick_size else Decimal(1)
        self._unit_ratio = unit_px.as_integer_ratio()
        # whether `apply` looks at `market` at all (callers may skip computing it)
        self.needs_market = (
            ms is not None
            and ms.unit not in ("abs", "ticks")
            and (ms.reference not in ("own_mid", "bid", "ask"))
        )
        # memo of the spread fix, a pure function of (bid, ask, stressed[, market]):
        # the same few quotes recur as the market moves back and forth
        self._spread_memo: dict[
            tuple[int, int, bool, tuple[int, int] | None], tuple[int, int, ClampAction | None]
        ] = {}
        self._apply_memo: dict[
            tuple[int, bool, tuple[int, int] | None], tuple[Ladder, ClampResult]
        ] = {}
        # the quantity minimum does not depend on the price: once per stress flag
        self._min_qty_lots: dict[bool, int] = {}

    # ---- spread --------------------------------------------------------------------

    def _limit(self, stressed: bool) -> tuple[int, int]:
        """The spread limit value (times the stressed multiplier) as an exact ratio."""
        assert self._ratios is not None
        return self._ratios[1] if stressed else self._ratios[0]

    def spread_ok(
        self,
        bid_ticks: int,
        ask_ticks: int,
        *,
        stressed: bool = False,
        market: tuple[int, int] | None = None,
    ) -> bool:
        """True when the spread is within the applicable max (inclusive, exact)."""
        ms = self.terms.max_spread
        if ms is None:
            return True
        vn, vd = self._limit(stressed)
        w = ask_ticks - bid_ticks
        if ms.unit in ("abs", "ticks"):
            tn, td = self._tick_ratio
            un, ud = self._unit_ratio
            # w * tick <= value * unit_px  <=>  w*tn*ud*vd <= vn*un*td
            return w * tn * ud * vd <= vn * un * td
        per = 10_000 if ms.unit == "bps" else 100
        ref = self._reference(ms.reference, bid_ticks, ask_ticks, market)
        if ref is None:
            return False
        r, f = ref
        return w * per * f * vd <= vn * r

    @staticmethod
    def _reference(
        reference: str, bid: int, ask: int, market: tuple[int, int] | None
    ) -> tuple[int, int] | None:
        if reference == "own_mid":
            return bid + ask, 2
        if reference == "bid":
            return bid, 1
        if reference == "ask":
            return ask, 1
        if market is None:
            return None
        return market[0] + market[1], 2

    def max_width_ticks(
        self,
        bid_ticks: int,
        ask_ticks: int,
        *,
        stressed: bool = False,
        market: tuple[int, int] | None = None,
    ) -> int | None:
        """A first estimate of the widest allowed spread at these prices (None = no limit)."""
        ms = self.terms.max_spread
        if ms is None:
            return None
        vn, vd = self._limit(stressed)
        tn, td = self._tick_ratio
        if ms.unit in ("abs", "ticks"):
            un, ud = self._unit_ratio
            return (vn * un * td) // (tn * ud * vd)
        per = 10_000 if ms.unit == "bps" else 100
        ref = self._reference(ms.reference, bid_ticks, ask_ticks, market)
        if ref is None:
            return None
        r, f = ref
        return (vn * r) // (per * f * vd)

    # ---- size ----------------------------------------------------------------------

    def min_lots(self, px_ticks: int, *, stressed: bool = False) -> int:
        """Smallest best-level size in lots that meets `min_size` at `px_ticks` (0 = none)."""
        mz = self.terms.min_size
        if mz is None:
            return 0
        mult = self._stress_size if stressed else Decimal(1)
        inst = self.instrument
        if mz.qty is not None:
            n = self._min_qty_lots.get(stressed)
            if n is None:
                n = self._min_qty_lots[stressed] = _ceil_div(mz.qty * mult, inst.lot)
            return n
        assert mz.notional is not None
        if px_ticks <= 0:
            return 0
        return _ceil_div(mz.notional * mult, inst.lot * inst.tick * px_ticks)

    # ---- the clamp -----------------------------------------------------------------

    def apply(
        self,
        ladder: Ladder,
        *,
        stressed: bool = False,
        market: tuple[int, int] | None = None,
    ) -> ClampResult:
        """The ladder made valid (as far as a quote can be), and what was changed.

        Memoised: the result is a pure function of (ladder, stressed, and market
        when `needs_market`), immutable, and the strategy's few ladders recur."""
        # keyed by the ladder's identity (the strategy hands out the same few ladder
        # objects; hashing one by value costs more than the lookup saves), checked
        # against the ladder kept with the result, so a recycled id never matches
        key = (id(ladder), stressed, market if self.needs_market else None)
        memo = self._apply_memo
        hit = memo.get(key)
        if hit is not None and hit[0] is ladder:
            return hit[1]
        if len(memo) >= 4096:
            memo.clear()
        result = self._apply(ladder, stressed, market)
        memo[key] = (ladder, result)
        return result

    def _apply(self, ladder: Ladder, stressed: bool, market: tuple[int, int] | None) -> ClampResult:
        actions: list[ClampAction] = []
        bids, asks = list(ladder.bids), list(ladder.asks)
        if bids and asks and self.terms.max_spread is not None:
            b, a = bids[0][0], asks[0][0]
            nb, na, action = self._spread_fix(b, a, stressed, market)
            if action is not None:
                actions.append(action)
                if action.kind == "spread":
                    db, da = nb - b, a - na
                    bids = [(px + db, q) for px, q in bids]
                    asks = [(px - da, q) for px, q in asks]
        if self.terms.min_size is not None:
            if bids:
                need = self.min_lots(bids[0][0], stressed=stressed)
                if bids[0][1] < need:
                    actions.append(ClampAction("size", "bid", f"{bids[0][1]} -> {need} lots"))
                    bids[0] = (bids[0][0], need)
            if asks:
                need = self.min_lots(asks[0][0], stressed=stressed)
                if asks[0][1] < need:
                    actions.append(ClampAction("size", "ask", f"{asks[0][1]} -> {need} lots"))
                    asks[0] = (asks[0][0], need)
        if not actions:
            return ClampResult(ladder, ())
        return ClampResult(Ladder(tuple(bids), tuple(asks)), tuple(actions))

    def _spread_fix(
        self, b: int, a: int, stressed: bool, market: tuple[int, int] | None
    ) -> tuple[int, int, ClampAction | None]:
        """(bid, ask, what was done): the quote made valid for the max spread (memoised)."""
        key = (b, a, stressed, market if self.needs_market else None)
        hit = self._spread_memo.get(key)
        if hit is not None:
            return hit
        result: tuple[int, int, ClampAction | None] = (b, a, None)
        if not self._buffered_ok(b, a, stressed, market):
            nb, na = self._narrow_buffered(b, a, stressed, market)
            if self.spread_ok(nb, na, stressed=stressed, market=market):
                detail = f"spread {a - b} -> {na - nb} ticks"
                if stressed:
                    detail += " (stressed)"
                result = (nb, na, ClampAction("spread", None, detail))
            else:
                unmeetable = f"max spread unmeetable at {b}/{a} ticks"
                result = (b, a, ClampAction("unmeetable", None, unmeetable))
        if len(self._spread_memo) >= 4096:
            self._spread_memo.clear()
        self._spread_memo[key] = result
        return result

    def _buffered_ok(self, b: int, a: int, stressed: bool, market: tuple[int, int] | None) -> bool:
        """Valid now, and still valid with either side `buffer_ticks` further out."""
        if not self.spread_ok(b, a, stressed=stressed, market=market):
            return False
        buf = self.buffer_ticks
        return buf == 0 or (
            self.spread_ok(b - buf, a, stressed=stressed, market=market)
            and self.spread_ok(b, a + buf, stressed=stressed, market=market)
        )

    def _narrow_buffered(
        self, b: int, a: int, stressed: bool, market: tuple[int, int] | None
    ) -> tuple[int, int]:
        """Narrow so the quote passes with the buffer; without it when the buffer cannot fit."""
        nb, na = self._narrow(b, a, stressed, market)
        if self.buffer_ticks == 0:
            return nb, na
        # narrow one tick at a time (alternating sides) until the buffered test passes
        for i in range(4 * self.buffer_ticks + 2):
            if self._buffered_ok(nb, na, stressed, market):
                return nb, na
            if na - nb <= 1:
                break
            if i % 2 == 0:
                na -= 1
            else:
                nb += 1
        return self._narrow(b, a, stressed, market)

    def _narrow(
        self, b: int, a: int, stressed: bool, market: tuple[int, int] | None
    ) -> tuple[int, int]:
        """Narrow (b, a) around its centre until the spread passes (at least one tick wide)."""
        w_max = self.max_width_ticks(b, a, stressed=stressed, market=market)
        if w_max is None:
            return b, a
        w_max = max(w_max, 1)
        cut = (a - b) - w_max
        if cut > 0:
            b, a = b + cut // 2, a - (cut - cut // 2)
        # references that move with our own prices (own_mid, bid, ask): settle exactly
        for i in range(64):
            if a - b <= 1 or self.spread_ok(b, a, stressed=stressed, market=market):
                break
            if i % 2 == 0:
                a -= 1
            else:
                b += 1
        return b, a
