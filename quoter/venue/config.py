"""The venue configuration file: YAML validated with JSON Schema, then semantic checks.

`load_venue_config(path)` returns a frozen `VenueConfig` (symbol specs, venue
rules, members and credentials, market source, scheduled stressed intervals)
or raises `mmsla.errors.ConfigError` as `FILE: key.path: message`. Relative
paths in the file are resolved against the file's directory. The schema is
`venue.schema.json` beside this module; `fixtures/venue/venue.yaml` is the
documented example. Does not open sockets or read market data: the CLI
composition root does that with `mmsla.io` readers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

import jsonschema

from mmsla.errors import ConfigError
from mmsla.io.config_file import read_config_file
from quoter.venue.matching import MatchingEngine
from quoter.venue.replay import REPLAY, QueueModel
from quoter.venue.rules import MmpSpec, PostOnlyMode, StpMode, SymbolSpec, ThrottleSpec, VenueRules
from quoter.venue.states import StateInterval
from quoter.venue.synthetic import MAKER, TAKER, SyntheticParams

SCHEMA_PATH = Path(__file__).with_name("venue.schema.json")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class MemberConfig:
    comp_id: str
    password: str
    cancel_on_disconnect: bool


@dataclass(frozen=True)
class SyntheticSource:
    symbol: str
    params: SyntheticParams


@dataclass(frozen=True)
class ReplaySourceConfig:
    """`speed_x` None = as fast as possible, 1.0 = real time, 60.0 = sixty times."""

    format: str  # lobster | binance
    paths: tuple[Path, ...]
    symbol: str | None
    depth: int
    speed_x: float | None
    queue_model: QueueModel
    seed: int


@dataclass(frozen=True)
class ClockConfig:
    """Simulation clock of a synthetic venue: `start_ns` None = now, `speed` sim s per wall s."""

    start_ns: int | None
    speed: Fraction
    end_ns: int | None


@dataclass(frozen=True)
class VenueConfig:
    path: Path
    host: str
    port: int
    members: tuple[MemberConfig, ...]
    symbols: tuple[SymbolSpec, ...]
    rules: VenueRules
    source: SyntheticSource | ReplaySourceConfig | None
    stressed: tuple[StateInterval, ...]
    states_path: Path | None
    clock: ClockConfig = field(default_factory=lambda: ClockConfig(None, Fraction(1), None))

    def member(self, comp_id: str) -> MemberConfig | None:
        return next((m for m in self.members if m.comp_id == comp_id), None)


def build_engine(cfg: VenueConfig) -> MatchingEngine:
    """A matching engine for the configured symbols and rules (source members are system)."""
    return MatchingEngine(cfg.symbols, cfg.rules, system_members=(REPLAY, MAKER, TAKER))


def load_venue_config(path: str | Path) -> VenueConfig:
    p = Path(path)
    raw = read_config_file(p)
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        err = errors[0]
        key = ".".join(str(x) for x in err.absolute_path) or "<root>"
        raise ConfigError(f"{p}: {key}: {err.message}")
    return _build(p, raw)


def _fail(path: Path, key: str, message: str) -> ConfigError:
    return ConfigError(f"{path}: {key}: {message}")


def _dec(path: Path, key: str, value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation as e:
        raise _fail(path, key, f"not a decimal: {value!r}") from e


def _ts(path: Path, key: str, text: str) -> int:
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as e:
        raise _fail(path, key, f"not an ISO-8601 time: {text!r}") from e
    if dt.tzinfo is None:
        raise _fail(path, key, "time needs an offset (e.g. Z or +01:00)")
    d = dt - _EPOCH
    return (d.days * 86_400 + d.seconds) * 1_000_000_000 + d.microseconds * 1_000


def _build(p: Path, raw: dict[str, Any]) -> VenueConfig:
    base = p.parent
    members: list[MemberConfig] = []
    default_cod = bool(raw.get("cancel_on_disconnect", True))
    for i, m in enumerate(raw["members"]):
        if any(x.comp_id == m["comp_id"] for x in members):
            raise _fail(p, f"members.{i}.comp_id", f"duplicate member {m['comp_id']!r}")
        members.append(
            MemberConfig(m["comp_id"], m["password"], m.get("cancel_on_disconnect", default_cod))
        )
    symbols: list[SymbolSpec] = []
    for i, s in enumerate(raw["symbols"]):
        k = f"symbols.{i}"
        if any(x.symbol == s["symbol"] for x in symbols):
            raise _fail(p, f"{k}.symbol", f"duplicate symbol {s['symbol']!r}")
        tick, lot = _dec(p, f"{k}.tick", s["tick"]), _dec(p, f"{k}.lot", s["lot"])
        if tick <= 0 or lot <= 0:
            raise _fail(p, f"{k}.tick" if tick <= 0 else f"{k}.lot", "must be positive")
        max_lots = None
        if "max_order_qty" in s:
            q, r = divmod(_dec(p, f"{k}.max_order_qty", s["max_order_qty"]), lot)
            if r or q <= 0:
                raise _fail(p, f"{k}.max_order_qty", "must be a positive multiple of lot")
            max_lots = int(q)
        band = s.get("price_band_bps")
        band_bps = None if band is None else _dec(p, f"{k}.price_band_bps", band)
        if band_bps is not None and band_bps <= 0:
            raise _fail(p, f"{k}.price_band_bps", "must be positive")
        mmp = s.get("mmp")
        symbols.append(
            SymbolSpec(
                s["symbol"],
                tick,
                lot,
                _dec(p, f"{k}.maker_fee_bps", s.get("maker_fee_bps", 0)),
                _dec(p, f"{k}.taker_fee_bps", s.get("taker_fee_bps", 0)),
                max_lots,
                band_bps,
                None if mmp is None else MmpSpec(mmp["max_fills"], mmp["window_ms"]),
            )
        )
    names = {s.symbol for s in symbols}
    thr = raw.get("throttle")
    rules = VenueRules(
        post_only=PostOnlyMode(raw.get("post_only", "reject")),
        stp=StpMode(raw.get("stp", "cancel_incoming")),
        throttle=None if thr is None else ThrottleSpec(thr["max_msgs"], thr["window_ms"]),
        book_depth=raw.get("book_depth", 5),
    )
    source = _source(p, base, raw.get("market"), names)
    stressed = []
    states = raw.get("states", {})
    for i, st in enumerate(states.get("stressed", [])):
        k = f"states.stressed.{i}"
        start, end = _ts(p, f"{k}.start", st["start"]), _ts(p, f"{k}.end", st["end"])
        if end <= start:
            raise _fail(p, f"{k}.end", "must be after start")
        sym = st.get("symbol", "*")
        if sym != "*" and sym not in names:
            raise _fail(p, f"{k}.symbol", f"unknown symbol {sym!r}")
        stressed.append(StateInterval(start, end, sym, "stressed", st.get("reason", "scheduled")))
    states_path = base / states["path"] if "path" in states else None
    clock = _clock(p, raw.get("clock", {}))
    return VenueConfig(
        p,
        raw.get("host", "127.0.0.1"),
        raw.get("port", 9876),
        tuple(members),
        tuple(symbols),
        rules,
        source,
        tuple(stressed),
        states_path,
        clock,
    )


def _clock(p: Path, raw: dict[str, Any]) -> ClockConfig:
    start = _ts(p, "clock.start", raw["start"]) if "start" in raw else None
    end = _ts(p, "clock.end", raw["end"]) if "end" in raw else None
    speed_raw = raw.get("speed", "realtime")
    speed = Fraction(1) if speed_raw == "realtime" else Fraction(str(speed_raw))
    if start is not None and end is not None and end <= start:
        raise _fail(p, "clock.end", "must be after clock.start")
    return ClockConfig(start, speed, end)


def _source(
    p: Path, base: Path, market: dict[str, Any] | None, names: set[str]
) -> SyntheticSource | ReplaySourceConfig | None:
    if market is None or market["source"] == "none":
        return None
    kind = market["source"]
    if kind not in market:
        raise _fail(p, f"market.{kind}", f"required when source is {kind}")
    if kind == "synthetic":
        syn = dict(market["synthetic"])
        sym = syn.pop("symbol")
        if sym not in names:
            raise _fail(p, "market.synthetic.symbol", f"unknown symbol {sym!r}")
        mid = _dec(p, "market.synthetic.mid_px", syn.pop("mid_px"))
        try:
            return SyntheticSource(sym, SyntheticParams(mid_px=mid, **syn))
        except ValueError as e:
            raise _fail(p, "market.synthetic", str(e)) from e
    rep = market["replay"]
    paths = tuple(base / x for x in rep["paths"])
    for i, x in enumerate(paths):
        if not x.exists():
            raise _fail(p, f"market.replay.paths.{i}", f"no such file: {x}")
    sym = rep.get("symbol")
    if sym is not None and sym not in names:
        raise _fail(p, "market.replay.symbol", f"unknown symbol {sym!r}")
    speed = rep.get("speed", "max")
    speed_x = None if speed == "max" else 1.0 if speed == "realtime" else float(speed)
    return ReplaySourceConfig(
        rep["format"],
        paths,
        sym,
        rep.get("depth", 5 if rep["format"] == "lobster" else 20),
        speed_x,
        QueueModel(rep.get("queue_model", "conservative")),
        rep.get("seed", 0),
    )
