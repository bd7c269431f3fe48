"""The Agreement value types: a validated agreement file as frozen, typed data.

Built only by `mmsla.agreement.load_agreement` (schema + semantic checks); the
obligation engine and reports read it. Every limit is a `Decimal`, every clock
time is whole seconds after local midnight (`24:00` = 86400). A term that is
`None` is not an obligation. No I/O and no evaluation happen here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class MaxSpread:
    """Spread limit: `value` in `unit` (abs|ticks|bps|pct) of `reference`.

    `reference` is own_mid|market_mid|bid|ask (ignored for abs and ticks).
    """

    value: Decimal
    unit: str = "pct"
    reference: str = "own_mid"


@dataclass(frozen=True)
class MinSize:
    """Minimum size per side at our best price: exactly one of `qty` or `notional`."""

    qty: Decimal | None = None
    notional: Decimal | None = None


@dataclass(frozen=True)
class SizeDivergence:
    """`|bid_qty - ask_qty| <= pct% * denominator` (smaller|larger|mean of the two sizes)."""

    pct: Decimal
    denominator: str = "smaller"


@dataclass(frozen=True)
class Depth:
    """Per side, resting notional within +/-`band_pct` of the reference mid >= `min_notional`."""

    band_pct: Decimal
    min_notional: Decimal
    reference: str = "market_mid"


@dataclass(frozen=True)
class PriceBand:
    """Each side within `pct`% of the reference price."""

    pct: Decimal
    reference: str = "market_mid"


@dataclass(frozen=True)
class Presence:
    min_pct: Decimal


@dataclass(frozen=True)
class SideUptime:
    """Per-side share of eligible time with a best level of at least `min_qty`."""

    min_pct: Decimal
    combine: str = "avg"
    min_qty: Decimal = Decimal(0)


@dataclass(frozen=True)
class AtInside:
    """Share of (optionally non-locked/crossed) eligible time our quote is at the market BBO."""

    min_pct: Decimal
    mode: str = "union"
    exclude_locked_crossed: bool = True
    min_qty: Decimal = Decimal(0)


@dataclass(frozen=True)
class Downtime:
    """Per clock hour caps on invalid time; `None` caps are off."""

    max_consecutive_s: Decimal | None = None
    max_per_hour_s: Decimal | None = None
    min_live_hours: int | None = None


@dataclass(frozen=True)
class RefreshAfterFill:
    grace_s: Decimal


@dataclass(frozen=True)
class Terms:
    """The obligation terms of one instrument (defaults merged with its overrides)."""

    two_sided: bool = True
    max_spread: MaxSpread | None = None
    min_size: MinSize | None = None
    max_size_divergence: SizeDivergence | None = None
    depth: Depth | None = None
    price_band: PriceBand | None = None
    presence: Presence | None = None
    side_uptime: SideUptime | None = None
    at_inside: AtInside | None = None
    downtime: Downtime | None = None
    refresh_after_fill: RefreshAfterFill | None = None

    @property
    def needs_market(self) -> bool:
        """True when some term refers to the market reference (market_mid or BBO)."""
        refs = [
            t.reference for t in (self.max_spread, self.depth, self.price_band) if t is not None
        ]
        return "market_mid" in refs or self.at_inside is not None


@dataclass(frozen=True)
class Instrument:
    """One instrument under obligation with its resolved terms."""

    symbol: str
    terms: Terms
    tick_size: Decimal | None = None


@dataclass(frozen=True)
class ClockInterval:
    """`[start_s, end_s)` in seconds after local midnight; end may be 86400 (24:00)."""

    start_s: int
    end_s: int


@dataclass(frozen=True)
class Window:
    start_s: int = 0
    end_s: int = 86400
    exclude: tuple[ClockInterval, ...] = ()


@dataclass(frozen=True)
class Calendar:
    """Trading weekdays (0 = Monday, as `date.weekday()`) and holiday dates."""

    weekdays: frozenset[int] = frozenset(range(7))
    holidays: frozenset[date] = frozenset()

    def is_trading_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays


@dataclass(frozen=True)
class Measurement:
    """`time_weighted`, or `snapshot` with samples every `interval_s` from window start."""

    mode: str = "time_weighted"
    interval_s: Decimal | None = None


@dataclass(frozen=True)
class StatesPolicy:
    """Which market states leave eligible time, and the stressed multipliers."""

    exceptional: str = "exclude"
    halt: str = "exclude"
    auction: str = "exclude"
    stressed_spread_multiplier: Decimal = Decimal(2)
    stressed_size_multiplier: Decimal = Decimal(1)

    def excluded(self) -> frozenset[str]:
        """States whose intervals are not eligible time."""
        pairs = (("exceptional", self.exceptional), ("halt", self.halt), ("auction", self.auction))
        return frozenset(name for name, effect in pairs if effect == "exclude")


@dataclass(frozen=True)
class Monthly:
    """Monthly roll-up: mean_of_daily | pooled_time (`min_pct`) or qualifying_days."""

    mode: str
    min_pct: Decimal | None = None
    daily_min_pct: Decimal | None = None
    min_days_pct: Decimal | None = None


@dataclass(frozen=True)
class Agreement:
    """A validated agreement. Use `terms_for(symbol)` for one instrument's terms."""

    id: str
    version: str
    timezone: str
    defaults: Terms
    title: str | None = None
    counterparty: str | None = None
    calendar: Calendar = field(default_factory=Calendar)
    window: Window = field(default_factory=Window)
    measurement: Measurement = field(default_factory=Measurement)
    states: StatesPolicy = field(default_factory=StatesPolicy)
    instruments: tuple[Instrument, ...] = ()
    monthly: Monthly | None = None
    source: str = ""

    def instrument(self, symbol: str) -> Instrument:
        """The instrument entry for `symbol`, or the defaults when none is listed."""
        for inst in self.instruments:
            if inst.symbol == symbol:
                return inst
        return Instrument(symbol=symbol, terms=self.defaults)

    def terms_for(self, symbol: str) -> Terms:
        return self.instrument(symbol).terms

    def symbols_in_scope(self, seen: list[str]) -> list[str]:
        """Symbols to evaluate: the listed instruments if any, else every symbol seen."""
        if self.instruments:
            return [inst.symbol for inst in self.instruments]
        return sorted(set(seen))
