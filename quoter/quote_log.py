"""The quoter's own quote log, in the DESIGN.md section 7 format.

One CSV row each time our resting quote on a symbol changes:
`ts,symbol,bid_px,bid_qty,ask_px,ask_qty[,bid_px_2,bid_qty_2,ask_px_2,ask_qty_2,...],event`
with `ts` in integer epoch nanoseconds, an empty side left blank, and exact
decimal text. `mmsla check --quotes` reads it as is. Rows are flushed in
batches (`flush_every`) and on close; a crash loses at most one batch, which
the event journal still holds.
"""

from __future__ import annotations

from pathlib import Path

from mmsla.domain import Quote


def _header(levels: int) -> str:
    cols = ["ts", "symbol", "bid_px", "bid_qty", "ask_px", "ask_qty"]
    for n in range(2, levels + 1):
        cols += [f"bid_px_{n}", f"bid_qty_{n}", f"ask_px_{n}", f"ask_qty_{n}"]
    return ",".join([*cols, "event"])


class QuoteLogWriter:
    """Appends quote rows with a fixed number of levels per side."""

    def __init__(self, path: str | Path, *, levels: int = 1, flush_every: int = 256) -> None:
        if levels < 1:
            raise ValueError("levels must be >= 1")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._levels = levels
        self._flush_every = flush_every
        self._pending = 0
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        self._file = self.path.open("a", encoding="ascii", newline="")
        if fresh:
            self._file.write(_header(levels) + "\n")
        self.rows = 0

    def write(self, quote: Quote) -> None:
        cells = [str(quote.ts_ns), quote.symbol]
        for n in range(self._levels):
            for side in (quote.bids, quote.asks):
                if n < len(side):
                    cells += [format(side[n].px, "f"), format(side[n].qty, "f")]
                else:
                    cells += ["", ""]
        cells.append(quote.event or "")
        self._file.write(",".join(cells) + "\n")
        self.rows += 1
        self._pending += 1
        if self._pending >= self._flush_every:
            self.flush()

    def flush(self) -> None:
        self._file.flush()
        self._pending = 0

    def close(self) -> None:
        self._file.flush()
        self._file.close()
