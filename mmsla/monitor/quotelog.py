"""Write the monitor's quote / market / state rows as normative CSV files (DESIGN.md section 7).

The monitor persists exactly the rows its engine evaluated (including its
synthetic `stale` / `unknown` rows), so `mmsla check` on these files gives the
monitor's verdict. Values are the event's decimal strings, written unchanged.
Does not read anything back (see `mmsla.io.tables`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mmsla.io import quote_log_format
from mmsla.io.tables import StateInterval
from mmsla.monitor.engine import MarketRow, QuoteRow

MARKET_HEADER = "ts,symbol,bid_px,ask_px,bid_qty,ask_qty"


def _cell(value: str | None) -> str:
    return "" if value is None else str(value)


def quote_lines(rows: Iterable[QuoteRow], levels: int) -> list[str]:
    """CSV lines (no newline) for quote rows, `levels` levels per side.

    One level of decimal strings per side (the monitor's usual row) is joined here
    directly; anything else goes through `quote_log_format.line`. Same text either way.
    """
    line = quote_log_format.line
    if levels != 1:
        return [line(ts, sym, bids, asks, event, levels) for ts, sym, bids, asks, event in rows]
    out: list[str] = []
    for ts, sym, bids, asks, event in rows:
        b = bids[0] if bids else ("", "")
        a = asks[0] if asks else ("", "")
        if (
            len(b) == 2
            and len(a) == 2
            and b[0].__class__ is str
            and b[1].__class__ is str
            and a[0].__class__ is str
            and a[1].__class__ is str
            and ts.__class__ is int
            and sym.__class__ is str
            and (event is None or event.__class__ is str)
        ):
            out.append(f"{ts},{sym},{b[0]},{b[1]},{a[0]},{a[1]},{event or ''}")
        else:
            out.append(line(ts, sym, bids, asks, event, 1))
    return out


def _market_lines(rows: Iterable[MarketRow]) -> list[str]:
    return [",".join([str(r[0]), r[1], *(_cell(v) for v in r[2:])]) for r in rows]


def _file(header: str, lines: list[str]) -> str:
    return "\n".join([header, *lines]) + "\n"


def quotes_text(rows: Iterable[QuoteRow], levels: int) -> str:
    """The whole quote-log file (header and rows) as text."""
    return _file(quote_log_format.header(levels), quote_lines(rows, levels))


def market_text(rows: Iterable[MarketRow]) -> str:
    """The whole market reference file (header and rows) as text."""
    return _file(MARKET_HEADER, _market_lines(rows))


def write_quotes(path: str | Path, rows: Iterable[QuoteRow], levels: int) -> int:
    lines = quote_lines(rows, levels)
    Path(path).write_text(_file(quote_log_format.header(levels), lines), encoding="utf-8")
    return len(lines)


def write_market(path: str | Path, rows: Iterable[MarketRow]) -> int:
    lines = _market_lines(rows)
    Path(path).write_text(_file(MARKET_HEADER, lines), encoding="utf-8")
    return len(lines)


def write_states(path: str | Path, rows: Iterable[StateInterval]) -> int:
    lines = [f"{s.start_ns},{s.end_ns},{s.symbol or '*'},{s.state},{s.reason or ''}" for s in rows]
    Path(path).write_text("\n".join(["start,end,symbol,state,reason", *lines]) + "\n", "utf-8")
    return len(lines)
