"""Options market making on one underlying: a chain quoted off a smile, a vega limit, delta hedging.

`OptionsMarketMaker` composes the quoter's pure parts, in-process:
- quotes: `quoter.pricing.option_quotes.quote_chain` (theo from the expiry's
  `Smile`, half-spread in vol points times vega plus extra with distance from
  the money, skewed against our position) in exact ticks;
- the vega limit as a pre-trade check of the quoter's risk layer: each option is
  an instrument of a `quoter.risk.RiskEngine` whose config carries
  `max_abs_vega_per_pt` for the underlying; its vega is set from the smile
  before each quote, and every side is checked as an order of `qty_contracts`
  (|book vega| after a full fill stays within the limit, or the fill reduces
  |vega|). A side that fails is withdrawn, reported in
  `OptionQuotes.vega_blocked_*`, and its `RiskDenied` event (reason `max_vega`)
  is in `OptionQuotes.risk_events`. The quotes are checked, not sent: each
  approved check is closed again, so only positions count (never last round's
  quotes). An option whose vega is not finite (expired) is withdrawn on both
  sides, and, if held, so is every side (the book's vega is unknown);
- portfolio greeks: `quoter.pricing.portfolio.aggregate` over the option
  positions plus the underlying held (delta 1);
- delta hedging: the live `quoter.hedge.Hedger` on the underlying, fed the
  portfolio delta (rounded to the underlying's lot); its fills are booked in an
  `Inventory` of the underlying, exactly as the live app books hedge fills.

The smile is fixed for the object's life (re-create it, or call `set_smile`,
when the market moves). Not here: sending orders (the caller, or the venue
adapter), matching, the obligation clamp, one smile per several expiries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import numpy.typing as npt

from mmsla.domain import Fill, Side
from quoter.hedge import Hedger
from quoter.intents import Instrument, OrderIntent
from quoter.inventory import Inventory
from quoter.pricing.option_quotes import ChainQuoteSpec, quote_chain
from quoter.pricing.portfolio import PortfolioGreeks, aggregate
from quoter.pricing.smile import Smile
from quoter.risk import APPROVED, RiskConfig, RiskEngine, RiskEvent

__all__ = ["OptionQuotes", "OptionsBookConfig", "OptionsMarketMaker", "option_symbol"]

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class OptionsBookConfig:
    """Quote terms, tick, contracts per quote, contract multiplier, vega limit (None = off)."""

    spec: ChainQuoteSpec
    tick: Decimal
    qty_contracts: int
    multiplier: float = 1.0
    max_abs_vega_per_pt: float | None = None

    def __post_init__(self) -> None:
        if self.qty_contracts <= 0 or self.multiplier <= 0 or self.tick <= 0:
            raise ValueError("qty_contracts, multiplier and tick must be positive")
        if self.max_abs_vega_per_pt is not None and self.max_abs_vega_per_pt < 0:
            raise ValueError("max_abs_vega_per_pt must be >= 0")


@dataclass(frozen=True)
class OptionQuotes:
    """Per option: bid/ask ticks, which sides are quoted, and which the vega limit withdrew."""

    theo: F64
    vega_per_pt: F64
    bid_ticks: I64
    ask_ticks: I64
    bid_on: B
    ask_on: B
    vega_blocked_bid: B
    vega_blocked_ask: B
    risk_events: tuple[RiskEvent, ...] = field(default=())  # the denials behind the blocks


def option_symbol(underlying: str, strike: float, is_call: bool) -> str:
    """The risk engine's name for an option: `UND 100C`, `UND 97.5P`."""
    return f"{underlying} {strike:.12g}{'C' if is_call else 'P'}"


