"""Quoter tick-to-quote latency and sustained quote updates, in process, through real FIX sessions.

Setup: the quoter's `QuoterEngine` is the application of a real initiator
`Session` (FIX parsing, dictionary validation, sequence checks), with the
events published on a real ZMQ PUB socket with its journal, and the quote log
and fills file written. A second `Session` plays the venue (acceptor): it
frames each market-data update (35=X, one level change plus a +/-1 tick mid
move from a seeded random walk) and answers every order with its
ExecutionReport (New / Replaced / Canceled), so the quoter keeps requoting as
it would live. Only the quoter side is timed. (This venue's book does not show
our orders; the quoter still takes its own orders out of the book for fair
value, as configured by default, so that work is in the figures.)

1. Tick-to-quote: 100k updates of one symbol; for each, the time from the X
   message's bytes handed to `Session.data_received` to the resulting order
   bytes returned by `Session.data_to_send` (what the transport writes).
   p50/p99 over the updates that produced an order (targets p50 <= 50 us,
   p99 <= 250 us), and the mean over all updates. As in the live process
   (`QuoterApp`, loop.call_soon), the events the update raised (market, risk)
   are published right after the order bytes are taken: outside the span, but
   their cost is in the mean, shown separately, and in the sustained figure.
2. Sustained: 50 symbols, updates round robin; quote updates (our confirmed
   resting quote changing, as published) per second of wall time, with the
   venue's acknowledgements included in the time.
"""

from __future__ import annotations

import gc
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from mmsla.events.bus import Publisher
from mmsla.events.journal import Journal
from quoter.app import FillsWriter, QuoterEngine
from quoter.config import QuoterConfig, build_config
from quoter.fix.codec.framing import RawMessage
from quoter.fix.codec.times import format_utc
from quoter.fix.session import BaseApplication, Session, SessionConfig
from quoter.marketdata import quoter_dictionary
from quoter.quote_log import QuoteLogWriter

N_UPDATES = 100_000
N_SYMBOLS = 50
N_MULTI = 50_000


def _config(symbols: list[str], tmp: Path) -> QuoterConfig:
    data: dict[str, Any] = {
        "venue": {"host": "127.0.0.1", "port": 1, "sender_comp_id": "MM1"},
        "symbols": [{"symbol": s, "tick": "0.01", "lot": "1"} for s in symbols],
        "pricing": {
            "fair_value": "microprice",
            "volatility": {"half_life_s": 30, "initial_sigma_per_s": 0.0002},
            "spread": {"model": "vol_scaled", "base_ticks": 6, "vol_mult": 6.0, "max_ticks": 40},
            "skew": {"ticks_per_lot": 0.01, "max_ticks": 3},
            "min_width_ticks": 2,
        },
        "ladder": {"levels": 1, "qty": "100"},
        "requote": {"tolerance_ticks": 0},
        "agreement": str(Path(__file__).resolve().parent.parent / "fixtures/quoter/agreement.yaml"),
        "risk": {"default": {"max_order_qty": 1000, "price_collar_bps": 500}},
    }
    return build_config(data, base_dir=tmp)


class _Venue(BaseApplication):
    """Acceptor side: acknowledges every order at once."""

    def __init__(self) -> None:
        self.session: Session | None = None
        self.n = 0

    def on_message(self, session: Session, msg: RawMessage) -> None:
        v = msg.values
        if msg.msg_type not in ("D", "G", "F"):
            return
        self.n += 1
        ts = format_utc(time.time_ns(), "us")
        common = [(17, f"E{self.n}"), (54, v[54]), (55, v[55]), (14, "0"), (6, "0"), (60, ts)]
        if msg.msg_type == "D":
            body = [(37, f"V{self.n}"), (11, v[11]), (150, "0"), (39, "0"), (151, v[38])]
        elif msg.msg_type == "G":
            body = [(37, "V"), (11, v[11]), (41, v[41]), (150, "5"), (39, "0"), (151, v[38])]
            body += [(38, v[38]), (44, v[44])]
        elif msg.msg_type == "F":
            body = [(37, "V"), (11, v[11]), (41, v[41]), (150, "4"), (39, "4"), (151, "0")]
        else:
            return
        session.send("8", body + common)


