"""Monitor benchmark: sustained quote events/s through ZeroMQ into the monitor, and alert latency.

A publisher process (`mmsla.monitor.testfeed.FeedPublisher`: PUB + journal +
replay, the quoter's wire format) sends quote events for two symbols; the
monitor (this process: `MonitorRunner` + `MonitorEngine` with every per-instant
rule of `fixtures/monitor/agreement.yaml` on, breach alerts, budget re-checks,
batched persistence in a writer process: CSV evidence chunks plus the same rows
into DuckDB through `EventStore.append`, garbage collected after each flush)
consumes them.
For the throughput runs the publisher encodes and journals every event before
the clock starts (`FeedPublisher.stage`), so that what is measured is the
monitor, not the stand-in quoter's JSON encoding. Reported:

- throughput: events / (last processed - first received), with 1 in 100 and 1 in 10
  quotes breaching (each opens and then closes a breach: two alerts), the
  publisher sending as fast as it can (the monitor drains the backlog at its own
  pace), and the counts of events processed, replayed after a gap and lost (must
  be 0); also the monitor process's CPU time per event (less sensitive to other
  load on the machine than the wall-clock rate);
- sustained: the publisher paced at the 100k events/s target; the rate achieved
  and the monitor's lag behind the publisher when the last event is processed;
- breach-to-alert latency: a run at 1000 events/s, events encoded and stamped as
  they are sent, where every 10th quote opens or closes a breach; latency = wall
  time the alert reaches the sinks minus the publisher's `ts_init` stamp of the
  quote that caused it (p50/p99/max).

Scale with MMSLA_BENCH_MONITOR="events,paced_events" (default 300000,4000).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
S = 1_000_000_000
T0 = int(datetime(2026, 11, 24, 9, 0, tzinfo=UTC).timestamp()) * S


def _fields(i: int, every: int) -> dict[str, Any]:
    ask = "101.50" if (i // 2) % every == every - 1 else "100.20"  # 1 in `every` breaches
    return {
        "symbol": "ABC" if i & 1 else "XYZ",
        "bids": [["100.00", "200"]],
        "asks": [[ask, "200"]],
        "cause": "quote",
    }


def _publish(
    tmp: str,
    n: int,
    rate: float | None,
    every: int,
    staged: bool,
    q: Any,
    go: Any,
    stop: Any,
) -> None:
    from mmsla.monitor.testfeed import FeedPublisher

    pub = FeedPublisher(Path(tmp) / "journal.jsonl", source="bench")
    q.put((pub.endpoint, pub.replay.endpoint))
    while not go.wait(0.01):
        pub.publish("heartbeat", T0 - S, {})
    if staged:
        frames = [pub.stage("quote", T0 + i * 1_000_000, _fields(i, every)) for i in range(n)]
        step = 1000 if rate is not None else n
        t0 = time.perf_counter()
        q.put(("start", time.time_ns()))
        for k in range(0, n, step):
            if rate is not None:  # paced in slices of `step` events
                time.sleep(max(0.0, t0 + k / rate - time.perf_counter()))
            pub.send_staged(frames[k : k + step])
    else:
        t0 = time.perf_counter()
        for i in range(n):
            f = _fields(i, every)
            pub.quote(T0 + i * 1_000_000, f["symbol"], "100.00", f["asks"][0][0], "200")
            if rate is not None:  # sleep, not spin: the monitor needs the CPU more
                time.sleep(max(0.0, t0 + (i + 1) / rate - time.perf_counter()))
    q.put(("sent", pub.seq, time.time_ns()))
    stop.wait(120)
    pub.close()


class _LatencySink:
    def __init__(self) -> None:
        self.lat_ns: list[int] = []

    def send(self, alert: Any) -> None:
        t = alert.fields.get("event_ts_init")
        if alert.kind == "breach_opened" and t:
            self.lat_ns.append(time.time_ns() - t)

    def close(self) -> None:
        pass


def _run(
    n: int, rate: float | None, db: bool, every: int = 10, staged: bool = False
) -> dict[str, Any]:
    from mmsla.agreement import load_agreement
    from mmsla.monitor.alerts import AlertGate
    from mmsla.monitor.config import MonitorConfig
    from mmsla.monitor.engine import MonitorEngine
    from mmsla.monitor.persist import Persister
    from mmsla.monitor.runner import MonitorRunner

    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        q, go, stop = ctx.Queue(), ctx.Event(), ctx.Event()
        proc = ctx.Process(
            target=_publish, args=(tmp, n, rate, every, staged, q, go, stop), daemon=True
        )
        proc.start()
        events_ep, replay_ep = q.get(timeout=30)
        agr = load_agreement(REPO / "fixtures/monitor/agreement.yaml")
        engine = MonitorEngine(agr, MonitorConfig(), wall_clock=time.monotonic)
        sink = _LatencySink()
        persister = Persister(
            agr,
            spool_dir=Path(tmp) / "spool",
            state_path=Path(tmp) / "state.json",
            db=Path(tmp) / "m.duckdb" if db else None,
            mode="process",
        )
        runner = MonitorRunner(
            engine,
            events_ep,
            replay=replay_ep,
            sinks=[sink],
            gate=AlertGate(max_per_window=10**9),
            persister=persister,
        )
        while runner.last_seq == 0:
            runner.step(10)
        base = runner.last_seq
        go.set()
        first: float | None = None
        cpu0 = tcpu0 = 0.0
        last_seq: int | None = None
        sent_ns = 0
        while last_seq is None or runner.last_seq < last_seq:
            if runner.step(10) and first is None:
                first, cpu0 = time.perf_counter(), time.process_time()
                tcpu0 = time.thread_time()
            while last_seq is None and not q.empty():
                msg = q.get()
                if msg[0] == "sent":
                    last_seq, sent_ns = msg[1], msg[2]
        elapsed = time.perf_counter() - (first or time.perf_counter())
        out = {
            "events": runner.last_seq - base,
            "elapsed_s": elapsed,
            "cpu_s": time.process_time() - cpu0,
            "main_cpu_s": time.thread_time() - tcpu0,
            "lag_s": (time.time_ns() - sent_ns) / 1e9,
            "processed": engine.events,
            "recovered": runner.recovered,
            "lost": runner.lost,
            "lat_ns": np.asarray(sink.lat_ns, dtype=np.int64),
        }
        t_close = time.perf_counter()
        runner.close()
        out["close_s"] = time.perf_counter() - t_close
        stop.set()
        proc.join(10)
        return out


def _engine_only(n: int, every: int) -> float:
    """Events/s of payload parsing + engine alone, in-process (the ceiling without sockets)."""
    import orjson

    from mmsla.agreement import load_agreement
    from mmsla.monitor.config import MonitorConfig
    from mmsla.monitor.engine import MonitorEngine

    payloads = []
    for i in range(n):
        ask = "101.50" if (i // 2) % every == every - 1 else "100.20"
        bids, asks = [["100.00", "200"]], [[ask, "200"]]
        payloads.append(
            orjson.dumps(
                {
                    "type": "quote",
                    "seq": i + 1,
                    "ts_event": T0 + i * 1_000_000,
                    "ts_init": 0,
                    "source": "b",
                    "symbol": "ABC" if i & 1 else "XYZ",
                    "bids": bids,
                    "asks": asks,
                    "cause": "quote",
                }
            )
        )
    agr = load_agreement(REPO / "fixtures/monitor/agreement.yaml")
    engine = MonitorEngine(agr, MonitorConfig(), wall_clock=time.monotonic)
    t0 = time.perf_counter()
    for k in range(0, n, 5000):
        engine.on_events([orjson.loads(p) for p in payloads[k : k + 5000]])
        engine.drain()
    return n / (time.perf_counter() - t0)


def main() -> None:
    spec = os.environ.get("MMSLA_BENCH_MONITOR", "300000,4000").split(",")
    n, paced = int(spec[0]), int(spec[1])
    for every in (100, 10):
        r = _run(n, None, db=True, every=every, staged=True)
        rate = r["events"] / r["elapsed_s"] if r["elapsed_s"] else float("nan")
        print(
            f"throughput (1 in {every} quotes breaches): {r['events']} quote events in "
            f"{r['elapsed_s']:.2f} s = {rate:,.0f} events/s, monitor CPU "
            f"{r['cpu_s'] / max(r['events'], 1) * 1e6:.1f} us/event (processed "
            f"{r['processed']}, replayed {r['recovered']}, lost {r['lost']}; persistence to "
            f"DuckDB drained {r['close_s']:.2f} s after)"
        )
    target = 100_000.0
    r = _run(n, target, db=True, every=100, staged=True)
    rate = r["events"] / r["elapsed_s"] if r["elapsed_s"] else float("nan")
    print(
        f"sustained (publisher paced at {target:,.0f} events/s, 1 in 100 breaches): "
        f"{r['events']} events at {rate:,.0f} events/s, monitor {r['lag_s'] * 1e3:.0f} ms "
        f"behind the publisher at the end (replayed {r['recovered']}, lost {r['lost']})"
    )
    print(
        f"engine only (parse + engine, no sockets, 1 in 100): {_engine_only(n, 100):,.0f} events/s"
    )
    p = _run(paced, 1000.0, db=True)
    lat = p["lat_ns"] / 1e6
    if lat.size:
        print(
            f"breach-to-alert latency at 1000 events/s: {lat.size} alerts, "
            f"p50 {np.percentile(lat, 50):.2f} ms, p99 {np.percentile(lat, 99):.2f} ms, "
            f"max {lat.max():.2f} ms (lost {p['lost']})"
        )


if __name__ == "__main__":
    main()
