"""Venue matching-core throughput: order events per second on a realistic mix.

The mix (seeded): 50% passive limit adds near the touch, 25% cancels of live
orders, 15% cancel-replaces (half size-downs, half price moves), 10% crossing
orders (limit orders through the touch, half IOC); 20 members, one symbol,
maker rebate and taker fee on, BookChanged top-5 on. A first pass records the
command stream (which order a cancel targets depends on earlier fills); the
timed pass replays that exact stream into a fresh engine (the engine is
deterministic, so both passes produce the same events).
"""

from __future__ import annotations

import gc
import os
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from mmsla.domain import Side
from quoter.venue.events import Accepted
from quoter.venue.matching import MatchingEngine
from quoter.venue.rules import SymbolSpec, VenueRules

N_EVENTS = 300_000
SHARED = Path(os.environ.get("MMSLA_SHARED", Path(__file__).resolve().parents[2] / "shared"))
SPEC = SymbolSpec("BENCH", Decimal("0.01"), Decimal(1), Decimal("-0.2"), Decimal("0.5"))
Command = tuple[str, tuple[Any, ...], dict[str, Any]]


def make_engine() -> MatchingEngine:
    return MatchingEngine([SPEC], VenueRules(book_depth=5))


def record_commands(n: int = N_EVENTS, seed: int = 7) -> list[Command]:
    """Generate the mix against a live engine and return the commands sent."""
    rng = np.random.default_rng(seed)
    engine = make_engine()
    kinds = rng.choice(4, size=n, p=[0.50, 0.25, 0.15, 0.10]).tolist()
    buys = rng.integers(0, 2, size=n).tolist()
    offs = rng.geometric(0.3, size=n).tolist()
    qtys = rng.integers(1, 20, size=n).tolist()
    who = rng.integers(0, 20, size=n).tolist()
    picks = rng.random(n).tolist()
    members = [f"m{i}" for i in range(20)]
    cmds: list[Command] = []
    live: list[int] = []
    mid = 10_000

    def send(name: str, *args: Any, **kw: Any) -> list[Any]:
        cmds.append((name, args, kw))
        fn: Callable[..., list[Any]] = getattr(engine, name)
        return fn(*args, **kw)

    def pick_live(u: float) -> int | None:
        while live:
            j = int(u * len(live))
            oid = live[j]
            if engine.order(oid) is not None:
                return oid
            live[j] = live[-1]
            live.pop()
        return None

    for i in range(n):
        kind, ts, member = kinds[i], i * 1_000, members[who[i]]
        side = Side.BUY if buys[i] else Side.SELL
        oid = pick_live(picks[i]) if kind in (1, 2) else None
        if kind == 0 or (kind in (1, 2) and oid is None):
            px = mid - offs[i] if side is Side.BUY else mid + offs[i]
            ev = send("submit", member, "BENCH", side, px, qtys[i], ts)
        elif kind == 1:
            o = engine.order(oid)  # type: ignore[arg-type]
            assert o is not None
            ev = send("cancel", o.member, oid, ts)
        elif kind == 2:
            o = engine.order(oid)  # type: ignore[arg-type]
            assert o is not None
            if qtys[i] % 2 and o.qty > 1:
                ev = send("replace", o.member, oid, o.px, o.filled + o.qty - 1, ts)
            else:
                ev = send("replace", o.member, oid, o.px - o.side, o.filled + o.qty, ts)
        else:
            px = mid + 3 if side is Side.BUY else mid - 3
            ev = send("submit", member, "BENCH", side, px, qtys[i] * 3, ts, ioc=bool(i % 2))
        if ev and isinstance(ev[0], Accepted):
            live.append(ev[0].order_id)
        if i % 1000 == 0:  # let the mid follow the book
            bid, ask = engine.book("BENCH").best_bid(), engine.book("BENCH").best_ask()
            if bid is not None and ask is not None:
                mid = (bid + ask) // 2
    return cmds


def run_core(cmds: list[Command]) -> tuple[float, int]:
    """Replay `cmds` into a fresh engine; returns (seconds, events out).

    Events are dropped as they come, as a venue that forwards them would."""
    engine = make_engine()
    calls = [(getattr(engine, name), args, kw) for name, args, kw in cmds]
    n_out = 0
    gc.collect()
    gc.freeze()  # the pre-built command stream is static: keep it out of GC passes
    t0 = time.perf_counter()
    for fn, args, kw in calls:
        n_out += len(fn(*args, **kw))
    secs = time.perf_counter() - t0
    gc.unfreeze()
    return secs, n_out


def event_mix(cmds: list[Command]) -> Counter[str]:
    engine = make_engine()
    counts: Counter[str] = Counter()
    for name, args, kw in cmds:
        counts.update(type(e).__name__ for e in getattr(engine, name)(*args, **kw))
    return counts


def run_replay(path: str) -> tuple[int, int, float, int, int]:
    """Replay the LOBSTER day through the core with one member quoting the touch:
    on every frame whose best prices changed it mass-quotes 100 lots at the best
    bid and ask. Returns (frames, quote updates, seconds, fills, filled lots)."""
    from mmsla.io.lobster import read_lobster
    from quoter.venue.events import Fill
    from quoter.venue.replay import REPLAY, ReplaySource

    market = read_lobster(path)
    book = market.book
    engine = MatchingEngine(
        [SymbolSpec(book.symbol, book.tick, book.lot)], VenueRules(book_depth=5), [REPLAY]
    )
    source = ReplaySource(engine, market)
    sym = book.symbol
    ebook = engine.book(sym)
    quotes = fills = lots = 0
    last: tuple[int | None, int | None] = (None, None)
    t0 = time.perf_counter()
    while not source.done:
        ts = source.next_event_ns()
        assert ts is not None
        for e in source.step_frame():
            if isinstance(e, Fill) and e.maker_member == "mm":
                fills += 1
                lots += e.qty
        top = (ebook.best_bid(), ebook.best_ask())
        if top != last and top[0] is not None and top[1] is not None:
            for e in engine.mass_quote("mm", sym, [(top[0], 100)], [(top[1], 100)], ts):
                if isinstance(e, Fill) and e.maker_member == "mm":
                    fills += 1
                    lots += e.qty
            quotes += 1
            last = (ebook.best_bid(), ebook.best_ask())
    return len(source), quotes, time.perf_counter() - t0, fills, lots


def main() -> None:
    cmds = record_commands()
    secs, n_out = run_core(cmds)
    mix = Counter(name for name, _, _ in cmds)
    print(
        f"matching core: {len(cmds):,} order events in {secs:.2f} s = {len(cmds) / secs:,.0f} "
        f"events/s, {n_out:,} events out"
    )
    print(f"   commands {dict(mix)}")
    print(f"   events {dict(event_mix(cmds))}")
    lobster = SHARED / "data" / "lobster" / "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip"
    if not lobster.exists():
        print(f"replay: skipped ({lobster} not present)")
        return
    frames, quotes, secs, fills, lots = run_replay(str(lobster))
    print(
        f"replay LOBSTER AMZN level 5 in-process: {frames:,} frames + {quotes:,} mass quotes "
        f"in {secs:.2f} s = {frames / secs:,.0f} frames/s; quoting member filled {fills:,} "
        f"times ({lots:,} shares)"
    )


if __name__ == "__main__":
    main()
