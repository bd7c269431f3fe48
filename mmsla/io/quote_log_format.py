"""The quote-log CSV layout (DESIGN.md section 7), for every writer of it.

`ts,symbol,bid_px,bid_qty,ask_px,ask_qty[,bid_px_2,bid_qty_2,ask_px_2,ask_qty_2,...],event`
with `ts` in integer epoch ns, an absent level left blank, exact decimal text.
The quoter's log writer and the monitor's persistence both build their lines
here, so the normative layout is defined once. Reading is `mmsla.io.tables`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

Cell = Decimal | str | None
LevelCells = Sequence[Cell]  # (px, qty)


def header(levels: int) -> str:
    """The header line for `levels` levels per side."""
    cols = ["ts", "symbol"]
    for k in range(1, levels + 1):
        suffix = "" if k == 1 else f"_{k}"
        cols += [f"bid_px{suffix}", f"bid_qty{suffix}", f"ask_px{suffix}", f"ask_qty{suffix}"]
    return ",".join([*cols, "event"])


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # never exponent notation
    return str(value)


def line(
    ts_ns: int,
    symbol: str,
    bids: Sequence[LevelCells],
    asks: Sequence[LevelCells],
    event: str | None,
    levels: int,
) -> str:
    """One row (no newline): best level first per side, levels beyond `levels` dropped."""
    cells = [str(ts_ns), symbol]
    for k in range(levels):
        for side in (bids, asks):
            if k < len(side):
                cells += [_cell(side[k][0]), _cell(side[k][1])]
            else:
                cells += ["", ""]
    cells.append(event or "")
    return ",".join(cells)
