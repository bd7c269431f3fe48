"""Pre-trade risk: `RiskEngine.check` on every outgoing intent; kill switch; trading state.

`check(intent, now_ns)` returns `APPROVED` or a `Denied(reason, detail)`: a
denial is data (and a `RiskDenied` event), never an exception. Checks, each off
when its limit is None (see `SymbolLimits` and `RiskConfig`):

- order size (lots) and notional; price collar around the reference price (bps);
- net position per symbol, as if this order and every open order on its side
  filled: |pos + side * (open_same_side + qty)| <= max;
- gross notional per symbol: |pos| * mark + every open order's notional + this
  order's notional <= max (mark = reference price, else the last fill price; a
  position set by `set_position` before either is known counts as 0);
- the same two in total across symbols, in money: net = signed position
  notional plus open notional on the order's side; gross = the sum of the
  symbols' gross figures;
- message rate in a sliding window (`rate_window_ns`): at most `max_msgs` in any
  half-open window (t - w, t]; new orders, replaces and cancels all count, but a
  cancel is never denied (it only lowers risk);
- vega per underlying (off unless configured): the book's vega on the option's
  underlying (positions times each option's vega, `set_vega`) as if this order
  and every open order on its side of the same option filled must stay within
  `max_abs_vega_per_pt[underlying]`, and the sum over underlyings of |vega|
  within `max_total_abs_vega_per_pt`, unless the order reduces that |vega|
  (a vega-reducing order passes when over the limit). Exact (Decimal); a
  symbol without a vega set (the underlying itself, a future) has none;
- open orders (pending new included); the loss limit (`update_pnl`), which
  halts trading and engages the kill switch when the day's realised +
  unrealised PnL falls below -max_daily_loss (a loss exactly at the limit is
  allowed);
- trading state: ACTIVE; REDUCE_ONLY (an order passes only if, with its side's
  open orders, it reduces |position| without flipping it); HALTED (no new order);
- kill switch: `engage_kill_switch` returns every open order id to cancel and
  blocks every new order until `resume`;
- disconnect: `on_disconnect` assumes every order gone (the venue cancels on
  disconnect) and blocks new orders until `on_rebuilt` reinstates the venue's view.

Hot path: limits are pre-converted to integers at construction (lots, ticks,
and a common integer money unit across instruments), so `check` does integer
arithmetic and dictionary look-ups only; it allocates only when it approves
(the open-order record) or denies.

Not here: the order-state machine (`quoter.intents`), PnL (`quoter.inventory`:
the caller passes the day's PnL to `update_pnl`), day boundaries, I/O, clocks.
The engine trusts the caller to report fills and closed orders (`on_fill`,
`on_order_closed`); it never talks to a venue itself.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from mmsla.domain import Side
from quoter.intents import CancelIntent, Instrument, Intent, OrderIntent, ReplaceIntent
from quoter.risk.events import (
    APPROVED,
    Approved,
    Denied,
    DenyReason,
    KillSwitchChanged,
    RebuildRequired,
    Rebuilt,
    RiskDenied,
    RiskEvent,
    TradingState,
    TradingStateChanged,
)
from quoter.risk.limits import RiskConfig, SymbolLimits

__all__ = ["Exposure", "RiskEngine"]

# enum members as module constants: on Python 3.11 `Enum.MEMBER` costs about four
# times a global lookup, and `check_terms` runs for every order on the quote path
_BUY = Side.BUY
_HALTED = TradingState.HALTED
_REDUCE_ONLY = TradingState.REDUCE_ONLY


@dataclass(frozen=True, slots=True)
class Exposure:
    """One symbol's running exposure: position, open order lots per side, open notional, mark."""

    symbol: str
    position_lots: int
    open_buy_lots: int
    open_sell_lots: int
    open_notional: Decimal
    mark: Decimal


# ---- internals ------------------------------------------------------------------------


