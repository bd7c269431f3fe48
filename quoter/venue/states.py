"""Market-state intervals from the engine's PhaseChanged events, and their CSV writer.

Turns the venue's phase/stressed announcements into the DESIGN.md section 7
market-states file (`start,end,symbol,state[,reason]`, half-open intervals) so
`mmsla check --states` can exclude or relax them. Mapping: phase `halt` ->
`halt`, `auction` -> `auction`, `closed` -> `halt` (reason "closed"); the
stressed flag -> `stressed` (it may overlap a phase interval). `open` and
not-stressed write nothing. Timestamps are written as ISO-8601 UTC with
nanoseconds. Pure except `write_states_csv`, which only writes the file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from quoter.venue.events import PhaseChanged, TradingPhase

_PHASE_STATE = {
    TradingPhase.HALT: "halt",
    TradingPhase.AUCTION: "auction",
    TradingPhase.CLOSED: "halt",
}


@dataclass(frozen=True)
class StateInterval:
    """One state interval [start_ns, end_ns) of a symbol."""

    start_ns: int
    end_ns: int
    symbol: str
    state: str  # halt | auction | stressed
    reason: str = ""


class StateRecorder:
    """Feed it every event (others are ignored); `close(end_ns)` ends open intervals."""

    def __init__(self) -> None:
        self._open_phase: dict[str, tuple[int, str, str]] = {}
        self._open_stress: dict[str, tuple[int, str]] = {}
        self.intervals: list[StateInterval] = []

    def observe(self, events: Iterable[object]) -> None:
        for e in events:
            if isinstance(e, PhaseChanged):
                self._phase(e)

    def _phase(self, e: PhaseChanged) -> None:
        state = _PHASE_STATE.get(e.phase)
        reason = e.reason or ("closed" if e.phase is TradingPhase.CLOSED else "")
        cur = self._open_phase.get(e.symbol)
        if cur is not None and (state is None or (cur[1], cur[2]) != (state, reason)):
            self._emit(cur[0], e.ts_ns, e.symbol, cur[1], cur[2])
            del self._open_phase[e.symbol]
            cur = None
        if state is not None and cur is None:
            self._open_phase[e.symbol] = (e.ts_ns, state, reason)
        stress = self._open_stress.get(e.symbol)
        if e.stressed and stress is None:
            self._open_stress[e.symbol] = (e.ts_ns, e.reason)
        elif not e.stressed and stress is not None:
            self._emit(stress[0], e.ts_ns, e.symbol, "stressed", stress[1])
            del self._open_stress[e.symbol]

    def _emit(self, start: int, end: int, symbol: str, state: str, reason: str) -> None:
        if end > start:
            self.intervals.append(StateInterval(start, end, symbol, state, reason))

    def close(self, end_ns: int) -> list[StateInterval]:
        """End every open interval at `end_ns`; returns all intervals by start time."""
        for sym, (start, state, reason) in sorted(self._open_phase.items()):
            self._emit(start, end_ns, sym, state, reason)
        for sym, (start, reason) in sorted(self._open_stress.items()):
            self._emit(start, end_ns, sym, "stressed", reason)
        self._open_phase.clear()
        self._open_stress.clear()
        return sorted(self.intervals, key=lambda i: (i.start_ns, i.symbol, i.state))


def iso_utc_ns(ts_ns: int) -> str:
    """UTC ns -> `YYYY-MM-DDTHH:MM:SS.fffffffffZ` (exact, nanoseconds kept)."""
    secs, ns = divmod(ts_ns, 1_000_000_000)
    return datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{ns:09d}Z"


def write_states_csv(path: str | Path, intervals: Sequence[StateInterval]) -> None:
    """Write the DESIGN.md market-states CSV (header row, one interval per row)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["start", "end", "symbol", "state", "reason"])
        for i in intervals:
            w.writerow([iso_utc_ns(i.start_ns), iso_utc_ns(i.end_ns), i.symbol, i.state, i.reason])
