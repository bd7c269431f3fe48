"""Venue config: the documented example loads; bad files give one clear ConfigError line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from mmsla.errors import ConfigError
from quoter.venue.config import ReplaySourceConfig, SyntheticSource, build_engine, load_venue_config
from quoter.venue.events import Fill
from quoter.venue.rules import PostOnlyMode, StpMode
from quoter.venue.synthetic import SyntheticMarket
from tests.conftest import FIXTURES

EXAMPLE = FIXTURES / "venue" / "venue.yaml"
MIN = """
members: [{comp_id: A, password: x}]
symbols: [{symbol: ABC, tick: "0.01", lot: "1"}]
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "venue.yaml"
    p.write_text(text)
    return p


def test_documented_example_loads_and_drives_a_synthetic_market() -> None:
    cfg = load_venue_config(EXAMPLE)
    assert cfg.port == 9876 and [m.comp_id for m in cfg.members] == ["MM1", "MONITOR"]
    assert cfg.member("MONITOR").cancel_on_disconnect is False  # type: ignore[union-attr]
    spec = cfg.symbols[0]
    assert (spec.tick, spec.lot, spec.maker_fee_bps, spec.max_order_qty) == (
        Decimal("0.01"),
        Decimal(1),
        Decimal("-0.2"),
        100_000,
    )
    assert cfg.rules.post_only is PostOnlyMode.REJECT and cfg.rules.stp is StpMode.CANCEL_INCOMING
    assert cfg.rules.throttle is not None and cfg.rules.throttle.max_msgs == 200
    assert isinstance(cfg.source, SyntheticSource)
    assert cfg.source.params.intensity_a_per_s == 2.0 and cfg.source.params.mid_px == Decimal(
        "100.00"
    )
    assert cfg.stressed[0].end_ns - cfg.stressed[0].start_ns == 300 * 10**9
    assert (
        cfg.stressed[0].start_ns == 1_795_530_600 * 10**9
    )  # 2026-11-24T14:30:00Z (date -u -d @...)
    assert cfg.states_path == EXAMPLE.parent / "venue-states.csv"
    engine = build_engine(cfg)
    market = SyntheticMarket(engine, cfg.source.symbol, cfg.source.params, 0)
    events = market.step(60 * 10**9)
    assert any(isinstance(e, Fill) for e in events)


def test_minimal_config_defaults(tmp_path: Path) -> None:
    cfg = load_venue_config(write(tmp_path, MIN))
    assert cfg.source is None and cfg.rules.throttle is None and cfg.rules.book_depth == 5
    assert cfg.members[0].cancel_on_disconnect is True


def test_replay_source_paths_resolve_against_the_file(tmp_path: Path) -> None:
    (tmp_path / "rec.zip").write_bytes(b"")
    cfg = load_venue_config(
        write(
            tmp_path,
            MIN
            + """
market: {source: replay, replay: {format: lobster, paths: [rec.zip], speed: 60}}
""",
        )
    )
    assert isinstance(cfg.source, ReplaySourceConfig)
    assert cfg.source.paths == (tmp_path / "rec.zip",) and cfg.source.speed_x == 60.0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("port: 99999\n", "venue.yaml: port: 99999 is greater than the maximum of 65535"),
        (
            "colour: red\n",
            "venue.yaml: <root>: Additional properties are not allowed ('colour' was unexpected)",
        ),
        ("stp: maybe\n", "venue.yaml: stp: 'maybe' is not one of"),
        (
            "market: {source: synthetic}\n",
            "venue.yaml: market.synthetic: required when source is synthetic",
        ),
        (
            "market: {source: synthetic, synthetic: {symbol: XYZ, mid_px: 1}}\n",
            "venue.yaml: market.synthetic.symbol: unknown symbol 'XYZ'",
        ),
        (
            "market: {source: replay, replay: {format: lobster, paths: [nope.zip]}}\n",
            "venue.yaml: market.replay.paths.0: no such file",
        ),
        (
            "states: {stressed: [{start: '2026-01-01T10:00:00', end: '2026-01-01T11:00:00Z'}]}\n",
            "venue.yaml: states.stressed.0.start: time needs an offset",
        ),
    ],
)
def test_invalid_config_is_one_line_with_file_and_key(
    tmp_path: Path, extra: str, message: str
) -> None:
    with pytest.raises(ConfigError) as exc:
        load_venue_config(write(tmp_path, MIN + extra))
    text = str(exc.value)
    assert "\n" not in text
    assert text.startswith(str(tmp_path))
    assert message in text, text


def test_bad_symbol_values(tmp_path: Path) -> None:
    bad_lot = MIN.replace('lot: "1"', 'lot: "1", max_order_qty: "2.5"')
    with pytest.raises(
        ConfigError, match=r"symbols\.0\.max_order_qty: must be a positive multiple of lot"
    ):
        load_venue_config(write(tmp_path, bad_lot))
    with pytest.raises(ConfigError, match=r"symbols\.0\.tick: must be positive"):
        load_venue_config(write(tmp_path, MIN.replace('tick: "0.01"', 'tick: "0"')))
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_venue_config(write(tmp_path, "members: [\n"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_venue_config(tmp_path / "missing.yaml")


def test_clock_section(tmp_path: Path) -> None:
    cfg = load_venue_config(
        write(
            tmp_path,
            MIN
            + 'clock: {start: "2026-11-24T08:00:00Z", speed: 90, end: "2026-11-24T11:00:00Z"}\n',
        )
    )
    assert cfg.clock.start_ns == 1_795_507_200 * 10**9  # date -u -d 2026-11-24T08:00:00Z +%s
    assert cfg.clock.end_ns is not None
    assert cfg.clock.end_ns - cfg.clock.start_ns == 3 * 3600 * 10**9
    assert cfg.clock.speed == 90
    default = load_venue_config(write(tmp_path, MIN))
    assert default.clock.start_ns is None and default.clock.speed == 1
    with pytest.raises(ConfigError, match=r"clock\.end: must be after clock\.start"):
        load_venue_config(
            write(
                tmp_path,
                MIN + 'clock: {start: "2026-11-24T08:00:00Z", end: "2026-11-24T07:00:00Z"}\n',
            )
        )
