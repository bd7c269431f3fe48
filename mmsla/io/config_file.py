"""Read a YAML (or JSON) configuration file into plain data, or fail in one line.

Every config loader (quoter, backtest, venue, monitor) starts the same way: read
the file, parse it, and turn an unreadable file or a syntax error into a
`ConfigError` that names the file and, when the parser knows it, the line. This
module is that step and nothing else: validation against a schema and building
typed config objects stay with each loader. Agreements have their own exact
loader (`mmsla.agreement.text`), which keeps numbers as `Decimal`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mmsla.errors import ConfigError


def read_config_file(path: str | Path) -> Any:
    """Parsed content of `path` (YAML, which includes JSON); `ConfigError` on failure.

    Messages: `FILE: cannot read file: REASON` and `FILE[:LINE]: not valid YAML: PROBLEM`.
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise ConfigError(f"{name}: cannot read file: {reason}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError(f"{name}{where}: not valid YAML: {problem}") from None