def _floor_units(amount: Decimal | None, unit: Decimal) -> int | None:
    """Largest integer n with n * unit <= amount (None stays None)."""
    if amount is None:
        return None
    if amount < 0:
        raise ValueError(f"limit {amount} must not be negative")
    return int(amount // unit)


class _Sym:
    """Pre-converted limits and running exposure of one symbol."""

    __slots__ = (
        "collar_den",
        "collar_num",
        "instrument",
        "limits",
        "mark_ticks",
        "max_gross",
        "max_net_lots",
        "max_notional",
        "max_qty_lots",
        "money_mult",
        "open_buy_lots",
        "open_notional",
        "open_sell_lots",
        "pos_lots",
        "projects",
        "ref_ticks",
        "underlying",
        "unit",
        "vega_lot",
    )

    def __init__(self, instrument: Instrument, limits: SymbolLimits, money_mult: int) -> None:
        unit = instrument.tick * instrument.lot  # money of 1 tick x 1 lot
        self.instrument = instrument
        self.limits = limits
        self.unit = unit
        self.money_mult = money_mult  # 1 tick x 1 lot in the engine's common money unit
        self.max_qty_lots = _floor_units(limits.max_order_qty, instrument.lot)
        self.max_notional = _floor_units(limits.max_order_notional, unit)
        self.max_net_lots = _floor_units(limits.max_net_qty, instrument.lot)
        self.max_gross = _floor_units(limits.max_gross_notional, unit)
        if limits.price_collar_bps is None:
            self.collar_num: int | None = None
            self.collar_den = 1
        else:
            num, den = limits.price_collar_bps.as_integer_ratio()
            self.collar_num, self.collar_den = num, den * 10_000
        self.pos_lots = 0
        self.projects = True  # (set by the engine from the limits in force)
        self.ref_ticks: int | None = None
        self.mark_ticks = 0  # reference price, else last fill price: values the position
        self.open_buy_lots = 0
        self.open_sell_lots = 0
        self.open_notional = 0  # sum of px_ticks * leaves over open orders (both sides)
        self.underlying: str | None = None  # options only (`RiskEngine.set_vega`)
        self.vega_lot: Decimal | None = None  # money per vol point of one lot held


class _Open:
    __slots__ = ("client_id", "filled_lots", "px_ticks", "qty_lots", "sign", "sym")

    def __init__(self, client_id: str, sym: _Sym, sign: int, px_ticks: int, qty_lots: int) -> None:
        self.client_id = client_id
        self.sym = sym
        self.sign = sign
        self.px_ticks = px_ticks
        self.qty_lots = qty_lots
        self.filled_lots = 0

    @property
    def leaves(self) -> int:
        return max(self.qty_lots - self.filled_lots, 0)


class RiskEngine:
    """Pre-trade checks over running exposure; see the module docstring."""

    def __init__(self, config: RiskConfig) -> None:
        self.config = config
        units = [i.tick * i.lot for i in config.instruments]
        exp = min([0, *(int(u.as_tuple().exponent) for u in units)])
        self._money_unit = Decimal(1).scaleb(exp)  # common money unit: 10**exp
        self._syms: dict[str, _Sym] = {}
        for inst, unit in zip(config.instruments, units, strict=True):
            limits = config.per_symbol.get(inst.symbol, config.default)
            self._syms[inst.symbol] = _Sym(inst, limits, int(unit / self._money_unit))
        self._max_total_net = _floor_units(config.max_total_net_notional, self._money_unit)
        self._max_total_gross = _floor_units(config.max_total_gross_notional, self._money_unit)
        self._max_msgs = config.max_msgs
        self._window_ns = config.rate_window_ns
        self._max_open = config.max_open_orders
        self._msgs: deque[int] = deque()
        self._open: dict[str, _Open] = {}
        # totals in the common money unit
        self._tot_pos_net = 0  # sum of pos * mark (signed)
        self._tot_pos_gross = 0  # sum of |pos| * mark
        self._tot_open_buy = 0
        self._tot_open_sell = 0
        self.state = TradingState.ACTIVE
        self.kill_switch = False
        self.needs_rebuild = False
        self.day_pnl = Decimal(0)
        # events since the last `drain_events` (read-only outside: a caller may test it
        # to skip draining an empty list)
        self.pending_events: list[RiskEvent] = []
        self._vega_limits = dict(config.max_abs_vega_per_pt)
        self._max_total_vega = config.max_total_abs_vega_per_pt
        self._vega: dict[str, Decimal] = {}  # underlying -> book vega per vol point
        self._vega_abs_total = Decimal(0)  # sum over underlyings of |book vega|
        self._vega_on = bool(self._vega_limits) or self._max_total_vega is not None
        # whether `check` must project exposure for a symbol (some limit reads it;
        # reduce-only, a trading state, is tested at check time)
        for sym in self._syms.values():
            sym.projects = (
                sym.max_net_lots is not None
                or sym.max_gross is not None
                or self._max_total_net is not None
                or self._max_total_gross is not None
                or self._vega_on
            )

    # ---- queries ----------------------------------------------------------------------

    def drain_events(self) -> list[RiskEvent]:
        """Events since the last drain, oldest first (denials, state and switch changes)."""
        out, self.pending_events = self.pending_events, []
        return out

    def position_lots(self, symbol: str) -> int:
        return self._syms[symbol].pos_lots

    @property
    def open_order_ids(self) -> frozenset[str]:
        return frozenset(self._open)

    def exposure(self, symbol: str) -> Exposure:
        """What the engine holds for `symbol` (lots; money as exact decimals)."""
        sym = self._syms[symbol]
        unit = sym.instrument.tick * sym.instrument.lot
        return Exposure(
            symbol,
            sym.pos_lots,
            sym.open_buy_lots,
            sym.open_sell_lots,
            sym.open_notional * unit,
            sym.mark_ticks * sym.instrument.tick,
        )

    def total_net_notional(self) -> Decimal:
        """Signed positions at mark, all symbols (money); open orders are not in it."""
        return self._tot_pos_net * self._money_unit

    def book_vega(self, underlying: str) -> Decimal:
        """Vega per vol point of the positions in options on `underlying` (money)."""
        return self._vega.get(underlying, Decimal(0))

    def total_gross_notional(self) -> Decimal:
        """Positions at mark plus open orders, both sides, all symbols (money)."""
        g = self._tot_pos_gross + self._tot_open_buy + self._tot_open_sell
        return g * self._money_unit

    # ---- the hot path -----------------------------------------------------------------

    def check(self, intent: Intent, now_ns: int) -> Approved | Denied:
        """Approve (and start tracking) or deny one intent at `now_ns`."""
        if isinstance(intent, CancelIntent):
            if self._max_msgs is not None:
                self._msgs.append(now_ns)  # counted, never denied
            return APPROVED
        return self.check_terms(
            intent.client_id,
            intent.orig_client_id if isinstance(intent, ReplaceIntent) else None,
            intent.instrument.symbol,
            intent.side,
            intent.px_ticks,
            intent.qty_lots,
            now_ns,
        )

    def check_terms(
        self,
        client_id: str,
        orig_client_id: str | None,
        symbol: str,
        side: Side,
        px: int,
        qty: int,
        now_ns: int,
    ) -> Approved | Denied:
        """`check` of a new order (`orig_client_id` None) or of a replace of
        `orig_client_id`, from its terms, without building the intent (the order
        manager's requote path): the same checks, the same result and events. `qty`
        is the (new) total order quantity in lots."""
        sym = self._syms.get(symbol)
        if sym is None:
            return self._deny(
                client_id, symbol, now_ns, DenyReason.UNKNOWN_SYMBOL, "symbol not configured"
            )
        if self.needs_rebuild:
            return self._deny(
                client_id, symbol, now_ns, DenyReason.NOT_REBUILT, "disconnected: rebuild first"
            )
        if self.kill_switch:
            return self._deny(
                client_id, symbol, now_ns, DenyReason.KILL_SWITCH, "kill switch engaged"
            )
        if self.state is _HALTED:
            return self._deny(client_id, symbol, now_ns, DenyReason.HALTED, "trading halted")
        if client_id in self._open:
            return self._deny(client_id, symbol, now_ns, DenyReason.DUPLICATE_ID, client_id)
        if qty <= 0 or px <= 0:
            return self._deny(client_id, symbol, now_ns, DenyReason.BAD_ORDER, f"px {px} qty {qty}")
        sign = 1 if side is _BUY else -1

        # what the order replaces (its exposure leaves the projection)
        orig: _Open | None = None
        if orig_client_id is not None:
            orig = self._open.get(orig_client_id)
            if orig is None or orig.sym is not sym or orig.sign != sign:
                return self._deny(
                    client_id,
                    symbol,
                    now_ns,
                    DenyReason.UNKNOWN_ORDER,
                    f"{orig_client_id} not open",
                )
            qty = max(qty - orig.filled_lots, 0)  # new leaves
        if sym.max_qty_lots is not None and qty > sym.max_qty_lots:
            return self._deny(
                client_id,
                symbol,
                now_ns,
                DenyReason.MAX_ORDER_QTY,
                f"{qty} lots > {sym.max_qty_lots} lots",
            )
        notional = px * qty
        if sym.max_notional is not None and notional > sym.max_notional:
            return self._deny(
                client_id,
                symbol,
                now_ns,
                DenyReason.MAX_ORDER_NOTIONAL,
                f"{notional * sym.unit} > {sym.limits.max_order_notional}",
            )
        if sym.collar_num is not None:
            ref = sym.ref_ticks
            if ref is None:
                return self._deny(
                    client_id, symbol, now_ns, DenyReason.NO_REFERENCE, "no reference price"
                )
            if abs(px - ref) * sym.collar_den > sym.collar_num * ref:
                return self._deny(
                    client_id,
                    symbol,
                    now_ns,
                    DenyReason.PRICE_COLLAR,
                    f"px {px} vs ref {ref} ticks",
                )
        msgs = self._msgs
        if self._max_msgs is not None:
            horizon = now_ns - self._window_ns
            while msgs and msgs[0] <= horizon:
                msgs.popleft()
            if len(msgs) >= self._max_msgs:
                return self._deny(
                    client_id, symbol, now_ns, DenyReason.RATE_LIMIT, f"{len(msgs)} msgs in window"
                )
        if orig is None and self._max_open is not None and len(self._open) >= self._max_open:
            return self._deny(
                client_id, symbol, now_ns, DenyReason.MAX_OPEN_ORDERS, f"{len(self._open)} open"
            )

        old_leaves = old_notional = 0
        if orig is not None:
            old_leaves = max(orig.qty_lots - orig.filled_lots, 0)  # (`_Open.leaves`)
            old_notional = orig.px_ticks * old_leaves
        # the exposure projections, when some limit looks at them (`_Sym.projects`)
        if sym.projects or self.state is _REDUCE_ONLY:
            open_same = sym.open_buy_lots if sign > 0 else sym.open_sell_lots
            open_notional = sym.open_notional
            tot_open_same = self._tot_open_buy if sign > 0 else self._tot_open_sell
            tot_open_all = self._tot_open_buy + self._tot_open_sell
            if orig is not None:
                open_same -= old_leaves
                open_notional -= old_notional
                tot_open_same -= old_notional * sym.money_mult
                tot_open_all -= old_notional * sym.money_mult
            pos = sym.pos_lots
            side_total = open_same + qty
            if self.state is _REDUCE_ONLY and (sign * pos >= 0 or side_total > abs(pos)):
                return self._deny(
                    client_id,
                    symbol,
                    now_ns,
                    DenyReason.REDUCE_ONLY,
                    f"pos {pos} lots, {side_total} lots on this side",
                )
            if sym.max_net_lots is not None:
                projected = pos + sign * side_total
                if abs(projected) > sym.max_net_lots:
                    return self._deny(
                        client_id,
                        symbol,
                        now_ns,
                        DenyReason.MAX_NET_POSITION,
                        f"|{projected}| lots > {sym.max_net_lots}",
                    )
            if self._vega_on and sym.vega_lot:
                denied = self._check_vega(client_id, symbol, now_ns, sym, sign * side_total)
                if denied is not None:
                    return denied
            pos_notional = abs(pos) * sym.mark_ticks
            if sym.max_gross is not None:
                gross = pos_notional + open_notional + notional
                if gross > sym.max_gross:
                    return self._deny(
                        client_id,
                        symbol,
                        now_ns,
                        DenyReason.MAX_GROSS_NOTIONAL,
                        f"{gross * sym.unit} > {sym.limits.max_gross_notional}",
                    )
            money = notional * sym.money_mult
            if self._max_total_net is not None:
                net = self._tot_pos_net + sign * (tot_open_same + money)
                if abs(net) > self._max_total_net:
                    return self._deny(
                        client_id,
                        symbol,
                        now_ns,
                        DenyReason.MAX_TOTAL_NET_NOTIONAL,
                        f"|{net * self._money_unit}| > {self.config.max_total_net_notional}",
                    )
            if self._max_total_gross is not None:
                tgross = self._tot_pos_gross + tot_open_all + money
                if tgross > self._max_total_gross:
                    return self._deny(
                        client_id,
                        symbol,
                        now_ns,
                        DenyReason.MAX_TOTAL_GROSS_NOTIONAL,
                        f"{tgross * self._money_unit} > {self.config.max_total_gross_notional}",
                    )

        # approved: count the message and track the order at its new terms
        if self._max_msgs is not None:
            msgs.append(now_ns)
        if orig is not None:
            # the record moves to the new id and terms (fills kept); its exposure
            # changes by the difference (`_remove` + `_add`, folded into one shift)
            open_ = self._open
            del open_[orig.client_id]
            orig.client_id = client_id
            orig.px_ticks = px
            orig.qty_lots = qty + orig.filled_lots
            open_[client_id] = orig
            d_lots = qty - old_leaves  # (the new leaves are `qty`)
            d_money = notional - old_notional
            sym.open_notional += d_money
            if sign > 0:
                sym.open_buy_lots += d_lots
                self._tot_open_buy += d_money * sym.money_mult
            else:
                sym.open_sell_lots += d_lots
                self._tot_open_sell += d_money * sym.money_mult
            return APPROVED
        self._add(_Open(client_id, sym, sign, px, qty))
        return APPROVED

    # ---- order and market updates -----------------------------------------------------

    def set_reference(self, symbol: str, px_ticks: int) -> None:
        """The reference price (collar centre, position mark) of `symbol`, in ticks."""
        sym = self._syms[symbol]
        if sym.ref_ticks == px_ticks and sym.mark_ticks == px_ticks:
            return  # (the same mark: re-marking would change nothing)
        sym.ref_ticks = px_ticks
        self._remark(sym, px_ticks)

    def on_fill(
        self, client_id: str | None, symbol: str, side: Side, qty_lots: int, px_ticks: int
    ) -> None:
        """A fill of ours: moves the position, and reduces the order's open quantity.

        Unknown or None `client_id` (an order from before a rebuild) only moves the position.
        """
        sym = self._syms[symbol]
        rec = self._open.get(client_id) if client_id is not None else None
        if rec is not None:
            self._remove(rec)
            rec.filled_lots += qty_lots
            if rec.leaves > 0:
                self._add(rec)
        self._unbook_position(sym)
        self._unbook_vega(sym)
        sym.pos_lots += qty_lots if side is Side.BUY else -qty_lots
        if sym.ref_ticks is None:
            sym.mark_ticks = px_ticks
        self._book_position(sym)
        self._book_vega(sym)

    def on_order_closed(self, client_id: str) -> None:
        """The order is done (cancelled, rejected, expired, IOC rest): it no longer counts."""
        rec = self._open.get(client_id)
        if rec is not None:
            self._remove(rec)

    def on_replace_rejected(self, new_client_id: str, orig: OrderIntent) -> None:
        """The venue refused a replace we approved: track the original terms again.

        `orig` carries the original order's id, price and remaining quantity.
        """
        rec = self._open.get(new_client_id)
        filled = 0
        if rec is not None:
            filled = rec.filled_lots
            self._remove(rec)
        self._reinstate(orig, filled)

    def set_vega(self, symbol: str, underlying: str, vega_per_pt_per_lot: Decimal) -> None:
        """The option `symbol`'s vega per vol point for one lot held (money, contract
        multiplier included; from the pricer) and its underlying. Re-values the book's
        vega; call it whenever the option's vega moves. Float input is taken through
        its shortest repr."""
        sym = self._syms[symbol]
        vega = vega_per_pt_per_lot
        if not isinstance(vega, Decimal):
            vega = Decimal(repr(vega))
        if not vega.is_finite():
            raise ValueError(f"{symbol}: vega {vega_per_pt_per_lot} is not finite")
        self._unbook_vega(sym)
        sym.underlying = underlying
        sym.vega_lot = vega
        self._book_vega(sym)

    def set_position(self, symbol: str, lots: int) -> None:
        """Set a position directly (start of day, or after a rebuild from the venue)."""
        sym = self._syms[symbol]
        self._unbook_position(sym)
        self._unbook_vega(sym)
        sym.pos_lots = lots
        self._book_position(sym)
        self._book_vega(sym)

    # ---- state, kill switch, loss limit, disconnect -----------------------------------

    def set_state(self, state: TradingState, now_ns: int, reason: str = "") -> frozenset[str]:
        """Change the trading state; entering HALTED returns every open order id to cancel."""
        old = self.state
        if state is not old:
            self.state = state
            self.pending_events.append(TradingStateChanged(now_ns, old, state, reason))
        return frozenset(self._open) if state is TradingState.HALTED else frozenset()

    def engage_kill_switch(self, now_ns: int, reason: str) -> frozenset[str]:
        """Block every new order until `resume`; returns every open order id to cancel."""
        ids = frozenset(self._open)
        self.kill_switch = True
        self.pending_events.append(KillSwitchChanged(now_ns, True, reason, ids))
        return ids

    def resume(self, now_ns: int, reason: str = "resume") -> None:
        """Release the kill switch and return to ACTIVE (an explicit human or control decision).

        The loss limit is re-evaluated at the next `update_pnl`: while the day's
        loss is still beyond it, trading halts again.
        """
        if self.kill_switch:
            self.kill_switch = False
            self.pending_events.append(KillSwitchChanged(now_ns, False, reason, frozenset()))
        self.set_state(TradingState.ACTIVE, now_ns, reason)

    def update_pnl(self, day_pnl: Decimal, now_ns: int) -> frozenset[str]:
        """The day's realised + unrealised PnL; past the loss limit, halt and kill.

        Returns the order ids to cancel when this call halts trading (else empty).
        """
        self.day_pnl = day_pnl
        limit = self.config.max_daily_loss
        if limit is None or day_pnl >= -limit or self.state is TradingState.HALTED:
            return frozenset()
        why = f"loss limit: day pnl {day_pnl} < -{limit}"
        self.set_state(TradingState.HALTED, now_ns, why)
        return self.engage_kill_switch(now_ns, why)

    def on_disconnect(self, now_ns: int) -> frozenset[str]:
        """The FIX session dropped: every order is gone; block new orders until `on_rebuilt`."""
        lost = frozenset(self._open)
        for rec in list(self._open.values()):
            self._remove(rec)
        self.needs_rebuild = True
        self.pending_events.append(RebuildRequired(now_ns, lost))
        return lost

    def on_rebuilt(
        self,
        now_ns: int,
        open_orders: Iterable[OrderIntent] = (),
        positions_lots: Mapping[str, int] | None = None,
    ) -> None:
        """The venue's view after logon: its open orders (qty = leaves) and our positions."""
        for rec in list(self._open.values()):
            self._remove(rec)
        for o in open_orders:
            self._reinstate(o, 0)
        for symbol, lots in (positions_lots or {}).items():
            self.set_position(symbol, lots)
        self.needs_rebuild = False
        self.pending_events.append(Rebuilt(now_ns, len(self._open)))

    # ---- bookkeeping ------------------------------------------------------------------

    def _deny(
        self, client_id: str, symbol: str, now_ns: int, reason: DenyReason, detail: str
    ) -> Denied:
        self.pending_events.append(RiskDenied(now_ns, client_id, symbol, reason, detail))
        return Denied(reason, detail)

    def _reinstate(self, o: OrderIntent, filled: int) -> None:
        sym = self._syms[o.instrument.symbol]
        sign = 1 if o.side is Side.BUY else -1
        rec = _Open(o.client_id, sym, sign, o.px_ticks, o.qty_lots + filled)
        rec.filled_lots = filled
        self._add(rec)

    def _add(self, rec: _Open) -> None:
        self._open[rec.client_id] = rec
        self._shift(rec, rec.leaves)

    def _remove(self, rec: _Open) -> None:
        del self._open[rec.client_id]
        self._shift(rec, -rec.leaves)

    def _shift(self, rec: _Open, lots: int) -> None:
        sym = rec.sym
        money = rec.px_ticks * lots
        sym.open_notional += money
        if rec.sign > 0:
            sym.open_buy_lots += lots
            self._tot_open_buy += money * sym.money_mult
        else:
            sym.open_sell_lots += lots
            self._tot_open_sell += money * sym.money_mult

    def _check_vega(
        self, client_id: str, symbol: str, now_ns: int, sym: _Sym, lots: int
    ) -> Denied | None:
        """The vega limits for `lots` more (signed) of option `sym` held; None = pass."""
        und = sym.underlying
        assert und is not None and sym.vega_lot is not None  # set together by set_vega
        before = self._vega.get(und, Decimal(0))
        after = before + lots * sym.vega_lot
        limit = self._vega_limits.get(und)
        # a fill that lowers |vega| passes however far over the limit the book is
        if limit is not None and abs(after) > limit and abs(after) >= abs(before):
            return self._deny(
                client_id,
                symbol,
                now_ns,
                DenyReason.MAX_VEGA,
                f"{und}: |{after}| > {limit} vega/pt",
            )
        total_limit = self._max_total_vega
        if total_limit is not None:
            total = self._vega_abs_total - abs(before) + abs(after)
            if total > total_limit and total >= self._vega_abs_total:
                return self._deny(
                    client_id,
                    symbol,
                    now_ns,
                    DenyReason.MAX_TOTAL_VEGA,
                    f"{total} > {total_limit} vega/pt over all underlyings",
                )
        return None

    def _unbook_vega(self, sym: _Sym) -> None:
        if sym.vega_lot is None or not sym.pos_lots:
            return
        assert sym.underlying is not None
        self._move_vega(sym.underlying, -sym.pos_lots * sym.vega_lot)

    def _book_vega(self, sym: _Sym) -> None:
        if sym.vega_lot is None or not sym.pos_lots:
            return
        assert sym.underlying is not None
        self._move_vega(sym.underlying, sym.pos_lots * sym.vega_lot)

    def _move_vega(self, underlying: str, delta: Decimal) -> None:
        before = self._vega.get(underlying, Decimal(0))
        after = before + delta
        self._vega[underlying] = after
        self._vega_abs_total += abs(after) - abs(before)

    def _unbook_position(self, sym: _Sym) -> None:
        self._tot_pos_net -= sym.pos_lots * sym.mark_ticks * sym.money_mult
        self._tot_pos_gross -= abs(sym.pos_lots) * sym.mark_ticks * sym.money_mult

    def _book_position(self, sym: _Sym) -> None:
        self._tot_pos_net += sym.pos_lots * sym.mark_ticks * sym.money_mult
        self._tot_pos_gross += abs(sym.pos_lots) * sym.mark_ticks * sym.money_mult

    def _remark(self, sym: _Sym, mark_ticks: int) -> None:
        if not sym.pos_lots:  # a flat position's money does not move with the mark
            sym.mark_ticks = mark_ticks
            return
        self._unbook_position(sym)
        sym.mark_ticks = mark_ticks
        self._book_position(sym)
