"""`make demo`: the main job on the embedded default.

Interim version: checks the bundled example quote log against the example
RTS 8-style agreement with `mmsla check` and prints the verdict table. The
end-to-end run (venue + quoter + monitor processes, jobs, PDFs) replaces it
once those parts land.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mmsla.cli import main as cli_main

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    fx = REPO / "fixtures" / "obligations"
    args = [
        "check",
        "--agreement", str(REPO / "rules" / "examples" / "rts8-continuous.yaml"),
        "--quotes", str(fx / "quotes.csv"),
        "--market", str(fx / "market.csv"),
        "--states", str(fx / "states.csv"),
        "--fills", str(fx / "fills.csv"),
    ]  # fmt: skip
    print("$ mmsla " + " ".join(args), flush=True)
    cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