def _pair(cfg: QuoterConfig, tmp: Path) -> tuple[Session, Session, QuoterEngine, Publisher]:
    journal = Journal(tmp / "events.jsonl")
    pub = Publisher("tcp://127.0.0.1:*", "bench", journal=journal)
    eng = QuoterEngine(
        cfg,
        publish=pub.publish,
        quote_log=QuoteLogWriter(tmp / "quotes.csv"),
        fills=FillsWriter(tmp / "fills.csv"),
        id_prefix="B",
        # as in `QuoterApp` (loop.call_soon): events are queued while a message is
        # handled and published by `flush_events` once the orders are written; here
        # the loop below calls it right after taking the order bytes (untimed in
        # the latency figure, timed in the mean and in the sustained figure)
        schedule=lambda flush: None,
    )
    d = quoter_dictionary()
    q = Session(SessionConfig("MM1", "VENUE", heart_bt_int_s=30), eng, dictionary=d)
    venue = _Venue()
    v = Session(
        SessionConfig("VENUE", "MM1", role="acceptor", heart_bt_int_s=30), venue, dictionary=d
    )
    eng.session = q
    q.connection_made()
    v.connection_made()
    v.data_received(q.data_to_send())
    q.data_received(v.data_to_send())
    assert q.is_logged_on and v.is_logged_on
    v.data_received(q.data_to_send())  # the MarketDataRequest (ignored by this venue)
    return q, v, eng, pub


def _snapshot(v: Session, sym: str, mid: int) -> None:
    ts = format_utc(time.time_ns(), "us")
    d, t = ts[:8], ts[9:]
    body = [(262, "md"), (55, sym), (268, "2")]
    body += [(269, "0"), (270, f"{(mid - 5) / 100:.2f}"), (271, "500"), (272, d), (273, t)]
    body += [(269, "1"), (270, f"{(mid + 5) / 100:.2f}"), (271, "500"), (272, d), (273, t)]
    v.send("W", body)


def _update(v: Session, sym: str, old: int, new: int, size: int) -> None:
    """Move the book from mid `old` to `new` (bid and ask 5 ticks away)."""
    ts = format_utc(time.time_ns(), "us")
    d, t = ts[:8], ts[9:]
    e: list[tuple[int, str]] = []
    n = 0
    if new != old:
        for side, px in (("0", old - 5), ("1", old + 5)):
            e += [(279, "2"), (269, side), (55, sym), (270, f"{px / 100:.2f}"), (272, d), (273, t)]
            n += 1
        for side, px in (("0", new - 5), ("1", new + 5)):
            e += [(279, "0"), (269, side), (55, sym), (270, f"{px / 100:.2f}"), (271, str(size))]
            e += [(1023, "1"), (272, d), (273, t)]
            n += 1
    else:
        e += [(279, "1"), (269, "0"), (55, sym), (270, f"{(new - 5) / 100:.2f}"), (271, str(size))]
        e += [(1023, "1"), (272, d), (273, t)]
        n = 1
    v.send("X", [(262, "md"), (268, str(n)), *e])


