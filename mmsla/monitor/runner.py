"""The monitor process loop: subscribe, recover gaps, detect silence, dispatch, persist.

One thread does the checking: it drains the SUB socket in micro-batches,
tracks `seq` per publisher run (`GapTracker`), and on a gap asks the quoter's
`ReplayServer` for the missing range before going on (what arrives meanwhile
waits in the SUB queue, sized by `bus.DEFAULT_HWM`); what the replay cannot
supply is marked unknown (invalid). No event for `stale_heartbeats` heartbeat
intervals of wall time -> `feed_stale`. Alerts go through the `AlertGate` to
the sinks (which never block); actions go to a sender thread (`send_control`
waits for the quoter's reply there, not here); rows, alerts and closed days
go to the `Persister` every `flush_s`. A status JSON file is rewritten every
`status_s` for `mmsla monitor status`.

High-water marks: SUB RCVHWM (and the quoter's PUB SNDHWM) = `bus.DEFAULT_HWM`
= 250k messages (about 100 MB of 400-byte events): the loop may stall for a
replay or the day's close (`close_day`, O(rows in the day), once a day) for
several seconds at full rate before ZeroMQ drops anything, and whatever it does
drop shows up as a `seq` gap and is replayed from the journal.

Throughput: the SUB socket is drained frame by frame (`Subscriber.poll`), the
next-in-sequence event of the current publisher run takes a short path, and the
engine gets the run in chunks of `engine_chunk` events with alerts dispatched after
each chunk (so an alert never waits behind more than one chunk). The runner tunes
the garbage collector for this allocation pattern (`tune_gc`; `gc_gen0=None` leaves
it alone) and, with `gc_at_flush`, collects only right after each persistence flush
(see `MonitorRunner.__init__`).

Restart: the resume point (`source`, `last_seq`, `day_first_seq`) says where
the last committed batch ended; the runner replays `day_first_seq..last_seq`
from the journal to rebuild today's state (not persisted again), then
everything after `last_seq` as usual.
"""

from __future__ import annotations

import gc
import queue
import sys
import threading
import time
from collections import deque
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import zmq

from mmsla.events.bus import DEFAULT_HWM, Subscriber, request_replay
from mmsla.events.control import send_control
from mmsla.events.sequence import GapTracker
from mmsla.monitor.alerts import AlertGate
from mmsla.monitor.engine import Action, MonitorEngine
from mmsla.monitor.persist import Batch, Persister, ResumePoint, write_json_atomic
from mmsla.monitor.sinks import AlertSink
from mmsla.obligations.calendar import local_ns

NS = 1_000_000_000
DELIVERED_KEPT = 10_000
GC_GEN0 = 50_000  # allocations between young-generation collections in a monitor process


def tune_gc(gen0: int = GC_GEN0) -> None:
    """Collector settings for a process that decodes every event into fresh containers.

    Each quote event is about five tracked containers (dict, lists) that live until
    the next persistence flush. With CPython's default young-generation threshold
    (700) the collector runs thousands of times a second at full rate and its older
    generations rescan every retained row: a third of the loop's CPU time in the
    benchmark. Objects that exist now (modules, the agreement) are frozen out of
    collection, and the young generation is collected every `gen0` allocations
    (a pause of about a millisecond). Reference cycles are still collected.
    """
    gc.collect()  # nothing already unreachable gets frozen
    gc.freeze()
    _, g1, g2 = gc.get_threshold()
    gc.set_threshold(gen0, g1, g2)


class ControlSender:
    """Sends actions to the quoter's control endpoint from a background thread."""

    def __init__(self, endpoint: str, *, timeout_ms: int = 1000) -> None:
        self.endpoint = endpoint
        self.timeout_ms = timeout_ms
        self.sent: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
        self._queue: queue.Queue[Action | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="monitor-control", daemon=True)
        self._thread.start()

    def send(self, action: Action) -> None:
        self._queue.put(action)

    def _run(self) -> None:
        while (action := self._queue.get()) is not None:
            cmd = {**action.command(), "source": "monitor"}
            reply = send_control(self.endpoint, cmd, timeout_ms=self.timeout_ms)
            self.sent.append((cmd, reply))
            if reply is None or not reply.get("ok", False):
                print(f"mmsla monitor: {action.kind} not acknowledged: {reply}", file=sys.stderr)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(5)


