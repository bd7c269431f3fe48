"""Quoter config: the example builds; bad files give `FILE: key: message` lines, no traceback."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from mmsla.errors import ConfigError
from quoter.config import build_config, load_config
from quoter.pricing.spread import AvellanedaStoikov, VolScaledSpread
from tests.conftest import FIXTURES

EXAMPLE = FIXTURES / "quoter" / "quoter.yaml"


def _data() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(EXAMPLE.read_text())  # type: ignore[no-any-return]


def test_example_config_builds() -> None:
    cfg = load_config(EXAMPLE)
    assert cfg.venue.sender_comp_id == "MM1" and cfg.venue.target_comp_id == "VENUE"
    inst = cfg.symbol("ABC").instrument
    assert inst.tick == Decimal("0.01") and inst.lot == Decimal(1)
    assert isinstance(cfg.pricing.spread, VolScaledSpread)
    assert cfg.ladder.levels == 3 and cfg.ladder.qty == Decimal(100)
    assert cfg.agreement is not None and cfg.agreement.id == "quoter-example"
    assert cfg.risk.default.max_net_qty == Decimal(2000)
    assert cfg.output.quote_log is not None and cfg.output.quote_log.is_absolute()


def test_mass_quote_profile_example_builds() -> None:
    cfg = load_config(FIXTURES / "quoter" / "quoter_mass_quote.yaml")
    assert cfg.venue.profile == "mass_quote"
    # the same market, agreement and limits as the orders example; only the profile differs
    base = load_config(EXAMPLE)
    assert cfg.venue.profile != base.venue.profile
    assert cfg.ladder == base.ladder and cfg.risk == base.risk


def test_schema_problems_are_reported_together_by_key(tmp_path: Path) -> None:
    data = _data()
    data["venue"]["port"] = "x"
    data["ladder"]["levels"] = 0
    data["bogus"] = 1
    with pytest.raises(ConfigError) as e:
        build_config(data, source="q.yaml")
    lines = str(e.value).splitlines()
    assert len(lines) == 3
    assert any(line.startswith("q.yaml: venue.port: ") for line in lines)
    assert any(line.startswith("q.yaml: ladder.levels: ") for line in lines)
    assert any(line.startswith("q.yaml: <root>: ") and "bogus" in line for line in lines)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["ladder"].update(qty="100.5"), "ladder.qty: level 1 size 100.5"),
        (
            lambda d: d["pricing"].update(fair_value="weighted", weights={"NOPE": 1}),
            "pricing.weights.NOPE",
        ),
        (
            lambda d: d["pricing"].update(
                spread={"model": "avellaneda_stoikov", "gamma": 0.1, "k": 1.5}
            ),
            "horizon_s",
        ),
        (
            lambda d: d["pricing"].update(spread={"model": "fixed", "gamma": 0.1}),
            "pricing.spread.gamma",
        ),
        (lambda d: d["risk"].update(nonsense=1), "risk.nonsense: unknown key"),
        (lambda d: d["symbols"].append(dict(d["symbols"][0])), "duplicate symbol"),
        (lambda d: d["venue"].update(profile="fix42"), "venue.profile"),
    ],
)
def test_semantic_problems(edit, message: str) -> None:  # type: ignore[no-untyped-def]
    data = _data()
    edit(data)
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        build_config(data, source="q.yaml", base_dir=EXAMPLE.parent)


def test_as_model_parameters() -> None:
    data = _data()
    data["pricing"]["spread"] = {
        "model": "avellaneda_stoikov",
        "gamma": 0.1,
        "k": 1.5,
        "horizon_s": 60,
    }
    cfg = build_config(data, base_dir=EXAMPLE.parent)
    assert cfg.pricing.spread == AvellanedaStoikov(0.1, 1.5) and cfg.pricing.horizon_s == 60.0


def test_cli_reports_a_bad_config_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("venue: {host: h}\n")
    res = _mmsla("quoter", "run", "--config", str(bad))
    assert res.returncode == 2 and res.stdout == ""
    assert "Traceback" not in res.stderr
    lines = [line for line in res.stderr.splitlines() if line]
    assert all(line.startswith(f"{bad}: ") for line in lines) and lines
    missing = _mmsla("quoter", "run", "--config", str(tmp_path / "none.yaml"))
    assert missing.returncode == 2 and "cannot read file" in missing.stderr
    silent = _mmsla("quoter", "status", "--control", "tcp://127.0.0.1:1")
    assert silent.returncode == 1 and "no answer" in silent.stderr


def _mmsla(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmsla", *args], capture_output=True, text=True, timeout=30
    )


def test_exclude_own_orders_defaults_on_and_reaches_the_engine() -> None:
    from quoter.app import QuoterEngine

    assert load_config(EXAMPLE).pricing.exclude_own_orders is True
    data = _data()
    data["pricing"]["exclude_own_orders"] = False
    cfg = build_config(data, source="q.yaml", base_dir=EXAMPLE.parent)
    assert cfg.pricing.exclude_own_orders is False
    assert QuoterEngine(cfg).exclude_own is False
    data["pricing"]["exclude_own_orders"] = "yes"
    with pytest.raises(ConfigError, match=r"pricing\.exclude_own_orders"):
        build_config(data, source="q.yaml", base_dir=EXAMPLE.parent)