def _tick_to_quote() -> None:
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        q, v, eng, pub = _pair(_config(["ABC"], tmp), tmp)
        rng = random.Random(5)
        mid = 10_000
        _snapshot(v, "ABC", mid)
        q.data_received(v.data_to_send())
        v.data_received(q.data_to_send())
        q.data_received(v.data_to_send())
        lat: list[int] = []
        all_ns = flush_ns = 0
        gc.collect()
        gc.disable()
        perf = time.perf_counter_ns
        try:
            for _ in range(N_UPDATES):
                r = rng.random()
                new = mid + (1 if r < 0.3 else -1 if r < 0.6 else 0)
                _update(v, "ABC", mid, new, rng.randrange(100, 900))
                mid = new
                data = v.data_to_send()
                t0 = perf()
                q.data_received(data)
                out = q.data_to_send()
                t1 = perf()
                eng.flush_events()  # the market/risk events the update raised
                t2 = perf()
                all_ns += t2 - t0
                flush_ns += t2 - t1
                if out:
                    lat.append(t1 - t0)
                    v.data_received(out)  # the venue acknowledges (untimed)
                    q.data_received(v.data_to_send())
                    eng.flush_events()
                    v.data_received(q.data_to_send())
        finally:
            gc.enable()
        eng.flush_events()
        pub.close()
        arr = np.array(lat, dtype=np.int64) / 1000.0
        print(
            f"   tick-to-quote (X bytes in -> order bytes out), {N_UPDATES:,} updates, "
            f"{len(lat):,} produced orders"
        )
        print(
            f"   p50 {np.percentile(arr, 50):.1f} us   p90 {np.percentile(arr, 90):.1f} us   "
            f"p99 {np.percentile(arr, 99):.1f} us   max {arr.max():.0f} us   "
            f"mean over all updates {all_ns / N_UPDATES / 1000:.1f} us "
            f"(of which events published after the orders {flush_ns / N_UPDATES / 1000:.1f} us)"
        )
        print(
            f"   quote events {eng.stats['quote_events']:,}, "
            f"market events {eng.stats['market_updates']:,}"
        )


def _sustained() -> None:
    syms = [f"S{i:02d}" for i in range(N_SYMBOLS)]
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        q, v, eng, pub = _pair(_config(syms, tmp), tmp)
        rng = random.Random(9)
        mids = {s: 10_000 + 100 * i for i, s in enumerate(syms)}
        for s in syms:
            _snapshot(v, s, mids[s])
        q.data_received(v.data_to_send())
        v.data_received(q.data_to_send())
        q.data_received(v.data_to_send())
        start_quotes = eng.stats["quote_events"]
        gc.collect()
        t0 = time.perf_counter()
        for i in range(N_MULTI):
            s = syms[i % N_SYMBOLS]
            r = rng.random()
            new = mids[s] + (1 if r < 0.3 else -1 if r < 0.6 else 0)
            _update(v, s, mids[s], new, rng.randrange(100, 900))
            mids[s] = new
            q.data_received(v.data_to_send())
            out = q.data_to_send()
            eng.flush_events()
            if out:
                v.data_received(out)
                q.data_received(v.data_to_send())
                eng.flush_events()
                v.data_received(q.data_to_send())
        wall = time.perf_counter() - t0
        eng.flush_events()
        pub.close()
        quotes = eng.stats["quote_events"] - start_quotes
        print(
            f"   {N_SYMBOLS} symbols, {N_MULTI:,} market updates in {wall:.2f} s "
            f"(venue side included): {quotes / wall:,.0f} quote updates/s, "
            f"{N_MULTI / wall:,.0f} market updates/s"
        )


def _session_floor() -> None:
    """The FIX session alone (parse, validate, sequence) on the same updates: no quoter."""
    d = quoter_dictionary()
    q = Session(SessionConfig("MM1", "VENUE"), BaseApplication(), dictionary=d)
    v = Session(SessionConfig("VENUE", "MM1", role="acceptor"), BaseApplication(), dictionary=d)
    q.connection_made()
    v.connection_made()
    v.data_received(q.data_to_send())
    q.data_received(v.data_to_send())
    rng = random.Random(5)
    mid = 10_000
    lat: list[int] = []
    perf = time.perf_counter_ns
    gc.collect()
    gc.disable()
    try:
        for _ in range(N_UPDATES // 5):
            r = rng.random()
            new = mid + (1 if r < 0.3 else -1 if r < 0.6 else 0)
            _update(v, "ABC", mid, new, rng.randrange(100, 900))
            mid = new
            data = v.data_to_send()
            t0 = perf()
            q.data_received(data)
            q.data_to_send()
            lat.append(perf() - t0)
    finally:
        gc.enable()
    arr = np.array(lat, dtype=np.int64) / 1000.0
    print(
        f"   for reference, the FIX session alone (no application) on the same X messages: "
        f"p50 {np.percentile(arr, 50):.1f} us   p99 {np.percentile(arr, 99):.1f} us"
    )


def main() -> None:
    _tick_to_quote()
    _session_floor()
    _sustained()


if __name__ == "__main__":
    main()
