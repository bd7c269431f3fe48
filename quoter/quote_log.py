"""The quoter's own quote log, in the DESIGN.md section 7 format.

One CSV row each time our resting quote on a symbol changes, in the layout
of `mmsla.io.quote_log_format` (ts in integer epoch nanoseconds, an empty side
left blank, exact decimal text). `mmsla check --quotes` reads it as is. Rows
are flushed in batches (`flush_every`) and on close; a crash loses at most one
batch, which the event journal still holds.
"""

from __future__ import annotations

from pathlib import Path

from mmsla.domain import Quote
from mmsla.io import quote_log_format


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
            self._file.write(quote_log_format.header(levels) + "\n")
        self.rows = 0

    def write(self, quote: Quote) -> None:
        bids = [(lv.px, lv.qty) for lv in quote.bids]
        asks = [(lv.px, lv.qty) for lv in quote.asks]
        row = quote_log_format.line(
            quote.ts_ns, quote.symbol, bids, asks, quote.event, self._levels
        )
        self._file.write(row + "\n")
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
