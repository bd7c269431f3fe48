"""Pre-trade risk for the quoter: limits, the engine that checks every intent, and risk events.

- `limits`: `SymbolLimits`, `RiskConfig`, `risk_config_from_mapping`
- `engine`: `RiskEngine` (check, kill switch, trading state, loss limit, disconnect)
- `events`: `Approved`/`Denied`, `TradingState`, `DenyReason`, the risk events, `event_fields`
"""

from quoter.risk.engine import Exposure, RiskEngine
from quoter.risk.events import (
    APPROVED,
    Approved,
    Denied,
    DenyReason,
    KillSwitchChanged,
    RebuildRequired,
    Rebuilt,
    RiskDenied,
    RiskEvent,
    TradingState,
    TradingStateChanged,
    event_fields,
)
from quoter.risk.limits import RiskConfig, SymbolLimits, risk_config_from_mapping

__all__ = [
    "APPROVED",
    "Approved",
    "Denied",
    "DenyReason",
    "Exposure",
    "KillSwitchChanged",
    "RebuildRequired",
    "Rebuilt",
    "RiskConfig",
    "RiskDenied",
    "RiskEngine",
    "RiskEvent",
    "SymbolLimits",
    "TradingState",
    "TradingStateChanged",
    "event_fields",
    "risk_config_from_mapping",
]
