"""All 59 QuickFIX FIX 4.4 acceptance definitions against our acceptance profile.

Each file runs over real TCP against its own acceptor (ISLD <- TW44, reset on
logon) with the strict comparison of QuickFIX's Comparator: same number of
fields, same tags in the same order, equal values except the fields.fmt
regex tags (10, 42, 52, 60, 122). We match QuickFIX on every file, so no
file has a relaxed comparison. Files run concurrently (each on its own port)
so the ~35 s of 6_SendTestRequest bounds the wall time.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from quoter.fix.acceptance import serve_acceptance
from quoter.fix.acceptance_runner import Step, run_definition
from tests.conftest import SHARED, shared_path
from tests.integration.fix.conftest import LoopThread

DEFS = "fix/quickfix-acceptance-fix44"
NAMES = sorted(p.name for p in (SHARED / DEFS).glob("*.def"))


def _run_one(path: Path) -> Step:
    lt = LoopThread()
    try:
        acceptor = lt.run(serve_acceptance("127.0.0.1", 0))
        try:
            return run_definition(path, "127.0.0.1", acceptor.port)
        finally:
            lt.run(acceptor.stop())
    finally:
        lt.close()


@pytest.fixture(scope="module")
def results() -> dict[str, Step]:
    folder = shared_path(*DEFS.split("/"))
    paths = sorted(folder.glob("*.def"))
    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        steps = list(pool.map(_run_one, paths))
    return {Path(s.path).name: s for s in steps}


def test_all_59_definitions_present() -> None:
    folder = shared_path(*DEFS.split("/"))
    assert len(list(folder.glob("*.def"))) == 59


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES or ["<missing>"])
def test_definition(results: dict[str, Step], name: str) -> None:
    step = results[name]
    assert step.ok, f"{name}:{step.line_no}: {step.reason}\n  line: {step.line!r}"
    text = (SHARED / DEFS / name).read_text(encoding="latin-1")
    expected_count = sum(1 for line in text.splitlines() if line.startswith("E") and "=" in line)
    assert step.messages_compared == expected_count
