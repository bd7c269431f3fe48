"""The quoter's configuration: YAML validated by `config.schema.json`, built into frozen values.

`load_config(path)` reads the file, checks it against the JSON Schema (every
problem reported as `FILE: key: message`, together, in one `ConfigError`),
then builds `QuoterConfig`: instruments (exact tick/lot), the pricing model
objects (`quoter.pricing`), the ladder, the requote policy, the agreement (the
same file `mmsla check` reads, path relative to the config file), risk limits
(`quoter.risk.risk_config_from_mapping`), the hedge policy, ZMQ endpoints and
output paths. Relative output paths are relative to the config file too.

It does not open sockets or files other than the config and the agreement.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from mmsla.agreement import load_agreement
from mmsla.domain.agreement import Agreement
from mmsla.errors import ConfigError
from mmsla.io.config_file import read_config_file
from quoter.intents import Instrument
from quoter.pricing.requote import RequotePolicy
from quoter.pricing.skew import InventorySkew
from quoter.pricing.spread import AvellanedaStoikov, FixedSpread, Glft, SpreadModel, VolScaledSpread
from quoter.pricing.volatility import EwmaConfig
from quoter.risk import RiskConfig, risk_config_from_mapping

__all__ = [
    "SCHEMA_PATH",
    "Endpoints",
    "HedgeSettings",
    "LadderConfig",
    "OutputPaths",
    "PricingConfig",
    "QuoterConfig",
    "SymbolConfig",
    "VenueConfig",
    "build_config",
    "load_config",
]

SCHEMA_PATH = Path(__file__).with_name("config.schema.json")
NS_PER_S = 1_000_000_000


@dataclass(frozen=True)
class VenueConfig:
    """The FIX session to the venue. `profile`: `orders` (NewOrderSingle + cancel/replace)
    or `mass_quote` (MassQuote/QuoteCancel). `max_msgs_per_s` None = no throttle."""

    host: str
    port: int
    sender_comp_id: str
    target_comp_id: str = "VENUE"
    username: str | None = None
    password: str | None = None
    profile: str = "orders"
    heartbeat_s: int = 30
    max_msgs_per_s: int | None = None
    md_depth: int = 5
    reconnect_initial_s: float = 0.5
    reconnect_max_s: float = 10.0


@dataclass(frozen=True)
class SymbolConfig:
    """One instrument; `quote` False = subscribed (e.g. as a hedge) but not quoted."""

    instrument: Instrument
    quote: bool = True
    hedge_symbol: str | None = None

    @property
    def symbol(self) -> str:
        return self.instrument.symbol


@dataclass(frozen=True)
class PricingConfig:
    """Fair value (`mid|microprice|weighted`), volatility, spread model, skew.

    `weights` (weighted only): symbol -> weight of that symbol's mid in every
    quoted symbol's fair value (each mid must already be in the same price).
    `horizon_s` is the Avellaneda-Stoikov T (time left cycles over it).
    `exclude_own_orders`: fair value is computed from the book less our own
    orders, resting or in flight (a mid or microprice that counts our own
    quotes chases them).
    """

    spread: SpreadModel
    fair_value: str = "mid"
    weights: Mapping[str, float] = field(default_factory=dict)
    volatility: EwmaConfig = field(default_factory=lambda: EwmaConfig(half_life_s=60.0))
    skew: InventorySkew | None = None
    min_width_ticks: int = 1
    horizon_s: float | None = None
    exclude_own_orders: bool = True


@dataclass(frozen=True)
class LadderConfig:
    """`levels` per side, `step_ticks` apart; size `qty` at the best, `+ qty_step` per level."""

    qty: Decimal
    levels: int = 1
    step_ticks: int = 1
    qty_step: Decimal = Decimal(0)


@dataclass(frozen=True)
class HedgeSettings:
    """Hedge policy parameters shared by every hedge symbol (see `quoter.hedge`)."""

    threshold: Decimal
    target: Decimal = Decimal(0)
    slippage_bps: Decimal = Decimal(10)
    cooldown_ns: int = NS_PER_S
    max_qty: Decimal | None = None


@dataclass(frozen=True)
class Endpoints:
    """ZMQ endpoints; None = not served."""

    events: str | None = None
    control: str | None = None
    replay: str | None = None


@dataclass(frozen=True)
class OutputPaths:
    """Files written; None = not written."""

    quote_log: Path | None = None
    fills: Path | None = None
    journal: Path | None = None
    flush_every: int = 256


@dataclass(frozen=True)
class QuoterConfig:
    venue: VenueConfig
    symbols: tuple[SymbolConfig, ...]
    pricing: PricingConfig
    ladder: LadderConfig
    risk: RiskConfig
    requote: RequotePolicy = field(default_factory=RequotePolicy)
    agreement: Agreement | None = None
    clamp_buffer_ticks: int = 0
    hedge: HedgeSettings | None = None
    endpoints: Endpoints = field(default_factory=Endpoints)
    output: OutputPaths = field(default_factory=OutputPaths)
    source: str = "quoter"
    path: str = "<config>"

    def symbol(self, name: str) -> SymbolConfig:
        for s in self.symbols:
            if s.symbol == name:
                return s
        raise KeyError(name)

    @property
    def quoted(self) -> tuple[SymbolConfig, ...]:
        return tuple(s for s in self.symbols if s.quote)


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _key(path: Any) -> str:
    return ".".join(str(p) for p in path) or "<root>"


def _dec(value: object, where: str, name: str) -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(f"{where}: {name}: {value!r} is not a number") from None
    if not d.is_finite():
        raise ConfigError(f"{where}: {name}: must be finite")
    return d


def load_config(path: str | Path) -> QuoterConfig:
    """Read, validate and build a quoter config (YAML or JSON)."""
    data = read_config_file(path)
    return build_config(data, source=str(path), base_dir=Path(path).resolve().parent)


def build_config(
    data: Any, *, source: str = "<config>", base_dir: Path | None = None
) -> QuoterConfig:
    """Validate parsed data against the schema, then build the typed config."""
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = [f"{source}: {_key(e.absolute_path)}: {e.message}" for e in errors]
        raise ConfigError("\n".join(lines))
    base = base_dir or Path.cwd()
    try:
        return _build(data, source, base)
    except ConfigError as e:
        msg = str(e)
        raise ConfigError(msg if msg.startswith(source) else f"{source}: {msg}") from None
    except ValueError as e:
        raise ConfigError(f"{source}: {e}") from None


def _build(data: Mapping[str, Any], source: str, base: Path) -> QuoterConfig:
    v = data["venue"]
    venue = VenueConfig(
        host=v["host"],
        port=v["port"],
        sender_comp_id=v["sender_comp_id"],
        target_comp_id=v.get("target_comp_id", "VENUE"),
        username=v.get("username"),
        password=v.get("password"),
        profile=v.get("profile", "orders"),
        heartbeat_s=v.get("heartbeat_s", 30),
        max_msgs_per_s=v.get("max_msgs_per_s"),
        md_depth=v.get("md_depth", 5),
        reconnect_initial_s=float(v.get("reconnect_initial_s", 0.5)),
        reconnect_max_s=float(v.get("reconnect_max_s", 10.0)),
    )
    symbols: list[SymbolConfig] = []
    seen: set[str] = set()
    for i, s in enumerate(data["symbols"]):
        at = f"symbols.{i}"
        if s["symbol"] in seen:
            raise ConfigError(f"{at}.symbol: duplicate symbol {s['symbol']!r}")
        seen.add(s["symbol"])
        inst = Instrument(
            s["symbol"],
            _dec(s["tick"], at, "tick"),
            _dec(s["lot"], at, "lot"),
            _dec(s.get("delta_weight", 1), at, "delta_weight"),
        )
        symbols.append(SymbolConfig(inst, s.get("quote", True), s.get("hedge_symbol")))
    for i, s in enumerate(symbols):
        if s.hedge_symbol is not None and s.hedge_symbol not in seen:
            raise ConfigError(f"symbols.{i}.hedge_symbol: {s.hedge_symbol!r} is not a symbol")
    if not any(s.quote for s in symbols):
        raise ConfigError("symbols: no symbol is quoted")

    p = data["pricing"]
    fv = p.get("fair_value", "mid")
    weights = dict(p.get("weights") or {})
    if fv == "weighted":
        if not weights or sum(weights.values()) <= 0:
            raise ConfigError("pricing.weights: weighted fair value needs positive weights")
        for sym in weights:
            if sym not in seen:
                raise ConfigError(f"pricing.weights.{sym}: not a configured symbol")
    vol = p.get("volatility") or {"half_life_s": 60}
    sp = p["spread"]
    horizon = sp.get("horizon_s")
    model = _spread_model(sp)
    if sp["model"] == "avellaneda_stoikov" and horizon is None:
        raise ConfigError("pricing.spread.horizon_s: required by avellaneda_stoikov")
    skew = p.get("skew")
    pricing = PricingConfig(
        spread=model,
        fair_value=fv,
        weights=weights,
        volatility=EwmaConfig(float(vol["half_life_s"]), vol.get("initial_sigma_per_s")),
        skew=None if skew is None else InventorySkew(skew["ticks_per_lot"], skew.get("max_ticks")),
        min_width_ticks=p.get("min_width_ticks", 1),
        horizon_s=None if horizon is None else float(horizon),
        exclude_own_orders=bool(p.get("exclude_own_orders", True)),
    )
    lad = data["ladder"]
    ladder = LadderConfig(
        qty=_dec(lad["qty"], "ladder", "qty"),
        levels=lad.get("levels", 1),
        step_ticks=lad.get("step_ticks", 1),
        qty_step=_dec(lad.get("qty_step", 0), "ladder", "qty_step"),
    )
    for s in symbols:
        for n in range(ladder.levels):
            q = ladder.qty + n * ladder.qty_step
            if q <= 0 or q % s.instrument.lot != 0:
                raise ConfigError(
                    f"ladder.qty: level {n + 1} size {q} is not a positive multiple "
                    f"of {s.symbol} lot {s.instrument.lot}"
                )
    rq = data.get("requote") or {}
    requote = RequotePolicy(rq.get("tolerance_ticks", 0), rq.get("max_age_s"))

    agreement = None
    if data.get("agreement"):
        apath = Path(data["agreement"])
        agreement = load_agreement(apath if apath.is_absolute() else base / apath)

    risk = risk_config_from_mapping(data.get("risk") or {}, [s.instrument for s in symbols])

    h = data.get("hedge")
    hedge = None
    if h is not None:
        max_qty = h.get("max_qty")
        hedge = HedgeSettings(
            threshold=_dec(h["threshold"], "hedge", "threshold"),
            target=_dec(h.get("target", 0), "hedge", "target"),
            slippage_bps=_dec(h.get("slippage_bps", 10), "hedge", "slippage_bps"),
            cooldown_ns=int(Decimal(str(h.get("cooldown_s", 1))) * NS_PER_S),
            max_qty=None if max_qty is None else _dec(max_qty, "hedge", "max_qty"),
        )
        if not Decimal(0) <= hedge.target <= hedge.threshold:
            raise ConfigError("hedge.target: must be within [0, threshold]")
    ep = data.get("endpoints") or {}
    endpoints = Endpoints(ep.get("events"), ep.get("control"), ep.get("replay"))
    out = data.get("output") or {}

    def _path(key: str) -> Path | None:
        value = out.get(key)
        if value is None:
            return None
        pth = Path(value)
        return pth if pth.is_absolute() else base / pth

    output = OutputPaths(
        _path("quote_log"), _path("fills"), _path("journal"), out.get("flush_every", 256)
    )
    return QuoterConfig(
        venue=venue,
        symbols=tuple(symbols),
        pricing=pricing,
        ladder=ladder,
        risk=risk,
        requote=requote,
        agreement=agreement,
        clamp_buffer_ticks=(data.get("clamp") or {}).get("buffer_ticks", 0),
        hedge=hedge,
        endpoints=endpoints,
        output=output,
        source=data.get("source", venue.sender_comp_id),
        path=source,
    )


def _spread_model(sp: Mapping[str, Any]) -> SpreadModel:
    kind = sp["model"]
    allowed = {
        "fixed": {"spread_bps", "spread_ticks"},
        "vol_scaled": {"base_ticks", "vol_mult", "max_ticks"},
        "avellaneda_stoikov": {"gamma", "k", "horizon_s"},
        "glft": {"gamma", "a", "k", "xi", "delta_lots"},
    }[kind]
    extra = sorted(set(sp) - allowed - {"model"})
    if extra:
        raise ConfigError(f"pricing.spread.{extra[0]}: not a parameter of model {kind}")

    def need(key: str) -> float:
        if key not in sp:
            raise ConfigError(f"pricing.spread.{key}: required by model {kind}")
        return float(sp[key])

    if kind == "fixed":
        if ("spread_bps" in sp) == ("spread_ticks" in sp):
            raise ConfigError("pricing.spread: fixed needs exactly one of spread_bps, spread_ticks")
        return FixedSpread(sp.get("spread_bps"), sp.get("spread_ticks"))
    if kind == "vol_scaled":
        return VolScaledSpread(need("base_ticks"), need("vol_mult"), sp.get("max_ticks"))
    if kind == "avellaneda_stoikov":
        return AvellanedaStoikov(need("gamma"), need("k"))
    return Glft(need("gamma"), need("a"), need("k"), sp.get("xi"), float(sp.get("delta_lots", 1)))
