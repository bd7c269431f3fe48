"""An end-of-day options market-making backtest over recorded chains of one expiry.

`run_chain_backtest(slices, config)` steps through the quote dates of one
expiry (`mmsla.research.option_chain.ChainSlice`, e.g. the SPXW snapshots):

1. fills: yesterday's quotes meet today's snapshot. Our bid is filled (at our
   price, `qty_contracts`) when the vendor's ask has come down to it or below,
   our ask when the vendor's bid has reached it: the market traded through our
   quote between the two snapshots. End-of-day snapshots say nothing about the
   day in between, so this is the only fill the data can show, and it is the
   adverse one: every fill is a stale quote picked off by an overnight move.
   Read the PnL as the cost of leaving quotes out overnight (an adverse-selection
   stress figure), not as what an intraday market maker would earn;
2. the day's smile: `quoter.pricing.chain.analyse_expiry` on the snapshot
   (parity forward, implied vols from mids, out-of-the-money smile);
3. delta hedge: the live `quoter.hedge.Hedger` on the underlying, fed the
   portfolio delta off the new smile, filled at the day's underlying price
   (an index is not tradable: read it as its future, without basis or cost);
4. quotes: `OptionsMarketMaker` (smile theo, vega- and moneyness-widened
   spread, position skew, the risk engine's vega limit) for the options listed
   today with a two-sided vendor quote and |ln(K/F)| <= `band`;
5. marks: options at today's vendor mid (else the smile's theo, else the last
   mark); the underlying at its price. PnL = cash + marked positions.

On the expiry date the positions settle at intrinsic value against the day's
underlying price (SPXW are cash-settled at the close) and nothing is quoted.
Money is exact (`Decimal`: prices in ticks, marks through their shortest repr);
greeks are floats. Not here: intraday data, fees, early exercise, several
expiries at once, reading files (`mmsla.research.option_chain.read_chain`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from mmsla.domain import Fill, Side
from mmsla.research.option_chain import ChainSlice
from quoter.backtest.options import OptionQuotes, OptionsBookConfig, OptionsMarketMaker
from quoter.hedge import HedgeConfig, Hedger
from quoter.intents import Instrument
from quoter.pricing.chain import analyse_expiry
from quoter.pricing.option_quotes import ChainQuoteSpec

__all__ = [
    "ChainBacktestConfig",
    "ChainBacktestResult",
    "ChainDay",
    "chain_report",
    "format_chain_report",
    "run_chain_backtest",
]

F64 = npt.NDArray[np.float64]
_DAY_NS = 86_400_000_000_000


@dataclass(frozen=True, slots=True)
class ChainBacktestConfig:
    """Quote terms, tick, size, contract multiplier, quoting band, vega limit, hedge."""

    spec: ChainQuoteSpec = field(
        default_factory=lambda: ChainQuoteSpec(base_ticks=1, vol_pts=0.5, money_pts=5.0)
    )
    tick: Decimal = Decimal("0.05")
    qty_contracts: int = 1
    multiplier: int = 100
    band: float = 0.05  # quote options with |ln(K/F)| <= band
    max_abs_vega_per_pt: float | None = None  # money per vol point (multiplier included)
    hedge_threshold: Decimal | None = Decimal(100)  # |delta| in underlying units; None = off
    underlying: str = "SPX"

    def __post_init__(self) -> None:
        if self.qty_contracts <= 0 or self.multiplier <= 0 or self.tick <= 0:
            raise ValueError("qty_contracts, multiplier and tick must be positive")
        if not self.band > 0:
            raise ValueError("band must be positive")
        if self.hedge_threshold is not None and self.hedge_threshold < 0:
            raise ValueError("hedge_threshold must be >= 0")


@dataclass(frozen=True, slots=True)
class ChainDay:
    """One quote date after its fills, hedge and marks (greeks after the hedge)."""

    date: str
    underlying: Decimal
    bought: int  # contracts bought at our bids (yesterday's quotes, filled today)
    sold: int
    hedge_qty: Decimal  # underlying units the hedger traded (signed: + bought)
    contracts_held: int  # sum of |position| over the options
    underlying_held: Decimal
    delta: float
    gamma: float
    vega_per_pt: float
    pnl: Decimal  # cumulative, marked to this day
    quoted: int  # options with at least one side quoted for the next day
    vega_blocked: int  # sides the vega limit withdrew


@dataclass(frozen=True)
class ChainBacktestResult:
    expiry: str
    days: tuple[ChainDay, ...]
    settled: bool  # the expiry date's snapshot was in the data: positions settled

    @property
    def pnl(self) -> Decimal:
        return self.days[-1].pnl if self.days else Decimal(0)

    @property
    def fills(self) -> int:
        return sum(d.bought + d.sold for d in self.days)


def _dec(x: float) -> Decimal:
    return Decimal(repr(float(x)))


def run_chain_backtest(
    slices: Sequence[ChainSlice], config: ChainBacktestConfig | None = None
) -> ChainBacktestResult:
    """Backtest one expiry's chain snapshots (see the module docstring)."""
    cfg = config or ChainBacktestConfig()
    if not slices:
        raise ValueError("no chain snapshots")
    expiries = {s.expiry for s in slices}
    if len(expiries) != 1:
        raise ValueError(f"one expiry at a time, got {sorted(expiries)}")
    days = sorted(slices, key=lambda s: s.quote_date)
    if len({s.quote_date for s in days}) != len(days):
        raise ValueError("two snapshots share a quote date")
    expiry = days[0].expiry
    # the universe: every (strike, call/put) listed on any day
    keys = sorted(
        {(k, c) for s in days for k, c in zip(s.strike.tolist(), s.is_call.tolist(), strict=True)}
    )
    index = {key: i for i, key in enumerate(keys)}
    strikes = np.array([k for k, _ in keys], dtype=np.float64)
    calls = np.array([c for _, c in keys], dtype=np.bool_)
    n = len(keys)
    tick, mult, qty = cfg.tick, Decimal(cfg.multiplier), cfg.qty_contracts
    und = Instrument(cfg.underlying, Decimal("0.01"), Decimal(1))
    hedger = (
        None
        if cfg.hedge_threshold is None
        else Hedger(HedgeConfig(und, cfg.hedge_threshold, Decimal(0), 0))
    )
    book = OptionsBookConfig(
        cfg.spec, tick, qty, float(cfg.multiplier), max_abs_vega_per_pt=cfg.max_abs_vega_per_pt
    )
    maker: OptionsMarketMaker | None = None
    cash = Decimal(0)
    marks = [Decimal(0)] * n
    prev: tuple[OptionQuotes, npt.NDArray[np.bool_]] | None = None
    out: list[ChainDay] = []
    settled = False
    for d, snap in enumerate(days):
        now = d * _DAY_NS
        listed = np.zeros(n, dtype=np.bool_)
        vbid = np.full(n, np.nan)
        vask = np.full(n, np.nan)
        at = np.array(
            [index[key] for key in zip(snap.strike.tolist(), snap.is_call.tolist(), strict=True)],
            dtype=np.int64,
        )
        listed[at] = True
        vbid[at], vask[at] = snap.bid, snap.ask
        spot = _dec(snap.underlying)
        expiring = snap.quote_date >= expiry or snap.t_y <= 0
        bought = sold = 0
        # 1. fills of yesterday's quotes against today's snapshot (not at expiry)
        if prev is not None and maker is not None and not expiring:
            q, on = prev
            with np.errstate(invalid="ignore"):
                hit_bid = on & q.bid_on & (vask > 0) & (vask <= q.bid_ticks * float(tick))
                hit_ask = on & q.ask_on & (vbid > 0) & (vbid >= q.ask_ticks * float(tick))
            for i in np.flatnonzero(hit_bid).tolist():
                maker.on_option_fill(i, Side.BUY, qty)
                cash -= int(q.bid_ticks[i]) * tick * qty * mult
                bought += qty
            for i in np.flatnonzero(hit_ask).tolist():
                maker.on_option_fill(i, Side.SELL, qty)
                cash += int(q.ask_ticks[i]) * tick * qty * mult
                sold += qty
        prev = None
        hedge_qty = Decimal(0)
        quoted = blocked = 0
        if expiring:
            settled = True
            intrinsic = np.where(calls, np.maximum(snap.underlying - strikes, 0.0), 0.0)
            intrinsic = np.where(calls, intrinsic, np.maximum(strikes - snap.underlying, 0.0))
            marks = [_dec(x) for x in intrinsic.tolist()]
        else:
            # 2. the day's smile
            fit = analyse_expiry(snap.strike, snap.is_call, snap.bid, snap.ask, snap.t_y)
            if fit is not None:
                if maker is None:
                    maker = OptionsMarketMaker(fit.smile, strikes, calls, book, und.symbol, hedger)
                else:
                    maker.set_smile(fit.smile)
                # 3. delta hedge at the day's underlying price
                intent = maker.hedge_intent(round(snap.underlying * 100), now)
                if intent is not None:
                    fill = Fill(now, und.symbol, intent.side, spot, intent.qty, order_id="x")
                    maker.on_hedge_fill(fill, intent.client_id)
                    signed = intent.qty if intent.side is Side.BUY else -intent.qty
                    hedge_qty = signed
                    cash -= signed * spot
                # 4. tomorrow's quotes
                q = maker.quotes()
                two_sided = listed & (vbid > 0) & (vask > 0)
                with np.errstate(invalid="ignore"):
                    near = np.abs(np.log(strikes / fit.fit.forward)) <= cfg.band
                on = two_sided & near
                prev = (q, on)
                quoted = int((on & (q.bid_on | q.ask_on)).sum())
                blocked = int((on & q.vega_blocked_bid).sum() + (on & q.vega_blocked_ask).sum())
                theo = q.theo
            else:
                theo = np.full(n, np.nan)
            # 5. marks: vendor mid, else theo, else the last mark
            with np.errstate(invalid="ignore"):
                mid = np.where((vbid > 0) & (vask >= vbid), (vbid + vask) / 2.0, np.nan)
            for i in range(n):
                m = mid[i] if math.isfinite(mid[i]) else theo[i]
                if math.isfinite(m):
                    marks[i] = _dec(m)
        position = maker.position if maker is not None else np.zeros(n)
        held = maker.inventory.position(und.symbol) if maker is not None else Decimal(0)
        value = sum((int(p) * marks[i] for i, p in enumerate(position.tolist()) if p), Decimal(0))
        pnl = cash + value * mult + held * spot
        if maker is not None and not expiring:
            g = maker.greeks()
            delta, gamma, vega = g.delta, g.gamma, g.vega_per_pt
        else:
            delta = gamma = vega = 0.0
        out.append(
            ChainDay(
                date=snap.quote_date,
                underlying=spot,
                bought=bought,
                sold=sold,
                hedge_qty=hedge_qty,
                contracts_held=int(np.abs(position).sum()),
                underlying_held=held,
                delta=delta,
                gamma=gamma,
                vega_per_pt=vega,
                pnl=pnl,
                quoted=quoted,
                vega_blocked=blocked,
            )
        )
        if expiring:
            break
    return ChainBacktestResult(expiry, tuple(out), settled)


