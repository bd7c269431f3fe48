"""The backtest configuration file: the quoter's own config plus how the replay behaves.

YAML (or JSON) with these keys; only `quoter` is required:
```yaml
quoter: ../quoter/quoter.yaml     # the live quoter's config file (relative to this file),
                                  # or the same content inline as a mapping
queue_model: conservative         # conservative | random  (quoter.venue.replay.QueueModel)
feed_latency: {model: constant, us: 0}          # venue -> quoter (market data, reports)
order_latency: {model: lognormal, median_us: 250, sigma: 0.5}   # quoter -> venue
fees: {maker_bps: 0, taker_bps: 0}   # venue fees in bps of notional, negative = rebate
synthetic:                        # only for `--format synthetic` (quoter.venue.synthetic)
  start: "2026-01-05T09:00:00Z"   # UTC start of the simulated market
  duration_s: 600
  mid_px: 100                     # every other key: a SyntheticParams field
  intensity_a_per_s: 2.0
  intensity_k_per_px: 20.0
```
Latency models: `constant` (`us` or `ns`) or `lognormal` (`median_us` or
`median_ns`, `sigma`), seeded from the run's seed. The quoter section is
validated by `quoter.config` exactly as live; its venue/endpoints/output keys
are not used (the backtest has no sockets and writes into `--out`).
Not here: running anything (`quoter.backtest.runner`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from mmsla.errors import ConfigError
from mmsla.io.config_file import read_config_file
from quoter.backtest.latency import ConstantLatency, LatencyModel, LogNormalLatency
from quoter.config import QuoterConfig, build_config, load_config
from quoter.venue.replay import QueueModel
from quoter.venue.synthetic import SyntheticParams

__all__ = [
    "BacktestConfig",
    "LatencySpec",
    "SyntheticSpec",
    "build_backtest_config",
    "load_backtest_config",
]

_KEYS = frozenset({"quoter", "queue_model", "feed_latency", "order_latency", "fees", "synthetic"})
_SYN_KEYS = frozenset(
    {
        "intensity_a_per_s",
        "intensity_k_per_px",
        "taker_qty_lots",
        "sigma_px_per_sqrt_s",
        "jump_rate_per_s",
        "jump_sigma_px",
        "dt_ms",
        "bg_levels",
        "bg_qty_lots",
        "bg_offset_ticks",
        "bg_spacing_ticks",
        "stress_vol_px_per_sqrt_s",
        "stress_window_s",
    }
)


@dataclass(frozen=True, slots=True)
class SyntheticSpec:
    """A synthetic market to replay instead of a recording: start, length, parameters
    (the seed of `params` is replaced by the run's seed)."""

    start_ns: int
    duration_ns: int
    params: SyntheticParams


@dataclass(frozen=True, slots=True)
class LatencySpec:
    """`model` constant (every message `ns`) or lognormal (median `ns`, `sigma`)."""

    model: str = "constant"
    ns: int = 0
    sigma: float = 0.0

    def build(self, seed: int) -> LatencyModel:
        if self.model == "constant":
            return ConstantLatency(self.ns)
        return LogNormalLatency(self.ns, self.sigma, seed)


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    quoter: QuoterConfig
    queue_model: QueueModel = QueueModel.CONSERVATIVE
    feed_latency: LatencySpec = LatencySpec()
    order_latency: LatencySpec = LatencySpec()
    maker_fee_bps: Decimal = Decimal(0)
    taker_fee_bps: Decimal = Decimal(0)
    synthetic: SyntheticSpec | None = None
    path: str = "<config>"


def load_backtest_config(path: str | Path) -> BacktestConfig:
    """Read and validate a backtest config file."""
    data = read_config_file(path)
    return build_backtest_config(data, source=str(path), base_dir=Path(path).resolve().parent)


def _int_ns(spec: Mapping[str, Any], where: str, us: str, ns: str) -> int:
    if (us in spec) == (ns in spec):
        raise ConfigError(f"{where}: give exactly one of {us!r} or {ns!r}")
    key = us if us in spec else ns
    try:
        value = Decimal(str(spec[key]))
    except InvalidOperation:
        raise ConfigError(f"{where}: {key}: {spec[key]!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ConfigError(f"{where}: {key}: must be a finite number >= 0")
    out = value * 1000 if key == us else value
    if out != out.to_integral_value():
        raise ConfigError(f"{where}: {key}: must be a whole number of nanoseconds")
    return int(out)


def _latency(spec: object, where: str) -> LatencySpec:
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: expected a mapping like {{model: constant, us: 100}}")
    model = spec.get("model", "constant")
    if model == "constant":
        extra = set(spec) - {"model", "us", "ns"}
        if extra:
            raise ConfigError(f"{where}: unknown key {sorted(extra)[0]!r}")
        return LatencySpec("constant", _int_ns(spec, where, "us", "ns"))
    if model == "lognormal":
        extra = set(spec) - {"model", "median_us", "median_ns", "sigma"}
        if extra:
            raise ConfigError(f"{where}: unknown key {sorted(extra)[0]!r}")
        median = _int_ns(spec, where, "median_us", "median_ns")
        if median <= 0:
            raise ConfigError(f"{where}: the median must be > 0")
        sigma = spec.get("sigma")
        if isinstance(sigma, bool) or not isinstance(sigma, int | float) or not sigma >= 0:
            raise ConfigError(f"{where}: sigma: expected a number >= 0")
        return LatencySpec("lognormal", median, float(sigma))
    raise ConfigError(f"{where}: model: {model!r} is not constant or lognormal")


def _fee(fees: Mapping[str, Any], key: str, where: str) -> Decimal:
    try:
        d = Decimal(str(fees.get(key, 0)))
    except InvalidOperation:
        raise ConfigError(f"{where}: {key}: {fees[key]!r} is not a number") from None
    if not d.is_finite():
        raise ConfigError(f"{where}: {key}: must be finite")
    return d


def _synthetic(spec: object, where: str) -> SyntheticSpec:
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: expected a mapping")
    for key in ("start", "duration_s", "mid_px"):
        if key not in spec:
            raise ConfigError(f"{where}: {key}: required")
    extra = set(spec) - _SYN_KEYS - {"start", "duration_s", "mid_px"}
    if extra:
        raise ConfigError(f"{where}: unknown key {sorted(map(str, extra))[0]!r}")
    start = spec["start"]
    try:
        when = start if isinstance(start, datetime) else datetime.fromisoformat(str(start))
    except ValueError:
        raise ConfigError(f"{where}: start: {start!r} is not an ISO date-time") from None
    if when.tzinfo is None:
        raise ConfigError(f"{where}: start: give the UTC offset (e.g. ...Z)")
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    delta = when - epoch
    start_ns = (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    try:
        duration = Decimal(str(spec["duration_s"]))
        mid = Decimal(str(spec["mid_px"]))
    except InvalidOperation:
        raise ConfigError(f"{where}: duration_s and mid_px must be numbers") from None
    if not duration.is_finite() or duration <= 0 or not mid.is_finite() or mid <= 0:
        raise ConfigError(f"{where}: duration_s and mid_px must be positive")
    try:
        params = SyntheticParams(mid_px=mid, **{k: spec[k] for k in _SYN_KEYS if k in spec})
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{where}: {e}") from None
    return SyntheticSpec(start_ns, int(duration * 1_000_000_000), params)


def build_backtest_config(
    data: object, *, source: str = "<config>", base_dir: Path | None = None
) -> BacktestConfig:
    """Validate parsed data and build the typed config (the quoter part via `quoter.config`)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(f"{source}: unknown key {sorted(map(str, unknown))[0]!r}")
    if "quoter" not in data:
        raise ConfigError(f"{source}: quoter: required (the quoter config file or mapping)")
    base = base_dir or Path.cwd()
    q = data["quoter"]
    if isinstance(q, str):
        quoter = load_config(base / q)
    elif isinstance(q, Mapping):
        quoter = build_config(q, source=f"{source}: quoter", base_dir=base)
    else:
        raise ConfigError(f"{source}: quoter: expected a file name or a mapping")
    qm = data.get("queue_model", "conservative")
    try:
        queue_model = QueueModel(qm)
    except ValueError:
        raise ConfigError(f"{source}: queue_model: {qm!r} is not conservative or random") from None
    fees = data.get("fees", {}) or {}
    if not isinstance(fees, Mapping) or set(fees) - {"maker_bps", "taker_bps"}:
        raise ConfigError(f"{source}: fees: expected {{maker_bps: x, taker_bps: y}}")
    return BacktestConfig(
        quoter=quoter,
        queue_model=queue_model,
        feed_latency=_latency(data.get("feed_latency", {"us": 0}), f"{source}: feed_latency"),
        order_latency=_latency(data.get("order_latency", {"us": 0}), f"{source}: order_latency"),
        maker_fee_bps=_fee(fees, "maker_bps", f"{source}: fees"),
        taker_fee_bps=_fee(fees, "taker_bps", f"{source}: fees"),
        synthetic=None
        if data.get("synthetic") is None
        else _synthetic(data["synthetic"], f"{source}: synthetic"),
        path=source,
    )
