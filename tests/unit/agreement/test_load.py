"""Agreement files: examples validate, exact decimals, every problem as `FILE: key: message`."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from mmsla.agreement import load_agreement
from mmsla.domain.agreement import MaxSpread
from mmsla.errors import AgreementError
from tests.conftest import REPO

EXAMPLES = sorted((REPO / "rules" / "examples").glob("*.yaml"))
MINIMAL = "id: a\nversion: 1\ntimezone: UTC\n"


def problems(tmp_path: Path, text: str, name: str = "a.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(AgreementError) as info:
        load_agreement(path)
    lines = info.value.lines()
    assert all(line.startswith(f"{path}: ") for line in lines)
    return [line.removeprefix(f"{path}: ") for line in lines]


def test_three_examples_ship_and_validate() -> None:
    names = {p.name for p in EXAMPLES}
    assert names == {
        "rts8-continuous.yaml",
        "xetra-designated-sponsor.yaml",
        "token-project-kpi.yaml",
    }
    loaded = {p.name: load_agreement(p) for p in EXAMPLES}
    rts8 = loaded["rts8-continuous.yaml"]
    assert rts8.defaults.presence is not None and rts8.defaults.presence.min_pct == 50
    assert (rts8.window.start_s, rts8.window.end_s) == (9 * 3600, 17 * 3600 + 1800)
    xetra = loaded["xetra-designated-sponsor.yaml"]
    assert xetra.states.stressed_spread_multiplier == 2
    assert xetra.monthly is not None and xetra.monthly.min_pct == 90
    token = loaded["token-project-kpi.yaml"]
    assert token.calendar.weekdays == frozenset(range(7))
    assert (token.window.start_s, token.window.end_s) == (0, 86400)
    assert token.measurement.mode == "snapshot" and token.measurement.interval_s == 10
    terms = token.terms_for("ABCUSDT")
    assert terms.max_spread == MaxSpread(Decimal("1.0"), "pct", "market_mid")
    assert terms.depth is not None and terms.depth.min_notional == 10000
    assert terms.depth.band_pct == 2 and terms.presence is not None
    assert terms.presence.min_pct == 95


def test_numbers_are_exact_decimals(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(MINIMAL + "defaults:\n  max_spread: {value: 0.1, unit: pct}\n")
    spread = load_agreement(path).defaults.max_spread
    assert spread is not None and spread.value == Decimal("0.1")
    assert str(spread.value) == "0.1"  # not 0.1000000000000000055511151231257827


def test_json_agreement_and_defaults_merge_with_overrides(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(
        json.dumps(
            {
                "id": "j",
                "version": "7",
                "timezone": "Asia/Kolkata",
                "defaults": {"max_spread": {"value": 2}, "presence": {"min_pct": 80}},
                "instruments": [
                    {"symbol": "A"},
                    {"symbol": "B", "tick_size": 0.5, "max_spread": {"value": 4, "unit": "ticks"}},
                ],
            }
        ).replace('"tick_size": 0.5', '"tick_size": 0.50')
    )
    a = load_agreement(path)
    assert a.version == "7"
    assert a.terms_for("A").max_spread == MaxSpread(Decimal(2), "pct", "own_mid")
    assert a.terms_for("B").max_spread == MaxSpread(Decimal(4), "ticks", "own_mid")
    assert a.terms_for("B").presence == a.defaults.presence
    assert a.instrument("B").tick_size == Decimal("0.50")
    assert a.symbols_in_scope(["Z"]) == ["A", "B"]


def test_clock_times_unquoted_in_yaml_stay_times(tmp_path: Path) -> None:
    # YAML 1.1 reads 17:30 as the sexagesimal integer 1050; we keep it a clock time
    path = tmp_path / "a.yaml"
    path.write_text(
        MINIMAL + "window: {start: 09:00, end: 17:30}\ncalendar: {holidays: [2026-12-24]}\n"
    )
    a = load_agreement(path)
    assert (a.window.start_s, a.window.end_s) == (32400, 63000)
    assert [d.isoformat() for d in a.calendar.holidays] == ["2026-12-24"]


def test_unknown_keys_everywhere_are_errors(tmp_path: Path) -> None:
    text = MINIMAL + (
        "colour: red\n"
        "window: {start: '09:00', end: '10:00', lunch: 1}\n"
        "defaults:\n  max_spread: {value: 1, refrence: own_mid}\n  speed: 3\n"
        "instruments:\n  - {symbol: A, tick: 0.01}\n"
        "monthly: {mode: pooled_time, min_pct: 50, extra: 1}\n"
    )
    assert sorted(problems(tmp_path, text)) == [
        "colour: unknown key",
        "defaults.max_spread.refrence: unknown key",
        "defaults.speed: unknown key",
        "instruments.0.tick: unknown key",
        "monthly.extra: unknown key",
        "window.lunch: unknown key",
    ]


def test_schema_problems_name_the_key(tmp_path: Path) -> None:
    text = (
        "version: 1\ntimezone: UTC\n"
        "calendar: {weekdays: [mon, funday]}\n"
        "window: {start: '9am'}\n"
        "defaults:\n  max_spread: {value: 0, unit: furlongs}\n  presence: {min_pct: 101}\n"
    )
    got = problems(tmp_path, text)
    assert "id: required key is missing" in got
    assert any(p.startswith("calendar.weekdays.1: 'funday' is not one of") for p in got)
    assert "window.start: '9am' is not a clock time HH:MM or HH:MM:SS" in got
    assert any(p.startswith("defaults.max_spread.value: 0 is less than or equal") for p in got)
    assert any(p.startswith("defaults.max_spread.unit: 'furlongs' is not one of") for p in got)
    assert any(p.startswith("defaults.presence.min_pct: 101 is greater than") for p in got)
    assert len(got) == 6


def test_semantic_problems(tmp_path: Path) -> None:
    text = (
        "id: a\nversion: 1\ntimezone: Mars/Olympus_Mons\n"
        "calendar: {holidays: ['2026-02-30']}\n"
        "window: {start: '17:30', end: '09:00', exclude: [{start: '08:00', end: '08:30'}]}\n"
        "measurement: {mode: snapshot}\n"
        "defaults:\n  min_size: {qty: 1, notional: 2}\n  downtime: {}\n"
        "instruments:\n  - {symbol: A, max_spread: {value: 3, unit: ticks}}\n  - {symbol: A}\n"
        "monthly: {mode: qualifying_days, daily_min_pct: 90}\n"
    )
    assert problems(tmp_path, text) == [
        "timezone: unknown IANA timezone 'Mars/Olympus_Mons'",
        "calendar.holidays.0: '2026-02-30' is not a valid date",
        "window.end: window end must be after window start",
        "window.exclude.0: exclude must lie inside the window",
        "measurement.interval_s: snapshot mode needs interval_s",
        "monthly.min_days_pct: required for mode qualifying_days",
        "defaults.min_size: give exactly one of qty or notional",
        "defaults.downtime: give at least one of the downtime limits",
        "instruments.0.tick_size: max_spread in ticks needs tick_size",
        "instruments.1.symbol: duplicate symbol 'A'",
    ]


def test_window_24_00_and_exclude_order(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(MINIMAL + "window: {start: '22:00', end: '24:00'}\n")
    assert load_agreement(path).window.end_s == 86400
    assert problems(
        tmp_path, MINIMAL + "window: {exclude: [{start: '10:00', end: '10:00'}]}\n"
    ) == ["window.exclude.0.end: exclude end must be after its start"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: [unclosed\n", "invalid YAML"),
        ("- just\n- a list\n", "is not of type 'object'"),
    ],
)
def test_syntax_and_shape_errors(tmp_path: Path, text: str, message: str) -> None:
    (line,) = problems(tmp_path, text)
    assert message in line


def test_missing_file() -> None:
    with pytest.raises(AgreementError, match="cannot read file"):
        load_agreement("/nonexistent/agreement.yaml")
