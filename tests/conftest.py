"""Shared test fixtures: paths to the repository, fixtures and ../shared data.

Tests that need `../shared` skip with a clear reason when it is absent, and
fail instead when CI=true (DESIGN.md section 10).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
SHARED = Path(os.environ.get("MMSLA_SHARED", REPO.parent / "shared"))


def shared_path(*parts: str) -> Path:
    """Path under ../shared; skip (or fail on CI) when it is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: ../shared must sit beside the checkout on CI")
        pytest.skip(f"{path} not present (../shared is not beside the checkout)")
    return path


@pytest.fixture
def shared() -> type:
    """Access to `shared_path` as a fixture for tests that prefer injection."""

    class _Shared:
        path = staticmethod(shared_path)

    return _Shared
