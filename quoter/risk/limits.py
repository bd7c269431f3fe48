"""Risk limits: `SymbolLimits` and `RiskConfig` (None switches a check off), and loading them.

`risk_config_from_mapping` turns the `risk` section of a quoter config (YAML or
JSON, already parsed) into a `RiskConfig`, with one clear `ConfigError` per bad
key. Numbers become exact `Decimal`s (floats through their shortest repr).

Vega limits are per *underlying* (options on one underlying share a volatility
surface, so their vegas add up; vegas on different underlyings do not offset):
`max_abs_vega_per_pt` maps an underlying to the largest |book vega| allowed, in
money per volatility point; `max_total_abs_vega_per_pt` caps the sum over
underlyings of |book vega|. The engine learns each option's vega and underlying
at run time (`RiskEngine.set_vega`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation

from mmsla.errors import ConfigError
from quoter.intents import Instrument

__all__ = ["RiskConfig", "SymbolLimits", "risk_config_from_mapping"]


@dataclass(frozen=True, slots=True)
class SymbolLimits:
    """Per-symbol limits, exact: quantity in the instrument's units, money in quote currency."""

    max_order_qty: Decimal | None = None
    max_order_notional: Decimal | None = None
    price_collar_bps: Decimal | None = None
    max_net_qty: Decimal | None = None
    max_gross_notional: Decimal | None = None


@dataclass(frozen=True)
class RiskConfig:
    """Risk limits; None switches a check off. `per_symbol` replaces `default` for a symbol."""

    instruments: tuple[Instrument, ...]
    default: SymbolLimits = SymbolLimits()
    per_symbol: Mapping[str, SymbolLimits] = field(default_factory=dict)
    max_total_net_notional: Decimal | None = None
    max_total_gross_notional: Decimal | None = None
    max_msgs: int | None = None
    rate_window_ns: int = 1_000_000_000
    max_open_orders: int | None = None
    max_daily_loss: Decimal | None = None  # a positive amount
    # underlying -> max |book vega| per vol point (money); absent = no per-underlying limit
    max_abs_vega_per_pt: Mapping[str, Decimal] = field(default_factory=dict)
    max_total_abs_vega_per_pt: Decimal | None = None  # sum over underlyings of |vega|

    def __post_init__(self) -> None:
        if self.rate_window_ns <= 0:
            raise ValueError("rate_window_ns must be positive")
        if self.max_daily_loss is not None and self.max_daily_loss < 0:
            raise ValueError("max_daily_loss is a positive amount")
        unknown = set(self.per_symbol) - {i.symbol for i in self.instruments}
        if unknown:
            raise ValueError(f"limits for unknown symbols: {sorted(unknown)}")
        vega = [*self.max_abs_vega_per_pt.values(), self.max_total_abs_vega_per_pt]
        if any(v is not None and (not v.is_finite() or v < 0) for v in vega):
            raise ValueError("vega limits must be finite and >= 0")


_LIMIT_KEYS = frozenset(f.name for f in fields(SymbolLimits))
_TOP_KEYS = frozenset(
    {
        "default",
        "symbols",
        "max_total_net_notional",
        "max_total_gross_notional",
        "max_msgs",
        "rate_window_s",
        "max_open_orders",
        "max_daily_loss",
        "max_abs_vega_per_pt",
        "max_total_abs_vega_per_pt",
    }
)
_NS_PER_S = Decimal(1_000_000_000)


def _amount(value: object, where: str) -> Decimal | None:
    """A non-negative exact amount, or None (check off)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ConfigError(f"{where}: expected a number or null, got {value!r}")
    try:
        d = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ConfigError(f"{where}: {value!r} is not a number") from None
    if not d.is_finite() or d < 0:
        raise ConfigError(f"{where}: must be a finite number >= 0, got {value!r}")
    return d


def _count(value: object, where: str) -> int | None:
    d = _amount(value, where)
    if d is None:
        return None
    if d != d.to_integral_value():
        raise ConfigError(f"{where}: must be a whole number, got {value!r}")
    return int(d)


def _mapping(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a mapping, got {value!r}")
    return value


def _limits(
    data: Mapping[str, object], where: str, base: dict[str, Decimal | None]
) -> SymbolLimits:
    unknown = sorted(set(data) - _LIMIT_KEYS)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown key")
    merged = dict(base)
    for key, value in data.items():
        merged[key] = _amount(value, f"{where}.{key}")
    return SymbolLimits(**merged)


def risk_config_from_mapping(
    data: Mapping[str, object], instruments: Sequence[Instrument], *, where: str = "risk"
) -> RiskConfig:
    """A `RiskConfig` from a parsed config section; `ConfigError` names the bad key.

    Keys (all optional; null or absent = check off): `default` and
    `symbols: {SYMBOL: {...}}` with the `SymbolLimits` keys (a symbol's keys
    override the default key by key), `max_total_net_notional`,
    `max_total_gross_notional`, `max_msgs`, `rate_window_s` (default 1),
    `max_open_orders`, `max_daily_loss`, `max_abs_vega_per_pt: {UNDERLYING: amount}`,
    `max_total_abs_vega_per_pt`.
    """
    data = _mapping(data, where)
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown key")
    default = _limits(
        _mapping(data.get("default") or {}, f"{where}.default"), f"{where}.default", {}
    )
    base = {f.name: getattr(default, f.name) for f in fields(SymbolLimits)}
    known = {i.symbol for i in instruments}
    per_symbol: dict[str, SymbolLimits] = {}
    symbols = _mapping(data.get("symbols") or {}, f"{where}.symbols")
    for sym, lim in symbols.items():
        at = f"{where}.symbols.{sym}"
        if sym not in known:
            raise ConfigError(f"{at}: not a configured instrument")
        per_symbol[sym] = _limits(_mapping(lim or {}, at), at, base)
    window_s = _amount(data.get("rate_window_s", 1), f"{where}.rate_window_s")
    window_ns = int((window_s or Decimal(0)) * _NS_PER_S)
    if window_ns <= 0:
        raise ConfigError(f"{where}.rate_window_s: must be positive")
    vega: dict[str, Decimal] = {}
    vega_data = _mapping(data.get("max_abs_vega_per_pt") or {}, f"{where}.max_abs_vega_per_pt")
    for und, value in vega_data.items():
        limit = _amount(value, f"{where}.max_abs_vega_per_pt.{und}")
        if limit is not None:
            vega[str(und)] = limit
    return RiskConfig(
        instruments=tuple(instruments),
        default=default,
        per_symbol=per_symbol,
        max_total_net_notional=_amount(
            data.get("max_total_net_notional"), f"{where}.max_total_net_notional"
        ),
        max_total_gross_notional=_amount(
            data.get("max_total_gross_notional"), f"{where}.max_total_gross_notional"
        ),
        max_msgs=_count(data.get("max_msgs"), f"{where}.max_msgs"),
        rate_window_ns=window_ns,
        max_open_orders=_count(data.get("max_open_orders"), f"{where}.max_open_orders"),
        max_daily_loss=_amount(data.get("max_daily_loss"), f"{where}.max_daily_loss"),
        max_abs_vega_per_pt=vega,
        max_total_abs_vega_per_pt=_amount(
            data.get("max_total_abs_vega_per_pt"), f"{where}.max_total_abs_vega_per_pt"
        ),
    )
