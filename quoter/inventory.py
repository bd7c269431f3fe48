"""Positions and PnL from our fills: FIFO and average cost side by side, exact Decimal.

`Inventory.apply(fill)` updates the position of the fill's symbol. Both cost
conventions are kept at once, so a report can show either (FIFO is the reports'
convention):

- FIFO: each closing unit is matched with the oldest open unit; realised PnL is
  (close price - open price) * units, signed by the position's direction.
- Average cost: the open position carries one cost basis; a partial close
  releases cost pro rata, rounded to 1e-12 (the only inexact step); the
  released and the remaining cost always add up exactly to the cost before.

Realised + unrealised is the same under both conventions (it is cash flow plus
position at the mark). Fees are kept apart: `fee` positive is paid, negative a
rebate; `total_pnl` = realised + unrealised - net fees. `net_delta` weighs each
symbol's position by its delta weight (1 unless set; an option's delta later).

Day PnL (the loss limit's figure): `mark_day_start(marks)` records the total
PnL at the start of the trading day; `day_pnl(marks)` is the total now minus
that baseline, so positions carried over count only for their move since then.
No I/O and no clock: the caller decides when a day starts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from mmsla.domain import Fill

__all__ = ["CostMethod", "Inventory", "PositionSnapshot"]

_ZERO = Decimal(0)
_AVG_QUANTUM = Decimal("1e-12")  # cost released by a partial close under average cost


class CostMethod(StrEnum):
    FIFO = "fifo"
    AVERAGE = "average"


@dataclass(frozen=True, slots=True)
class PositionSnapshot:
    """One symbol's position after the latest fill.

    `qty` signed (+ long, - short); `avg_cost` the average-cost basis of the
    open position and `fifo_cost` the cost of the open FIFO lots (both signed
    like qty); `avg_px` = avg_cost / qty per unit (None when flat).
    """

    symbol: str
    qty: Decimal
    avg_cost: Decimal
    fifo_cost: Decimal
    realised_fifo: Decimal
    realised_avg: Decimal
    fees_paid: Decimal
    rebates: Decimal
    bought: Decimal
    sold: Decimal

    @property
    def avg_px(self) -> Decimal | None:
        return None if self.qty == 0 else self.avg_cost / self.qty

    @property
    def net_fees(self) -> Decimal:
        return self.fees_paid - self.rebates

    def realised(self, method: CostMethod = CostMethod.FIFO) -> Decimal:
        return self.realised_fifo if method is CostMethod.FIFO else self.realised_avg

    def unrealised(self, mark: Decimal, method: CostMethod = CostMethod.FIFO) -> Decimal:
        """Mark-to-market of the open position at `mark`."""
        cost = self.fifo_cost if method is CostMethod.FIFO else self.avg_cost
        return self.qty * mark - cost


@dataclass
class _Position:
    symbol: str
    qty: Decimal = _ZERO
    lots: deque[list[Decimal]] = field(default_factory=deque)  # [qty (signed), px], oldest first
    fifo_cost: Decimal = _ZERO  # sum of lot qty * px, signed
    avg_cost: Decimal = _ZERO  # total cost basis of the open position, signed
    realised_fifo: Decimal = _ZERO
    realised_avg: Decimal = _ZERO
    fees_paid: Decimal = _ZERO
    rebates: Decimal = _ZERO
    bought: Decimal = _ZERO
    sold: Decimal = _ZERO

    def apply(self, signed_qty: Decimal, px: Decimal) -> None:
        self._apply_fifo(signed_qty, px)
        self._apply_avg(signed_qty, px)
        self.qty += signed_qty

    def _apply_fifo(self, signed_qty: Decimal, px: Decimal) -> None:
        remaining = signed_qty
        lots = self.lots
        # close against the oldest lots while they have the opposite sign
        while remaining != 0 and lots and (lots[0][0] > 0) != (remaining > 0):
            lot = lots[0]
            lot_qty, lot_px = lot
            closing = min(abs(remaining), abs(lot_qty))
            direction = 1 if lot_qty > 0 else -1  # +1 closing a long lot (selling)
            self.realised_fifo += direction * closing * (px - lot_px)
            self.fifo_cost -= direction * closing * lot_px
            if closing == abs(lot_qty):
                lots.popleft()
            else:
                lot[0] = lot_qty - direction * closing
            remaining += direction * closing
        if remaining != 0:
            lots.append([remaining, px])
            self.fifo_cost += remaining * px

    def _apply_avg(self, signed_qty: Decimal, px: Decimal) -> None:
        q = self.qty
        if q == 0 or (q > 0) == (signed_qty > 0):
            self.avg_cost += signed_qty * px
            return
        closing = min(abs(signed_qty), abs(q))
        direction = 1 if q > 0 else -1
        if closing == abs(q):
            released = self.avg_cost
        else:  # quantised, so the adds below stay exact and the basis is conserved
            released = (self.avg_cost * closing / abs(q)).quantize(_AVG_QUANTUM)
        self.realised_avg += direction * closing * px - released
        self.avg_cost -= released
        opening = abs(signed_qty) - closing
        if opening:
            self.avg_cost += -direction * opening * px

    def snapshot(self) -> PositionSnapshot:
        return PositionSnapshot(
            self.symbol,
            self.qty,
            self.avg_cost,
            self.fifo_cost,
            self.realised_fifo,
            self.realised_avg,
            self.fees_paid,
            self.rebates,
            self.bought,
            self.sold,
        )


class Inventory:
    """Positions per symbol from fills; see the module docstring for the conventions."""

    def __init__(self, delta_weights: Mapping[str, Decimal] | None = None) -> None:
        self._positions: dict[str, _Position] = {}
        self._weights: dict[str, Decimal] = dict(delta_weights or {})
        self._day_start = _ZERO

    def apply(self, fill: Fill) -> PositionSnapshot:
        """Book one fill; returns the symbol's position after it."""
        if fill.qty <= 0:
            raise ValueError(f"fill quantity must be positive, got {fill.qty}")
        pos = self._positions.get(fill.symbol)
        if pos is None:
            pos = self._positions[fill.symbol] = _Position(fill.symbol)
        signed = fill.qty if fill.side.sign > 0 else -fill.qty
        pos.apply(signed, fill.px)
        if fill.side.sign > 0:
            pos.bought += fill.qty
        else:
            pos.sold += fill.qty
        if fill.fee > 0:
            pos.fees_paid += fill.fee
        elif fill.fee < 0:
            pos.rebates -= fill.fee
        return pos.snapshot()

    def apply_all(self, fills: Iterable[Fill]) -> None:
        for f in fills:
            self.apply(f)

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self._positions)

    def position(self, symbol: str) -> Decimal:
        """Signed quantity held (0 for a symbol never traded)."""
        pos = self._positions.get(symbol)
        return _ZERO if pos is None else pos.qty

    def snapshot(self, symbol: str) -> PositionSnapshot:
        pos = self._positions.get(symbol)
        return (pos or _Position(symbol)).snapshot()

    def realised(self, symbol: str | None = None, method: CostMethod = CostMethod.FIFO) -> Decimal:
        """Realised PnL (before fees) of one symbol, or of all when `symbol` is None."""
        return sum((self.snapshot(s).realised(method) for s in self._pick(symbol)), _ZERO)

    def unrealised(
        self,
        marks: Mapping[str, Decimal],
        symbol: str | None = None,
        method: CostMethod = CostMethod.FIFO,
    ) -> Decimal:
        """Mark-to-market of open positions; `KeyError` if a non-flat symbol has no mark."""
        total = _ZERO
        for s in self._pick(symbol):
            snap = self.snapshot(s)
            if snap.qty != 0:
                total += snap.unrealised(marks[s], method)
        return total

    def fees(self, symbol: str | None = None) -> Decimal:
        """Net fees (paid minus rebates)."""
        return sum((self.snapshot(s).net_fees for s in self._pick(symbol)), _ZERO)

    def total_pnl(
        self,
        marks: Mapping[str, Decimal],
        symbol: str | None = None,
        method: CostMethod = CostMethod.FIFO,
    ) -> Decimal:
        """Realised + unrealised - net fees."""
        return (
            self.realised(symbol, method)
            + self.unrealised(marks, symbol, method)
            - self.fees(symbol)
        )

    def mark_day_start(self, marks: Mapping[str, Decimal]) -> Decimal:
        """Record the total PnL (FIFO, after fees) at `marks` as the day's baseline."""
        self._day_start = self.total_pnl(marks)
        return self._day_start

    def day_pnl(self, marks: Mapping[str, Decimal]) -> Decimal:
        """Total PnL since `mark_day_start` (since the first fill when never called)."""
        return self.total_pnl(marks) - self._day_start

    def set_delta_weight(self, symbol: str, weight: Decimal) -> None:
        self._weights[symbol] = weight

    def delta(self, symbol: str) -> Decimal:
        """Position of `symbol` times its delta weight."""
        return self.position(symbol) * self._weights.get(symbol, Decimal(1))

    def net_delta(self) -> Decimal:
        """Sum over symbols of position * delta weight (weight 1 unless set)."""
        return sum((self.delta(s) for s in self._positions), _ZERO)

    def _pick(self, symbol: str | None) -> Iterable[str]:
        return tuple(self._positions) if symbol is None else (symbol,)
