"""State intervals from phase events, written and read back by mmsla's states reader."""

from __future__ import annotations

from pathlib import Path

from mmsla.io.tables import read_states
from quoter.venue.events import PhaseChanged, TradingPhase
from quoter.venue.matching import MatchingEngine
from quoter.venue.rules import SymbolSpec
from quoter.venue.states import StateRecorder, iso_utc_ns, write_states_csv

S = 1_000_000_000
T0 = 1_764_000_000 * S  # 2025-11-24T16:00:00Z


def test_iso_keeps_nanoseconds() -> None:
    assert iso_utc_ns(T0 + 5) == "2025-11-24T16:00:00.000000005Z"


def test_intervals_from_engine_phase_changes_round_trip(tmp_path: Path) -> None:
    from decimal import Decimal

    engine = MatchingEngine([SymbolSpec("ABC", Decimal("0.01"), Decimal(1))])
    rec = StateRecorder()
    rec.observe(engine.set_phase("ABC", TradingPhase.OPEN, T0, stressed=True, reason="vol"))
    rec.observe(engine.set_phase("ABC", TradingPhase.HALT, T0 + 10 * S, reason="news"))
    rec.observe(engine.set_phase("ABC", TradingPhase.AUCTION, T0 + 20 * S))
    rec.observe(engine.set_phase("ABC", TradingPhase.OPEN, T0 + 25 * S, stressed=False))
    rec.observe([PhaseChanged(T0 + 30 * S, "ABC", TradingPhase.CLOSED, False)])
    got = [(i.start_ns - T0, i.end_ns - T0, i.state, i.reason) for i in rec.close(T0 + 40 * S)]
    assert got == [
        (0, 25 * S, "stressed", "vol"),
        (10 * S, 20 * S, "halt", "news"),
        (20 * S, 25 * S, "auction", ""),
        (30 * S, 40 * S, "halt", "closed"),
    ]
    path = tmp_path / "states.csv"
    write_states_csv(path, rec.close(T0 + 40 * S))
    back = read_states(path)
    assert [(b.start_ns - T0, b.end_ns - T0, b.symbol, b.state) for b in back] == [
        (s, e, "ABC", st) for s, e, st, _ in got
    ]