class MonitorRunner:
    """Wires an engine to the event socket, replay, control, sinks and persistence."""

    def __init__(
        self,
        engine: MonitorEngine,
        events: str,
        *,
        replay: str | None = None,
        control: str | None = None,
        sinks: list[AlertSink] | None = None,
        gate: AlertGate | None = None,
        persister: Persister | None = None,
        resume: ResumePoint | None = None,
        status_path: str | Path | None = None,
        flush_s: float = 0.5,
        status_s: float = 0.5,
        max_batch: int = 20_000,
        engine_chunk: int = 1_000,
        hwm: int = DEFAULT_HWM,
        context: zmq.Context[Any] | None = None,
        gc_gen0: int | None = GC_GEN0,
        gc_at_flush: bool = True,
    ) -> None:
        if gc_gen0 is not None:
            tune_gc(gc_gen0)
        # Collections triggered by allocations scan the rows a batch holds until its
        # flush (about half the loop's CPU at 100k events/s, measured with gc.callbacks);
        # right after a flush those rows are gone and the young generation is small.
        # Automatic collection is off while the runner runs (back on at `close`);
        # `flush` collects (generation 0 each time, 1 every 10th, 2 every 100th), so
        # reference cycles are still reclaimed at least every `flush_s`.
        self._gc_at_flush = gc_gen0 is not None and gc_at_flush and gc.isenabled()
        self._flushes = 0
        self._gc_due = False
        if self._gc_at_flush:
            gc.disable()
        self.engine = engine
        self.replay = replay
        self.sinks = sinks or []
        self.gate = gate or AlertGate()
        self.persister = persister
        self.status_path = Path(status_path) if status_path else None
        self.flush_s = flush_s
        self.status_s = status_s
        self.max_batch = max_batch
        self.engine_chunk = max(1, engine_chunk)
        self.control = ControlSender(control) if control else None
        self.sub = Subscriber(events, hwm=hwm, context=context)
        self.source: str | None = None
        self.tracker = GapTracker(0)
        self.resume = resume
        self.day_first_seq = 0
        self._day: object = None
        self._day_bounds = (0, 0)
        self.gaps = self.recovered = self.lost = self.duplicates = self.decode_errors = 0
        self.last_seq = 0
        self.publisher_restarts = 0
        self.last_arrival = time.monotonic()
        self.last_event_wall_ns: int | None = None
        self._pending = Batch(None, 0, 0)
        self._last_flush = self._last_status = time.monotonic()
        # the latest admitted alerts (for tests and inspection); bounded, so that a day of
        # alerts neither grows the process nor lengthens every full garbage collection
        self.delivered: deque[Any] = deque(maxlen=DELIVERED_KEPT)

    # ---- event intake -----------------------------------------------------------------
    def _parse(self, payload: bytes) -> dict[str, Any] | None:
        try:
            e = orjson.loads(payload)
        except orjson.JSONDecodeError:
            self.decode_errors += 1
            return None
        if not isinstance(e, dict) or not isinstance(e.get("seq"), int):
            self.decode_errors += 1
            return None
        return e

    def _feed(self, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        lo, hi = self._day_bounds
        for e in events:
            ts = e.get("ts_event")
            if isinstance(ts, int) and not lo <= ts < hi:
                local = datetime.fromtimestamp(ts // NS, tz=self.engine.tz).date()
                lo = local_ns(self.engine.tz, local, 0)
                hi = local_ns(self.engine.tz, local + timedelta(days=1), 0)
                if local != self._day:
                    self._day = local
                    self.day_first_seq = int(e["seq"])
        self._day_bounds = (lo, hi)
        # the engine takes the run in chunks and the alerts leave after each one, so an
        # alert waits for at most one chunk of work behind the event that caused it
        step = self.engine_chunk
        for k in range(0, len(events), step):
            part = events[k : k + step]
            self.engine.on_events(part)
            self.last_seq = int(part[-1]["seq"])
            self._collect()

    def _fetch(self, first: int, last: int) -> list[dict[str, Any]]:
        """Replayed events first..last, in order, as far as contiguous."""
        if self.replay is None or last < first:
            return []
        got: list[dict[str, Any]] = []
        step = 50_000
        a = first
        while a <= last:
            b = min(last, a + step - 1)
            payloads = request_replay(self.replay, a, b, timeout_ms=3000)
            if not payloads:
                break
            for p in payloads:
                e = self._parse(p)
                if e is None or e["seq"] != a or e.get("source") != self.source:
                    return got
                got.append(e)
                a += 1
            if a <= b:
                break
        return got

    def _recover(self, first: int, last: int) -> None:
        self.gaps += 1
        got = self._fetch(first, last)
        self._feed(got)
        done = first + len(got) - 1
        if got:
            self.engine.gap_recovered(first, done)
            self.recovered += len(got)
        if done < last:
            self.lost += last - done
            self.engine.mark_unknown(done + 1, last)
        self._collect()

    def _new_source(self, source: str) -> None:
        self.source = source
        r = self.resume
        self.tracker = GapTracker(0)
        if r is not None and r.source == source and r.last_seq > 0:
            # rebuild today's state from the journal without persisting it again
            first = max(r.day_first_seq, 1)
            got = self._fetch(first, r.last_seq)
            self.engine.on_events(got)
            self.engine.drain()
            self.tracker = GapTracker(r.last_seq)
            self.last_seq = r.last_seq
            self.day_first_seq = r.day_first_seq
            if got:
                self._day = datetime.fromtimestamp(
                    got[-1]["ts_event"] // NS, tz=self.engine.tz
                ).date()
        self.resume = None

    def catch_up(self) -> None:
        """After a restart: rebuild today's state, then process what the journal has beyond it."""
        r = self.resume
        if r is None or r.source is None or self.replay is None:
            self.resume = None
            return
        self._new_source(r.source)
        got = self._fetch(self.tracker.expected, self.tracker.expected + 10**12)
        for e in got:
            self.tracker.observe(e["seq"])
        self._feed(got)

    def step(self, timeout_ms: int = 100) -> int:
        """Poll once and process what arrived; returns the number of frames."""
        n = self._step(timeout_ms)
        if self._gc_due and self._gc_at_flush:
            # after a flush nothing of the batch is left: the young generation is small
            self._gc_due = False
            self._flushes += 1
            k = self._flushes
            gc.collect(2 if k % 100 == 0 else 1 if k % 10 == 0 else 0)
        return n

    def _step(self, timeout_ms: int) -> int:
        if self.resume is not None:
            self.catch_up()
        frames = self.sub.poll(timeout_ms, self.max_batch)
        now = time.monotonic()
        if frames:
            self.last_arrival = now
            self.last_event_wall_ns = time.time_ns()
            run: list[dict[str, Any]] = []
            loads, decode_error = orjson.loads, orjson.JSONDecodeError
            for _topic, payload in frames:
                try:
                    e = loads(payload)
                except decode_error:
                    self.decode_errors += 1
                    continue
                if e.__class__ is not dict:
                    self.decode_errors += 1
                    continue
                seq = e.get("seq")
                src = e.get("source")
                tracker = self.tracker
                if seq == tracker.expected and seq.__class__ is int and src == self.source:
                    # the steady case: the next event of the same publisher run
                    tracker.expected = seq + 1
                    run.append(e)
                    continue
                if not isinstance(seq, int):
                    self.decode_errors += 1
                    continue
                if src != self.source and isinstance(src, str):
                    self._feed(run)
                    run = []
                    self._new_source(src)
                if seq == 1 and self.tracker.expected > 2:
                    # the publisher restarted with a fresh journal under the same name
                    self._feed(run)
                    run = []
                    self.tracker = GapTracker(0)
                    self.publisher_restarts += 1
                if seq < self.tracker.expected:
                    self.duplicates += 1
                    continue
                if seq > self.tracker.expected:
                    self._feed(run)
                    run = []
                    self._recover(self.tracker.expected, seq - 1)
                self.tracker.observe(seq)
                run.append(e)
            self._feed(run)
        elif (
            now - self.last_arrival >= self.engine.config.stale_after_s
            and self.engine.stale_since is None
            and self.engine.started
        ):
            self.engine.mark_stale(now - self.last_arrival)
            self._collect()
        if now - self._last_flush >= self.flush_s:
            self.flush()
        if self.status_path is not None and now - self._last_status >= self.status_s:
            self.write_status()
        return len(frames)

    # ---- outputs ----------------------------------------------------------------------
    def _collect(self) -> None:
        out = self.engine.drain()
        b = self._pending
        for alert in out.alerts:
            admitted = self.gate.admit(alert)
            if admitted is None:
                continue
            self.delivered.append(admitted)
            b.alerts.append(admitted)
            for sink in self.sinks:
                sink.send(admitted)
        if self.control is not None:
            for action in out.actions:
                self.control.send(action)
        b.quotes.extend(out.quotes)
        b.market.extend(out.market)
        b.states.extend(out.states)
        b.days.extend(out.days)

    def flush(self) -> None:
        """Hand the pending batch to the persister."""
        self._last_flush = time.monotonic()
        b = self._pending
        b.source, b.last_seq, b.day_first_seq = self.source, self.last_seq, self.day_first_seq
        if self.persister is not None and (
            b.quotes or b.market or b.states or b.alerts or b.days or b.last_seq
        ):
            self.persister.submit(b)
        self._pending = Batch(None, 0, 0)
        self._gc_due = self._gc_at_flush  # `step` collects once its frames are dropped too

    def status(self) -> dict[str, Any]:
        return {
            "updated_ns": time.time_ns(),
            "agreement": self.engine.agreement.id,
            "source": self.source,
            "last_seq": self.last_seq,
            "events": self.engine.events,
            "rejected": self.engine.rejected + self.decode_errors,
            "gaps": self.gaps,
            "recovered": self.recovered,
            "lost": self.lost,
            "stale": self.engine.stale_since is not None,
            "last_event_wall_ns": self.last_event_wall_ns,
            "symbols": [asdict(s) for s in self.engine.status()],
        }

    def write_status(self) -> None:
        self._last_status = time.monotonic()
        if self.status_path is not None:
            write_json_atomic(self.status_path, self.status())

    def run(self, stop: threading.Event | None = None, duration_s: float | None = None) -> None:
        """Loop until `stop` is set (or `duration_s` passes)."""
        end = time.monotonic() + duration_s if duration_s is not None else None
        while not (stop is not None and stop.is_set()) and (end is None or time.monotonic() < end):
            self.step(50)

    def close(self) -> None:
        try:
            self.flush()
            if self.status_path is not None:
                self.write_status()
            if self.control is not None:
                self.control.close()
            if self.persister is not None:
                self.persister.close()
            for sink in self.sinks:
                sink.close()
            self.sub.close()
        finally:
            if self._gc_at_flush:
                self._gc_at_flush = False
                gc.enable()
