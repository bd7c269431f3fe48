"""The backtester on small hand-made recordings: latency, queue position, determinism, files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mmsla.domain import BookFrames, RecordedMarket, Trades
from mmsla.errors import ConfigError
from quoter.backtest import Backtest
from quoter.backtest.config import build_backtest_config
from quoter.backtest.runner import head_market
from quoter.venue.events import Accepted, Event, Fill

T0 = 1_700_000_000_000_000_000
MS = 1_000_000
S = 1_000_000_000


def market(
    frames: list[tuple[int, int, int, int, int]], trades: list[tuple[int, int, int, int]]
) -> RecordedMarket:
    """frames (ts, bid_px, bid_qty, ask_px, ask_qty), trades (ts, px, qty, aggressor +1/-1)."""
    f = np.array(frames, dtype=np.int64).reshape(-1, 5)
    t = np.array(trades, dtype=np.int64).reshape(-1, 4)
    one = Decimal(1)
    book = BookFrames(
        "XYZ",
        one,
        one,
        f[:, 0].copy(),
        f[:, 1:2].copy(),
        f[:, 2:3].copy(),
        f[:, 3:4].copy(),
        f[:, 4:5].copy(),
    )
    tr = Trades(
        "XYZ", one, one, t[:, 0].copy(), t[:, 1].copy(), t[:, 2].copy(), t[:, 3].astype(np.int8)
    )
    return RecordedMarket(book, tr)


def config(feed_us: int = 0, order_us: int = 0, **extra: Any) -> Any:
    data: dict[str, Any] = {
        "quoter": {
            "venue": {"host": "127.0.0.1", "port": 1, "sender_comp_id": "MM1"},
            "symbols": [{"symbol": "XYZ", "tick": "1", "lot": "1"}],
            # fixed 10-tick spread around the mid: joins a 100/110 market at both bests
            "pricing": {"fair_value": "mid", "spread": {"model": "fixed", "spread_ticks": 10}},
            "ladder": {"qty": "20"},
            "requote": {"tolerance_ticks": 0, "max_age_s": None},
        },
        "feed_latency": {"model": "constant", "us": feed_us},
        "order_latency": {"model": "constant", "us": order_us},
    }
    data.update(extra)
    return build_backtest_config(data)


def run(m: RecordedMarket, cfg: Any, tmp: Path, seed: int = 0) -> tuple[Backtest, list[Event]]:
    bt = Backtest(cfg, m, out_dir=tmp, seed=seed)
    seen: list[Event] = []
    bt.gateway.observers.append(seen.extend)
    bt.run()
    return bt, seen


def our_fills(events: list[Event]) -> list[Fill]:
    return [e for e in events if isinstance(e, Fill) and "MM1" in (e.maker_member, e.taker_member)]


def fills_csv(path: Path) -> list[list[str]]:
    return [line.split(",") for line in path.read_text().splitlines()[1:]]


def test_latency_delays_the_order_and_nothing_fills_before_it_arrives(tmp_path: Path) -> None:
    feed_ns, order_ns = 1 * MS, 2 * MS
    # subscribe (order link), snapshot back (feed link), first quote (order link)
    arrive = T0 + order_ns + feed_ns + order_ns
    # a seller sweeps far below our bid one ns before our order can be there, then after
    frames = [
        (T0, 100, 50, 110, 50),
        (arrive - 1, 100, 50, 110, 50),
        (arrive + 5 * MS, 100, 50, 110, 50),
        (arrive + 10 * MS, 100, 50, 110, 50),
    ]
    trades = [(arrive - 1, 1, 1000, -1), (arrive + 5 * MS, 1, 1000, -1)]
    bt, seen = run(market(frames, trades), config(1000, 2000), tmp_path / "lat")
    ours = [e for e in seen if isinstance(e, Accepted) and e.member == "MM1"]
    assert ours and ours[0].ts_ns == arrive  # sent on the snapshot, there L later
    fills = our_fills(seen)
    assert [f.ts_ns for f in fills] == [arrive + 5 * MS]
    assert fills[0].qty == 20 and fills[0].px == 100  # at our own price, the whole order
    rows = fills_csv(bt.fills_path)
    assert len(rows) == 1 and rows[0][2:5] == ["buy", "100", "20"]

    # the same recording without latency: the first sweep fills us
    _, seen0 = run(market(frames, trades), config(0, 0), tmp_path / "zero")
    assert our_fills(seen0)[0].ts_ns == arrive - 1


def test_queue_position_trade_smaller_than_queue_ahead_does_not_fill(tmp_path: Path) -> None:
    # we join 50 displayed lots at 100; 30 trade (ahead of us), then 30 more: 20 ahead + 10 ours
    frames = [(T0, 100, 50, 110, 50), (T0 + S, 100, 20, 110, 50), (T0 + 2 * S, 99, 50, 110, 50)]
    trades = [(T0 + S, 100, 30, -1), (T0 + 2 * S, 100, 30, -1)]
    bt, seen = run(market(frames, trades), config(), tmp_path)
    fills = our_fills(seen)
    assert [(f.ts_ns, f.px, f.qty) for f in fills] == [(T0 + 2 * S, 100, 10)]
    rows = fills_csv(bt.fills_path)
    assert [r[2:5] for r in rows] == [["buy", "100", "10"]]
    assert rows[0][6] == "maker"


def test_files_are_what_check_reads(tmp_path: Path) -> None:
    frames = [(T0, 100, 50, 110, 50), (T0 + S, 100, 20, 110, 50), (T0 + 2 * S, 99, 50, 110, 50)]
    trades = [(T0 + S, 100, 30, -1), (T0 + 2 * S, 100, 30, -1)]
    bt, _ = run(market(frames, trades), config(), tmp_path)
    quotes = bt.quotes_path.read_text().splitlines()
    assert quotes[0] == "ts,symbol,bid_px,bid_qty,ask_px,ask_qty,event"
    assert quotes[2].split(",")[1:6] == ["XYZ", "100", "20", "110", "20"]
    assert quotes[-1].split(",")[2:] == ["", "", "", "", "pull"]  # cancelled at the end
    assert all(T0 <= int(q.split(",")[0]) <= T0 + 2 * S for q in quotes[1:])
    mkt = bt.market_path.read_text().splitlines()
    assert mkt == [
        "ts,symbol,bid_px,ask_px,bid_qty,ask_qty",
        f"{T0},XYZ,100,110,50,50",
        f"{T0 + S},XYZ,100,110,20,50",
        f"{T0 + 2 * S},XYZ,99,110,50,50",
    ]


def test_lognormal_latency_and_random_queue_are_deterministic_per_seed(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 400
    ts = T0 + np.cumsum(rng.integers(1, 5 * MS, n))
    bid = 100 + np.cumsum(rng.integers(-1, 2, n))
    frames = [
        (int(t), int(b), int(rng.integers(1, 80)), int(b) + 10, int(rng.integers(1, 80)))
        for t, b in zip(ts, bid, strict=True)
    ]
    trades = [(int(ts[i]), int(bid[i]), int(rng.integers(1, 60)), -1) for i in range(5, n, 7)]
    cfg = config(
        queue_model="random",
        feed_latency={"model": "lognormal", "median_us": 800, "sigma": 0.8},
        order_latency={"model": "lognormal", "median_us": 1500, "sigma": 0.8},
    )
    m = market(frames, trades)
    outs = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        bt, _ = run(m, cfg, tmp_path / name, seed)
        outs.append((bt.quotes_path.read_bytes(), bt.fills_path.read_bytes()))
    assert outs[0] == outs[1]
    assert outs[0][1].count(b"\n") > 1  # some fills happened
    assert outs[0] != outs[2]  # another seed, other latencies


def test_head_market_keeps_the_first_minutes() -> None:
    frames = [(T0 + k * S, 100, 50, 110, 50) for k in range(10)]
    trades = [(T0 + k * S, 100, 1, 1) for k in range(10)]
    h = head_market(market(frames, trades), 3 * S)
    assert h.book.ts_ns.tolist() == [T0, T0 + S, T0 + 2 * S]
    assert len(h.trades.ts_ns) == 3


def test_config_must_match_the_recording(tmp_path: Path) -> None:
    frames = [(T0, 100, 50, 110, 50)]
    m = market(frames, [])
    data = {
        "quoter": {
            "venue": {"host": "h", "port": 1, "sender_comp_id": "MM1"},
            "symbols": [{"symbol": "ABC", "tick": "1", "lot": "1"}],
            "pricing": {"spread": {"model": "fixed", "spread_ticks": 10}},
            "ladder": {"qty": "1"},
        }
    }
    with pytest.raises(ConfigError, match="replays one symbol"):
        Backtest(build_backtest_config(data), m, out_dir=tmp_path)


def test_events_journal_is_the_live_event_stream(tmp_path: Path) -> None:
    from mmsla.events.codec import decode

    frames = [(T0, 100, 50, 110, 50), (T0 + S, 100, 20, 110, 50), (T0 + 2 * S, 99, 50, 110, 50)]
    trades = [(T0 + S, 100, 30, -1), (T0 + 2 * S, 100, 30, -1)]
    bt = Backtest(config(), market(frames, trades), out_dir=tmp_path, seed=0, events=True)
    bt.run()
    events = [decode(line) for line in bt.events_path.read_bytes().splitlines()]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    kinds = {e["type"] for e in events}
    assert {"market", "order", "quote", "fill", "position"} <= kinds
    fills = [e for e in events if e["type"] == "fill"]
    assert [(str(f["px"]), str(f["qty"]), f["side"]) for f in fills] == [("100", "10", "buy")]
    position = [e for e in events if e["type"] == "position"][-1]
    assert str(position["qty"]) == "10"
    quotes = [e for e in events if e["type"] == "quote"]
    assert len(quotes) == len(bt.quotes_path.read_text().splitlines()) - 1
