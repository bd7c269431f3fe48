"""Validate agreement data (schema, then semantics) and build the typed `Agreement`.

Schema problems are reported first; semantic checks run only on data that
passed the schema, so every message is about one concrete key. All problems
are collected and raised together. Does not evaluate anything.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from mmsla.agreement.text import parse_text
from mmsla.domain.agreement import (
    Agreement,
    AtInside,
    Calendar,
    ClockInterval,
    Depth,
    Downtime,
    Instrument,
    MaxSpread,
    Measurement,
    MinSize,
    Monthly,
    Presence,
    PriceBand,
    RefreshAfterFill,
    SideUptime,
    SizeDivergence,
    StatesPolicy,
    Terms,
    Window,
)
from mmsla.errors import AgreementError

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "rules" / "schema" / "agreement.schema.json"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TERM_KEYS = (
    "two_sided",
    "max_spread",
    "min_size",
    "max_size_divergence",
    "depth",
    "price_band",
    "presence",
    "side_uptime",
    "at_inside",
    "downtime",
    "refresh_after_fill",
)
Problems = list[tuple[str, str]]


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def load_agreement(path: str | Path) -> Agreement:
    """Read, validate and build the agreement in `path` (YAML, or JSON for `.json`)."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise AgreementError(name, [("", f"cannot read file: {e.strerror or e}")]) from e
    except UnicodeDecodeError as e:
        raise AgreementError(name, [("", "file is not UTF-8 text")]) from e
    try:
        data = parse_text(text, json_syntax=name.lower().endswith(".json"))
    except ValueError as e:
        raise AgreementError(name, [("", str(e))]) from e
    return parse_agreement(data, source=name)


def parse_agreement(data: Any, *, source: str = "<agreement>") -> Agreement:
    """Validate already-parsed data (numbers as Decimal or int) and build the agreement."""
    problems = _schema_problems(data)
    if problems:
        raise AgreementError(source, problems)
    problems = _semantic_problems(data)
    if problems:
        raise AgreementError(source, problems)
    return _build(data, source)


def _key(path: Any) -> str:
    return ".".join(str(p) for p in path)


def _schema_problems(data: Any) -> Problems:
    problems: Problems = []
    for error in sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.path))):
        problems.extend(_describe(error))
    return problems


def _describe(error: ValidationError) -> Problems:
    where = list(error.absolute_path)
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    instance: Any = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = set(schema.get("properties", {}))
        return [(_key([*where, k]), "unknown key") for k in instance if k not in allowed]
    if error.validator == "required" and isinstance(error.validator_value, list):
        missing = [k for k in error.validator_value if k not in instance]
        return [(_key([*where, k]), "required key is missing") for k in missing]
    if error.validator == "enum":
        values: list[Any] = list(error.validator_value)  # type: ignore[arg-type]
        options = ", ".join(str(v) for v in values)
        return [(_key(where), f"{instance!r} is not one of: {options}")]
    if error.validator == "pattern" and where and where[-1] in ("start", "end"):
        return [(_key(where), f"{instance!r} is not a clock time HH:MM or HH:MM:SS")]
    return [(_key(where), error.message)]


def _clock_s(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    return parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0)


