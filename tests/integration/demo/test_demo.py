"""`make demo` in shortened mode: three real processes, the store, jobs, PDFs, summary.

Runs `python -m mmsla.demo` with DEMO_SECONDS=15 (15 simulated minutes at x60)
into a temporary directory, then checks what a user relies on: exit 0, both
PDFs written, the obligation PDF showing the same presence as an independent
`mmsla check` on the quoter's own quote log, and a summary naming the outputs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

from tests.conftest import REPO


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def test_demo_pipeline_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    env = {**os.environ, "DEMO_SECONDS": "15", "DEMO_SPEED": "60", "DEMO_OUT": str(out)}
    proc = subprocess.run(
        [sys.executable, "-m", "mmsla.demo"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = proc.stdout
    for step in ("[1/6] venue", "[2/6] monitor", "[3/6] quoter", "[5/6] store", "[6/6] reports"):
        assert step in summary

    pdfs = sorted((out / "reports").glob("*.pdf"))
    assert [p.name.rsplit("-", 1)[-1] for p in pdfs] == ["obligations.pdf", "pnl.pdf"]
    assert all(p.read_bytes().startswith(b"%PDF") for p in pdfs)

    # Independent figure: the batch checker on the quoter's own files.
    check = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmsla",
            "check",
            "--agreement",
            str(out / "config" / "agreement.yaml"),
            "--quotes",
            str(out / "quoter" / "quotes.csv"),
            "--states",
            str(out / "venue" / "states.csv"),
            "--format",
            "json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode in (0, 1), check.stderr
    day = json.loads(check.stdout)["days"][0]
    presence = day["obligations"]["presence"]["value"]
    assert 0 < presence <= 100
    # The summary prints the checker's presence; the PDF (from the monitor's store) agrees
    # to the report's rounding (the two time bases differ by the venue's state stamping).
    assert f"presence {presence:.2f}%" in summary
    text = _pdf_text(pdfs[0])
    assert "demo-designated-sponsor" in text
    shown = [float(tok.rstrip("%")) for tok in text.split() if tok.endswith("%")]
    assert any(abs(v - presence) < 0.5 for v in shown), (presence, shown[:20])

    # Every process logged and exited; the monitor persisted alerts; fills reached the store.
    assert (out / "alerts.jsonl").exists()
    assert (out / "quoter" / "fills.csv").exists()
    assert "store:" in summary and "Next steps" in summary
