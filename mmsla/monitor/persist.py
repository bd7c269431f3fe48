"""Batched persistence of the monitor's rows, alerts and day results: one writer thread.

Each batch becomes quote/market/state CSV chunks in a spool directory (the
normative formats, so `mmsla check` reads them too) ingested into the DuckDB
store through `EventStore.ingest`, plus the batch's alerts (`alerts` table) and
closed days' breach episodes (`EventStore.record_breaches`), all in one
transaction. Only after the commit is the resume point (`source`, `last_seq`,
`day_first_seq`) written to a small JSON state file (atomic rename), so a crash
loses at most the batch in flight and the restarted monitor replays it from the
quoter's journal.

Does not evaluate anything or talk to sockets. Without a store (`db=None`) it
still writes the chunks and the state file.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmsla.domain.agreement import Agreement
from mmsla.io.tables import StateInterval
from mmsla.monitor.alerts import Alert
from mmsla.monitor.engine import MarketRow, QuoteRow
from mmsla.monitor.quotelog import write_market, write_quotes, write_states
from mmsla.obligations.result import CheckResult, DayResult


@dataclass
class Batch:
    """Everything to persist up to (and including) event `last_seq` of `source`."""

    source: str | None
    last_seq: int
    day_first_seq: int
    quotes: list[QuoteRow] = field(default_factory=list)
    market: list[MarketRow] = field(default_factory=list)
    states: list[StateInterval] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    days: list[DayResult] = field(default_factory=list)


@dataclass(frozen=True)
class ResumePoint:
    source: str | None
    last_seq: int
    day_first_seq: int


def read_resume(path: str | Path) -> ResumePoint | None:
    """The last committed resume point, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return ResumePoint(data["source"], int(data["last_seq"]), int(data["day_first_seq"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_json_atomic(path: str | Path, data: Any) -> None:
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(json.dumps(data, default=str), encoding="utf-8")
    os.replace(tmp, p)


class Persister:
    """Writer thread: `submit(batch)` enqueues; `close()` drains and stops."""

    def __init__(
        self,
        agreement: Agreement,
        *,
        spool_dir: str | Path,
        state_path: str | Path,
        db: str | Path | None = None,
        levels: int = 1,
    ) -> None:
        self.agreement = agreement
        self.spool = Path(spool_dir)
        self.spool.mkdir(parents=True, exist_ok=True)
        self.state_path = Path(state_path)
        self.db = db
        self.levels = levels
        self.batches = 0
        self.rows = 0
        self.errors = 0
        self._queue: queue.Queue[Batch | None] = queue.Queue()
        self._store: Any = None
        if db is not None:
            from mmsla.store import EventStore

            self._store = EventStore.open(db)
        self._thread = threading.Thread(target=self._run, name="monitor-persist", daemon=True)
        self._thread.start()

    def submit(self, batch: Batch) -> None:
        self._queue.put(batch)

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            try:
                self.write(batch)
            except Exception as e:  # the writer must survive; reported
                self.errors += 1
                print(f"mmsla monitor: persist failed: {e}", file=sys.stderr)

    def write(self, b: Batch) -> None:
        """Write one batch now (the thread calls this; tests may too)."""
        tag = f"{b.source or 'none'}-{b.last_seq:012d}".replace("/", "_").replace(":", "_")
        files: list[tuple[str, Path]] = []
        if b.quotes:
            p = self.spool / f"quotes-{tag}.csv"
            write_quotes(p, b.quotes, self.levels)
            files.append(("quotes", p))
        if b.market:
            p = self.spool / f"market-{tag}.csv"
            write_market(p, b.market)
            files.append(("market", p))
        if b.states:
            p = self.spool / f"states-{tag}.csv"
            write_states(p, b.states)
            files.append(("states", p))
        store = self._store
        if store is not None:
            with store.transaction():
                for kind, path in files:
                    store.ingest(kind, path, source=f"monitor:{b.source}")
                if b.alerts:
                    store.con.executemany(
                        "INSERT INTO alerts (alert_id, ts, type, symbol, payload, source) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        [
                            [
                                a.id,
                                a.ts_ns,
                                a.kind,
                                a.symbol,
                                json.dumps(a.to_json(), default=str),
                                "monitor",
                            ]
                            for a in b.alerts
                        ],
                    )
                if b.days:
                    a = self.agreement
                    result = CheckResult(a.id, a.version, a.timezone, tuple(b.days), ())
                    store.record_breaches(result, source="monitor")
        write_json_atomic(
            self.state_path,
            {"source": b.source, "last_seq": b.last_seq, "day_first_seq": b.day_first_seq},
        )
        self.batches += 1
        self.rows += len(b.quotes)

    def close(self, timeout_s: float = 30.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout_s)
        if self._store is not None:
            self._store.close()
