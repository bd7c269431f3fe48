"""Monitor settings and the actions policy, loaded from a small YAML file.

Example (documented in `fixtures/monitor/policy.yaml`):

    monitor:
      heartbeat_s: 1            # the quoter's heartbeat interval (wall clock)
      stale_heartbeats: 3       # feed_stale after this many silent heartbeat intervals
      recheck_events: 5000      # re-evaluate presence/budget at most every N events ...
      recheck_s: 1              # ... or every T seconds of event time, whichever first
      recheck_min_wall_s: 1     # but not more often than this (wall clock; the runner's clock)
      budget_warn_pct: [50, 80] # budget_warning at these shares of the day's invalid budget
      px_scale: 8               # decimals kept for prices/sizes (more -> event rejected)
      qty_scale: 8
      levels: 5                 # quote levels kept (depth terms); 1 when no depth term
    actions:
      widen_factor: 1.5         # factor asked for on stress / volatility jump (quoter caps it)
      widen_on_stressed: true
      vol_jump_bps: 50          # |mid move| within vol_window_s that counts as a jump; null = off
      vol_window_s: 5
      calm_s: 30                # conditions clear for this long (event time) -> resume
      pull_on_market_stale_s: 10  # no market event for this long while the feed lives; null = off
      pull_on_kill: true        # a `risk` event with decision kill/halt -> pull all

Every key is optional; `None` (YAML null) turns a rule off. Does not talk to
sockets or evaluate anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Any

from mmsla.errors import ConfigError
from mmsla.io.config_file import read_config_file


@dataclass(frozen=True)
class ActionPolicy:
    """When to ask the quoter to widen, pull or resume (all in event time)."""

    widen_factor: Decimal = Decimal("1.5")
    widen_on_stressed: bool = True
    vol_jump_bps: Decimal | None = None
    vol_window_s: Decimal = Decimal(5)
    calm_s: Decimal = Decimal(30)
    pull_on_market_stale_s: Decimal | None = None
    pull_on_kill: bool = True


@dataclass(frozen=True)
class MonitorConfig:
    """Engine and loop settings; see the module docstring for each key."""

    heartbeat_s: Decimal = Decimal(1)
    stale_heartbeats: int = 3
    recheck_events: int = 5000
    recheck_s: Decimal = Decimal(1)
    recheck_min_wall_s: Decimal = Decimal(1)
    budget_warn_pct: tuple[Decimal, ...] = (Decimal(50), Decimal(80))
    px_scale: int = 8
    qty_scale: int = 8
    levels: int = 5
    actions: ActionPolicy = field(default_factory=ActionPolicy)

    @property
    def stale_after_s(self) -> float:
        return float(self.heartbeat_s * self.stale_heartbeats)


def _convert(name: str, value: Any, default: Any) -> Any:
    if value is None:
        return None
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{name}: expected true or false")
        return value
    if isinstance(default, int):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{name}: expected a non-negative integer")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list):
            raise ConfigError(f"{name}: expected a list of numbers")
        return tuple(_convert(name, v, Decimal(0)) for v in value)
    try:
        d = Decimal(str(value))
    except ArithmeticError:
        raise ConfigError(f"{name}: expected a number, got {value!r}") from None
    if not d.is_finite() or d < 0:
        raise ConfigError(f"{name}: expected a non-negative number, got {value!r}")
    return d


def _build(cls: Any, data: Any, where: str) -> Any:
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping")
    defaults = cls()
    known = {f.name for f in fields(cls) if f.name != "actions"}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"{where}.{key}: unknown key")
        kwargs[key] = _convert(f"{where}.{key}", value, getattr(defaults, key))
    return cls(**kwargs)


def parse_config(data: Any) -> MonitorConfig:
    """A `MonitorConfig` from parsed YAML (`{monitor: {...}, actions: {...}}`)."""
    if data is None:
        return MonitorConfig()
    if not isinstance(data, dict):
        raise ConfigError("monitor config: expected a mapping with monitor/actions")
    extra = set(data) - {"monitor", "actions"}
    if extra:
        raise ConfigError(f"monitor config: unknown key {sorted(extra)[0]!r}")
    policy = _build(ActionPolicy, data.get("actions"), "actions")
    base = _build(MonitorConfig, data.get("monitor"), "monitor")
    if base.stale_heartbeats < 1 or base.levels < 1:
        raise ConfigError("monitor: stale_heartbeats and levels must be >= 1")
    if policy.widen_factor is None or policy.widen_factor < 1:
        raise ConfigError("actions.widen_factor: must be >= 1")
    return MonitorConfig(**{**base.__dict__, "actions": policy})


def load_config(path: str | Path | None) -> MonitorConfig:
    """Read the YAML file at `path` (defaults when None)."""
    if path is None:
        return MonitorConfig()
    return parse_config(read_config_file(path))
