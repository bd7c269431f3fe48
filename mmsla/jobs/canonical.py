"""Canonical JSON of job figures and its sha256 (the report's data fingerprint).

Canonical = keys sorted, no insignificant whitespace, UTF-8, floats in Python's
shortest round-trip form; so anyone holding the figures (from the store's job
tables or from `mmsla check --format json`) can recompute the hash.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(figures: Any) -> str:
    return json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def figures_sha256(figures: Any) -> str:
    return hashlib.sha256(canonical_json(figures).encode("utf-8")).hexdigest()
