"""A stressed synthetic market writes a states file that mmsla's reader accepts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from mmsla.io.tables import read_states
from quoter.venue.matching import MatchingEngine
from quoter.venue.rules import SymbolSpec
from quoter.venue.states import StateRecorder, write_states_csv
from quoter.venue.synthetic import MAKER, TAKER, SyntheticMarket, SyntheticParams

S = 1_000_000_000
T0 = 1_795_530_600 * S  # 2026-11-24T14:30:00Z


def test_stressed_periods_round_trip_through_the_states_file(tmp_path: Path) -> None:
    engine = MatchingEngine(
        [SymbolSpec("SYN", Decimal("0.01"), Decimal(1))], system_members=[MAKER, TAKER]
    )
    params = SyntheticParams(
        Decimal("100"),
        sigma_px_per_sqrt_s=0.01,
        jump_rate_per_s=0.02,
        jump_sigma_px=1.0,
        stress_vol_px_per_sqrt_s=0.05,
        stress_window_s=30,
        seed=5,
    )
    market = SyntheticMarket(engine, "SYN", params, T0)
    rec = StateRecorder()
    for k in range(1, 1201):
        rec.observe(market.step(T0 + k * S))
    intervals = rec.close(T0 + 1200 * S)
    assert intervals and all(i.state == "stressed" for i in intervals)
    # every stressed interval lasts at least the vol window minus one step: a jump stays in it
    assert all(i.end_ns - i.start_ns >= 29 * S for i in intervals[:-1])
    path = tmp_path / "states.csv"
    write_states_csv(path, intervals)
    back = read_states(path)
    assert [(b.start_ns, b.end_ns, b.symbol, b.state) for b in back] == [
        (i.start_ns, i.end_ns, "SYN", "stressed") for i in intervals
    ]
