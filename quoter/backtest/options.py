"""Options market making on one underlying: a chain quoted off a smile, a vega limit, delta hedging.

`OptionsMarketMaker` composes the quoter's pure parts, in-process:
- quotes: `quoter.pricing.option_quotes.quote_chain` (theo from the expiry's
  `Smile`, half-spread in vol points times vega plus extra with distance from
  the money, skewed against our position) in exact ticks;
- the vega limit as a pre-trade check: a side is quoted only when a full fill of
  it would pass `quoter.pricing.portfolio.within_vega_limit` (|book vega| stays
  within `max_abs_vega_per_pt`, or the fill reduces |vega|); a side that fails
  is withdrawn and reported in `OptionQuotes.vega_blocked_*`;
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

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import numpy.typing as npt

from mmsla.domain import Fill, Side
from quoter.hedge import Hedger
from quoter.intents import OrderIntent
from quoter.inventory import Inventory
from quoter.pricing.option_quotes import ChainQuoteSpec, quote_chain
from quoter.pricing.portfolio import PortfolioGreeks, aggregate, within_vega_limit
from quoter.pricing.smile import Smile

__all__ = ["OptionQuotes", "OptionsBookConfig", "OptionsMarketMaker"]

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
        limit = cfg.max_abs_vega_per_pt
        if limit is not None:
            book = self.greeks()
            qty = float(cfg.qty_contracts)
            for i, v in enumerate(q.vega_per_pt.tolist()):
                blocked_bid[i] = not within_vega_limit(book, v, qty, limit, cfg.multiplier)
                blocked_ask[i] = not within_vega_limit(book, v, -qty, limit, cfg.multiplier)
        return OptionQuotes(
            q.theo,
            q.vega_per_pt,
            q.bid_ticks,
            q.ask_ticks,
            q.has_bid & ~blocked_bid,
            ~blocked_ask,
            blocked_bid,
            blocked_ask,
        )

    def on_option_fill(self, index: int, side: Side, contracts: int) -> None:
        """One of our option quotes traded: `side` is ours (buy = our bid was hit)."""
        if contracts <= 0:
            raise ValueError("contracts must be positive")
        self.position[index] += contracts if side is Side.BUY else -contracts

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