def chain_report(result: ChainBacktestResult) -> dict[str, object]:
    """JSON-ready figures: the totals and one row per quote date (money as strings)."""
    return {
        "expiry": result.expiry,
        "settled": result.settled,
        "fills": result.fills,
        "pnl": str(result.pnl),
        "days": [
            {
                "date": d.date,
                "underlying": str(d.underlying),
                "bought": d.bought,
                "sold": d.sold,
                "hedge_qty": str(d.hedge_qty),
                "contracts_held": d.contracts_held,
                "underlying_held": str(d.underlying_held),
                "delta": d.delta,
                "gamma": d.gamma,
                "vega_per_pt": d.vega_per_pt,
                "pnl": str(d.pnl),
                "quoted": d.quoted,
                "vega_blocked": d.vega_blocked,
            }
            for d in result.days
        ],
    }


def format_chain_report(result: ChainBacktestResult) -> str:
    """A plain-text table of `chain_report` (PnL rounded to cents for reading)."""
    cent = Decimal("0.01")
    head = (
        f"{'date':<10} {'underlying':>10} {'bought':>6} {'sold':>5} {'hedge':>8} "
        f"{'held':>5} {'delta':>8} {'vega/pt':>10} {'pnl':>14} {'quoted':>6} {'blocked':>7}"
    )
    lines = [f"expiry {result.expiry}", head]
    for d in result.days:
        lines.append(
            f"{d.date:<10} {d.underlying:>10} {d.bought:>6} {d.sold:>5} {d.hedge_qty:>8} "
            f"{d.contracts_held:>5} {d.delta:>8.1f} {d.vega_per_pt:>10.0f} "
            f"{d.pnl.quantize(cent):>14} {d.quoted:>6} {d.vega_blocked:>7}"
        )
    end = "settled at intrinsic" if result.settled else "not settled (expiry date not in the data)"
    lines.append(f"fills {result.fills}, pnl {result.pnl.quantize(cent)}, {end}")
    return "\n".join(lines)
