"""Read an agreement file's text into plain Python data with exact numbers.

YAML floats become `Decimal` from their source text (so `1.0` pct stays exact),
YAML 1.1 sexagesimal integers such as `17:30` stay strings, and YAML dates
become ISO strings, so the JSON schema sees the same shapes for YAML and JSON.
No validation happens here beyond syntax.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml


class _ExactLoader(yaml.SafeLoader):
    """SafeLoader with exact decimals and clock times kept as text."""


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = str(loader.construct_scalar(node))
    if ":" in text:
        return text
    try:
        return Decimal(text.replace("_", ""))
    except InvalidOperation:
        return loader.construct_yaml_float(node)  # .inf / .nan: the schema rejects them


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = str(loader.construct_scalar(node))
    if ":" in text:
        return text
    return loader.construct_yaml_int(node)


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    value = loader.construct_yaml_timestamp(node)
    return value.isoformat() if isinstance(value, date) else value


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_ExactLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_ExactLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def parse_text(text: str, *, json_syntax: bool) -> Any:
    """Parse agreement text; raises ValueError with a one-line message on bad syntax."""
    if json_syntax:
        try:
            return json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as e:
            raise ValueError(f"invalid JSON: {e.msg} at line {e.lineno} column {e.colno}") from e
    try:
        return yaml.load(text, Loader=_ExactLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ValueError(f"invalid YAML: {problem}{where}") from e
