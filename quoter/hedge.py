"""Hedge policy (pure): when |net delta| exceeds a threshold, an IOC order for the excess.

`Hedger.evaluate(net_delta, ref_ticks, now_ns)` returns an IOC `OrderIntent` on
the configured hedge instrument, or None. The rule:

- hedge only when |net delta| > `threshold` (strictly), no hedge of ours is in
  flight, and `cooldown_ns` has passed since the last hedge was sent;
- size: bring |net delta| down to `target` (0 <= target <= threshold): the
  excess |delta| - target, divided by the hedge instrument's delta weight,
  rounded down to whole lots (never past the target), capped at `max_qty`;
  nothing when that is zero lots;
- limit price: the reference price moved `slippage_bps` against us, rounded
  to the tick towards the reference (a buy never pays more, a sell never
  receives less, than the slippage allows).

The caller passes the intent through risk (`quoter.risk`) and sends it; hedge
fills go through `on_fill`, which books them in the `Inventory`; the IOC's
cancelled rest, a reject or a risk denial go through `on_order_closed`, which
frees the hedger for the next hedge (after the cool-down). No I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from mmsla.domain import Fill, Side
from quoter.intents import Instrument, OrderIntent, Purpose, TimeInForce
from quoter.inventory import Inventory, PositionSnapshot

__all__ = ["HedgeConfig", "Hedger"]


@dataclass(frozen=True, slots=True)
class HedgeConfig:
    """Hedge policy parameters; delta amounts are in the portfolio's delta unit."""

    instrument: Instrument
    threshold: Decimal
    slippage_bps: Decimal
    cooldown_ns: int
    target: Decimal = Decimal(0)
    max_qty: Decimal | None = None
    id_prefix: str = "H"

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.target <= self.threshold:
            raise ValueError("hedge target must be within [0, threshold]")
        if self.slippage_bps < 0 or self.cooldown_ns < 0:
            raise ValueError("slippage_bps and cooldown_ns must not be negative")
        if self.instrument.delta_weight == 0:
            raise ValueError(f"{self.instrument.symbol}: a hedge needs a non-zero delta weight")


class Hedger:
    """Decides hedge orders; tracks the one in flight and the cool-down."""

    def __init__(self, config: HedgeConfig) -> None:
        self.config = config
        inst = config.instrument
        num, den = config.slippage_bps.as_integer_ratio()
        self._slip_num, self._slip_den = num, den * 10_000
        self._max_lots = None if config.max_qty is None else int(config.max_qty // inst.lot)
        self._seq = 0
        self._last_sent_ns: int | None = None
        self.in_flight: str | None = None
        self._in_flight_leaves = 0

    def evaluate(self, net_delta: Decimal, ref_ticks: int, now_ns: int) -> OrderIntent | None:
        """The hedge to send now, or None (see the module docstring for the rule)."""
        cfg = self.config
        if abs(net_delta) <= cfg.threshold or self.in_flight is not None:
            return None
        if self._last_sent_ns is not None and now_ns - self._last_sent_ns < cfg.cooldown_ns:
            return None
        inst = cfg.instrument
        excess = abs(net_delta) - cfg.target
        units = excess / abs(inst.delta_weight)
        lots = int(units // inst.lot)
        if self._max_lots is not None:
            lots = min(lots, self._max_lots)
        if lots <= 0:
            return None
        # positive delta is reduced by selling an instrument of positive weight
        sell = (net_delta > 0) == (inst.delta_weight > 0)
        side = Side.SELL if sell else Side.BUY
        px = self._limit_ticks(ref_ticks, side)
        if px <= 0:
            return None
        self._seq += 1
        cid = f"{cfg.id_prefix}{self._seq}"
        self._last_sent_ns = now_ns
        self.in_flight = cid
        self._in_flight_leaves = lots
        return OrderIntent(cid, inst, side, px, lots, TimeInForce.IOC, False, Purpose.HEDGE)

    def _limit_ticks(self, ref_ticks: int, side: Side) -> int:
        num, den = self._slip_num, self._slip_den
        if side is Side.BUY:  # floor(ref * (1 + s))
            return (ref_ticks * (den + num)) // den
        return -((-ref_ticks * (den - num)) // den)  # ceil(ref * (1 - s))

    def on_fill(
        self, fill: Fill, inventory: Inventory, client_id: str | None = None
    ) -> PositionSnapshot:
        """Book a hedge fill in `inventory`; a fill completing the in-flight hedge frees it.

        `client_id` is our id of the filled order (default: `fill.order_id`).
        """
        snap = inventory.apply(fill)
        cid = fill.order_id if client_id is None else client_id
        if self.in_flight is not None and cid == self.in_flight:
            self._in_flight_leaves -= int(fill.qty // self.config.instrument.lot)
            if self._in_flight_leaves <= 0:
                self.in_flight = None
        return snap

    def on_order_closed(self, client_id: str) -> None:
        """The hedge order is done (IOC rest cancelled, rejected, or denied by risk)."""
        if client_id == self.in_flight:
            self.in_flight = None
            self._in_flight_leaves = 0