def _semantic_problems(data: dict[str, Any]) -> Problems:
    problems: Problems = []
    try:
        ZoneInfo(data["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(("timezone", f"unknown IANA timezone {data['timezone']!r}"))
    for i, text in enumerate(data.get("calendar", {}).get("holidays", [])):
        try:
            date.fromisoformat(text)
        except ValueError:
            problems.append((f"calendar.holidays.{i}", f"{text!r} is not a valid date"))
    window = data.get("window", {})
    start_s = _clock_s(window.get("start", "00:00"))
    end_s = _clock_s(window.get("end", "24:00"))
    if end_s <= start_s:
        problems.append(("window.end", "window end must be after window start"))
    for i, ex in enumerate(window.get("exclude", [])):
        ex_start, ex_end = _clock_s(ex["start"]), _clock_s(ex["end"])
        if ex_end <= ex_start:
            problems.append((f"window.exclude.{i}.end", "exclude end must be after its start"))
        elif ex_start < start_s or ex_end > end_s:
            problems.append((f"window.exclude.{i}", "exclude must lie inside the window"))
    measurement = data.get("measurement", {})
    if measurement.get("mode") == "snapshot" and "interval_s" not in measurement:
        problems.append(("measurement.interval_s", "snapshot mode needs interval_s"))
    if measurement.get("mode") == "time_weighted" and "interval_s" in measurement:
        problems.append(("measurement.interval_s", "interval_s applies to snapshot mode only"))
    monthly = data.get("monthly")
    if monthly is not None:
        needed = (
            ("daily_min_pct", "min_days_pct")
            if monthly["mode"] == "qualifying_days"
            else ("min_pct",)
        )
        problems.extend(
            (f"monthly.{k}", f"required for mode {monthly['mode']}")
            for k in needed
            if k not in monthly
        )
    defaults = data.get("defaults", {})
    problems.extend(_term_problems(defaults, "defaults"))
    seen: set[str] = set()
    for i, inst in enumerate(data.get("instruments", [])):
        where = f"instruments.{i}"
        if inst["symbol"] in seen:
            problems.append((f"{where}.symbol", f"duplicate symbol {inst['symbol']!r}"))
        seen.add(inst["symbol"])
        problems.extend(_term_problems(inst, where))
        merged = {**defaults, **{k: v for k, v in inst.items() if k in TERM_KEYS}}
        spread = merged.get("max_spread")
        if spread and spread.get("unit") == "ticks" and "tick_size" not in inst:
            problems.append((f"{where}.tick_size", "max_spread in ticks needs tick_size"))
    spread = defaults.get("max_spread")
    if spread and spread.get("unit") == "ticks" and not data.get("instruments"):
        problems.append(
            ("defaults.max_spread.unit", "ticks need instruments listed with tick_size")
        )
    return problems


def _term_problems(terms: dict[str, Any], where: str) -> Problems:
    problems: Problems = []
    min_size = terms.get("min_size")
    if min_size is not None and len(min_size) != 1:
        problems.append((f"{where}.min_size", "give exactly one of qty or notional"))
    downtime = terms.get("downtime")
    if downtime is not None and not downtime:
        problems.append((f"{where}.downtime", "give at least one of the downtime limits"))
    return problems


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _opt_dec(value: Any) -> Decimal | None:
    return None if value is None else _dec(value)


def _terms(raw: dict[str, Any]) -> Terms:
    def get(key: str) -> dict[str, Any] | None:
        value = raw.get(key)
        return value if isinstance(value, dict) else None

    ms, mz, dv, dp, pb = (
        get("max_spread"),
        get("min_size"),
        get("max_size_divergence"),
        get("depth"),
        get("price_band"),
    )
    pr, su, ai, dt, rf = (
        get("presence"),
        get("side_uptime"),
        get("at_inside"),
        get("downtime"),
        get("refresh_after_fill"),
    )
    return Terms(
        two_sided=bool(raw.get("two_sided", True)),
        max_spread=None
        if ms is None
        else MaxSpread(_dec(ms["value"]), ms.get("unit", "pct"), ms.get("reference", "own_mid")),
        min_size=None
        if mz is None
        else MinSize(_opt_dec(mz.get("qty")), _opt_dec(mz.get("notional"))),
        max_size_divergence=None
        if dv is None
        else SizeDivergence(_dec(dv["pct"]), dv.get("denominator", "smaller")),
        depth=None
        if dp is None
        else Depth(
            _dec(dp["band_pct"]), _dec(dp["min_notional"]), dp.get("reference", "market_mid")
        ),
        price_band=None
        if pb is None
        else PriceBand(_dec(pb["pct"]), pb.get("reference", "market_mid")),
        presence=None if pr is None else Presence(_dec(pr["min_pct"])),
        side_uptime=None
        if su is None
        else SideUptime(_dec(su["min_pct"]), su.get("combine", "avg"), _dec(su.get("min_qty", 0))),
        at_inside=None
        if ai is None
        else AtInside(
            _dec(ai["min_pct"]),
            ai.get("mode", "union"),
            bool(ai.get("exclude_locked_crossed", True)),
            _dec(ai.get("min_qty", 0)),
        ),
        downtime=None
        if dt is None
        else Downtime(
            _opt_dec(dt.get("max_consecutive_s")),
            _opt_dec(dt.get("max_per_hour_s")),
            dt.get("min_live_hours"),
        ),
        refresh_after_fill=None if rf is None else RefreshAfterFill(_dec(rf["grace_s"])),
    )


def _build(data: dict[str, Any], source: str) -> Agreement:
    defaults = data.get("defaults", {})
    calendar = data.get("calendar", {})
    window = data.get("window", {})
    measurement = data.get("measurement", {})
    states = data.get("states", {})
    stressed = states.get("stressed", {})
    monthly = data.get("monthly")
    instruments = tuple(
        Instrument(
            symbol=inst["symbol"],
            terms=_terms({**defaults, **{k: v for k, v in inst.items() if k in TERM_KEYS}}),
            tick_size=_opt_dec(inst.get("tick_size")),
        )
        for inst in data.get("instruments", [])
    )
    return Agreement(
        id=data["id"],
        version=str(data["version"]),
        title=data.get("title"),
        counterparty=data.get("counterparty"),
        timezone=data["timezone"],
        calendar=Calendar(
            weekdays=frozenset(WEEKDAYS.index(d) for d in calendar.get("weekdays", WEEKDAYS)),
            holidays=frozenset(date.fromisoformat(d) for d in calendar.get("holidays", [])),
        ),
        window=Window(
            start_s=_clock_s(window.get("start", "00:00")),
            end_s=_clock_s(window.get("end", "24:00")),
            exclude=tuple(
                ClockInterval(_clock_s(e["start"]), _clock_s(e["end"]))
                for e in window.get("exclude", [])
            ),
        ),
        measurement=Measurement(
            mode=measurement.get("mode", "time_weighted"),
            interval_s=_opt_dec(measurement.get("interval_s")),
        ),
        states=StatesPolicy(
            exceptional=states.get("exceptional", "exclude"),
            halt=states.get("halt", "exclude"),
            auction=states.get("auction", "exclude"),
            stressed_spread_multiplier=_dec(stressed.get("spread_multiplier", 2)),
            stressed_size_multiplier=_dec(stressed.get("size_multiplier", 1)),
        ),
        defaults=_terms(defaults),
        instruments=instruments,
        monthly=None
        if monthly is None
        else Monthly(
            mode=monthly["mode"],
            min_pct=_opt_dec(monthly.get("min_pct")),
            daily_min_pct=_opt_dec(monthly.get("daily_min_pct")),
            min_days_pct=_opt_dec(monthly.get("min_days_pct")),
        ),
        source=source,
    )