class OptionsMarketMaker:
    """One expiry's chain on one underlying (see the module docstring)."""

    def __init__(
        self,
        smile: Smile,
        strikes: F64,
        is_call: B,
        config: OptionsBookConfig,
        underlying: str,
        hedger: Hedger | None = None,
    ) -> None:
        self.strikes = np.asarray(strikes, dtype=np.float64)
        self.is_call = np.asarray(is_call, dtype=np.bool_)
        if self.strikes.shape != self.is_call.shape or self.strikes.ndim != 1:
            raise ValueError("strikes and is_call must be equal-length 1-D arrays")
        self.config = config
        self.underlying = underlying
        self.hedger = hedger
        self.smile = smile
        self.position = np.zeros(self.strikes.size, dtype=np.float64)  # contracts, signed
        self.inventory = Inventory({underlying: Decimal(1)})
        # one risk instrument per option (contracts as lots); only the vega limit is set
        self.instruments = tuple(
            Instrument(option_symbol(underlying, k, c), config.tick, Decimal(1))
            for k, c in zip(self.strikes.tolist(), self.is_call.tolist(), strict=True)
        )
        if len({i.symbol for i in self.instruments}) != len(self.instruments):
            raise ValueError("the chain lists an option twice")
        limit = config.max_abs_vega_per_pt
        self.risk = RiskEngine(
            RiskConfig(
                instruments=self.instruments,
                max_abs_vega_per_pt={} if limit is None else {underlying: Decimal(repr(limit))},
            )
        )

    def set_smile(self, smile: Smile) -> None:
        self.smile = smile

    # ---- exposures ----------------------------------------------------------------

    def greeks(self) -> PortfolioGreeks:
        """Portfolio greeks of the options held plus the underlying (delta 1 per unit)."""
        g = self.smile.greeks(self.strikes, self.is_call)
        held = float(self.inventory.position(self.underlying))
        return aggregate(g, self.position, self.config.multiplier, underlying_qty=held)

    # ---- quoting ------------------------------------------------------------------

    def quotes(self) -> OptionQuotes:
        """The chain's quotes now, with sides the vega limit forbids withdrawn."""
        cfg = self.config
        q = quote_chain(self.smile, self.strikes, self.is_call, cfg.tick, cfg.spec, self.position)
        n = self.strikes.size
        blocked_bid = np.zeros(n, dtype=np.bool_)
        blocked_ask = np.zeros(n, dtype=np.bool_)
        events: tuple[RiskEvent, ...] = ()
        if cfg.max_abs_vega_per_pt is not None:
            events = self._vega_checks(
                q.vega_per_pt, q.bid_ticks, q.ask_ticks, blocked_bid, blocked_ask
            )
        return OptionQuotes(
            q.theo,
            q.vega_per_pt,
            q.bid_ticks,
            q.ask_ticks,
            q.has_bid & ~blocked_bid,
            ~blocked_ask,
            blocked_bid,
            blocked_ask,
            events,
        )

    def _vega_checks(
        self, vega_per_pt: F64, bid_ticks: I64, ask_ticks: I64, blocked_bid: B, blocked_ask: B
    ) -> tuple[RiskEvent, ...]:
        """Run every side through the risk engine's vega check; fill in the blocks."""
        risk, cfg, und = self.risk, self.config, self.underlying
        finite = np.isfinite(vega_per_pt)
        for i, v in enumerate(vega_per_pt.tolist()):
            # contract vega (multiplier included); an unpriceable option counts as none
            vega = Decimal(repr(v * cfg.multiplier)) if finite[i] else Decimal(0)
            risk.set_vega(self.instruments[i].symbol, und, vega)
        if (~finite & (self.position != 0)).any():
            blocked_bid[:] = True  # a held option has no vega: the book's is unknown
            blocked_ask[:] = True
            return ()
        qty = cfg.qty_contracts
        bids, asks = bid_ticks.tolist(), ask_ticks.tolist()
        for i, inst in enumerate(self.instruments):
            if not finite[i]:
                blocked_bid[i] = blocked_ask[i] = True
                continue
            for side, px, blocked in (
                (Side.BUY, bids[i], blocked_bid),
                (Side.SELL, asks[i], blocked_ask),
            ):
                # the vega check does not look at the price; a missing bid still gets one
                cid = f"vega-{side.value}-{i}"
                intent = OrderIntent(cid, inst, side, max(int(px), 1), qty)
                if risk.check(intent, 0) is APPROVED:
                    risk.on_order_closed(cid)  # checked, not sent
                else:
                    blocked[i] = True
        return tuple(risk.drain_events())

    def on_option_fill(self, index: int, side: Side, contracts: int) -> None:
        """One of our option quotes traded: `side` is ours (buy = our bid was hit)."""
        if contracts <= 0:
            raise ValueError("contracts must be positive")
        self.position[index] += contracts if side is Side.BUY else -contracts
        self.risk.set_position(self.instruments[index].symbol, int(self.position[index]))

    # ---- hedging ------------------------------------------------------------------

    def net_delta(self) -> Decimal:
        """Portfolio delta in underlying units, rounded to the hedge instrument's lot."""
        delta = self.greeks().delta
        if not np.isfinite(delta):
            raise ValueError("portfolio delta is not finite (expired option held?)")
        lot = self.hedger.config.instrument.lot if self.hedger is not None else Decimal(1)
        return (Decimal(repr(delta)) / lot).quantize(Decimal(1), ROUND_HALF_EVEN) * lot

    def hedge_intent(self, ref_ticks: int, now_ns: int) -> OrderIntent | None:
        """The hedger's IOC order on the underlying for the current delta, or None."""
        if self.hedger is None:
            return None
        return self.hedger.evaluate(self.net_delta(), ref_ticks, now_ns)

    def on_hedge_fill(self, fill: Fill, client_id: str | None = None) -> None:
        """Book a hedge fill (frees the hedger once the order is complete)."""
        if self.hedger is None:
            raise RuntimeError("no hedger configured")
        self.hedger.on_fill(fill, self.inventory, client_id)

    def on_hedge_closed(self, client_id: str) -> None:
        """The hedge IOC's rest was cancelled, or it was rejected or denied."""
        if self.hedger is not None:
            self.hedger.on_order_closed(client_id)
