"""`read_config_file`: the one read-and-parse step of every config loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmsla.errors import ConfigError
from mmsla.io.config_file import read_config_file
from mmsla.monitor.config import load_config as load_monitor_config
from quoter.backtest.config import load_backtest_config
from quoter.config import load_config
from quoter.venue.config import load_venue_config


def test_yaml_and_json_parse(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("a: 1\nb: [x, y]\n")
    (tmp_path / "a.json").write_text('{"a": 1, "b": ["x", "y"]}')
    assert read_config_file(tmp_path / "a.yaml") == read_config_file(tmp_path / "a.json")


def test_errors_name_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: 1\nb: [x, y\nc: 2\n")
    with pytest.raises(ConfigError) as e:
        read_config_file(bad)
    msg = str(e.value)
    assert msg.startswith(f"{bad}:") and "not valid YAML" in msg and "\n" not in msg
    line = int(msg[len(str(bad)) + 1 :].split(":")[0])
    assert line in (3, 4)  # where the parser noticed the unclosed list
    with pytest.raises(ConfigError, match="cannot read file"):
        read_config_file(tmp_path / "missing.yaml")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00a")
    with pytest.raises(ConfigError, match="cannot read file"):
        read_config_file(binary)


def test_loaders_use_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("venue: [\n")
    for load in (load_config, load_backtest_config, load_venue_config, load_monitor_config):
        with pytest.raises(ConfigError, match=r"bad\.yaml:\d+: not valid YAML"):
            load(bad)
