"""Batched persistence of the monitor's rows, alerts and day results: one writer thread.

Each batch becomes quote/market/state CSV chunks in a spool directory (the
normative formats, so `mmsla check` reads them too: they are the evidence the
store's provenance names). Quote and market chunks reach the DuckDB store from
memory (`EventStore.append`, with the chunk file's path and sha256, so the
provenance is the same as ingesting the file), not by re-reading the file;
state chunks (rare) through `EventStore.ingest`. Plus the batch's alerts (`alerts` table) and
closed days' breach episodes (`EventStore.record_breaches`), all in one
transaction. Only after the commit is the resume point (`source`, `last_seq`,
`day_first_seq`) written to a small JSON state file (atomic rename), so a crash
loses at most the batch in flight and the restarted monitor replays it from the
quoter's journal.

Does not evaluate anything or talk to sockets. Without a store (`db=None`) it
still writes the chunks and the state file.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing as mp
import os
import queue
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from mmsla.domain.agreement import Agreement
from mmsla.io import quote_log_format
from mmsla.io.tables import StateInterval
from mmsla.monitor.alerts import Alert
from mmsla.monitor.engine import MarketRow, QuoteRow
from mmsla.monitor.quotelog import market_text, quotes_text, write_states
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
    # quote and market rows as one JSON array each, for the trip to a writer process
    packed: tuple[bytes, bytes] | None = None

    def pack(self) -> Batch:
        """This batch with its rows as JSON bytes: pickled to a writer process, nested
        lists of strings cost about 1 us per row of the check loop's GIL; JSON bytes
        cost a tenth and travel as one buffer. Rows hold decoded JSON values, so
        `unpack` gives them back equal (lists for tuples, which the writers accept);
        a row JSON cannot carry (an integer beyond 64 bits) leaves the batch as it is."""
        try:
            packed = (orjson.dumps(self.quotes), orjson.dumps(self.market))
        except orjson.JSONEncodeError:
            return self
        return Batch(
            self.source,
            self.last_seq,
            self.day_first_seq,
            states=self.states,
            alerts=self.alerts,
            days=self.days,
            packed=packed,
        )

    def unpack(self) -> Batch:
        if self.packed is not None:
            self.quotes = orjson.loads(self.packed[0])
            self.market = orjson.loads(self.packed[1])
            self.packed = None
        return self


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
    """One writer: `submit(batch)` enqueues; `close()` drains and stops.

    `mode`: "thread" (a writer thread in this process), "process" (a writer
    process, so formatting and ingest do not compete with the check loop for the
    GIL; batches are pickled to it), or "inline" (`write` only, no queue).
    """

    def __init__(
        self,
        agreement: Agreement,
        *,
        spool_dir: str | Path,
        state_path: str | Path,
        db: str | Path | None = None,
        levels: int = 1,
        mode: str = "thread",
    ) -> None:
        self.agreement = agreement
        self.spool = Path(spool_dir)
        self.spool.mkdir(parents=True, exist_ok=True)
        self.state_path = Path(state_path)
        self.db = db
        self.levels = levels
        self.mode = mode
        self.batches = 0
        self.rows = 0
        self.errors = 0
        self._store: Any = None
        self._duck: duckdb.DuckDBPyConnection | None = None
        self._queue: Any = None
        self._worker: Any = None
        if mode == "process":
            ctx = mp.get_context("spawn")
            self._queue = ctx.Queue()
            self._worker = ctx.Process(
                target=_writer_main,
                args=(agreement, str(spool_dir), str(state_path), db, levels, self._queue),
                name="monitor-persist",
                daemon=True,
            )
            self._worker.start()
            return
        if db is not None:
            from mmsla.store import EventStore

            self._store = EventStore.open(db)
        if mode == "thread":
            self._queue = queue.Queue()
            self._worker = threading.Thread(target=self._run, name="monitor-persist", daemon=True)
            self._worker.start()

    def submit(self, batch: Batch) -> None:
        if self._queue is None:
            self.write(batch)
        elif self.mode == "process":
            self._queue.put(batch.pack())
        else:
            self._queue.put(batch)

    def _run(self) -> None:
        assert self._queue is not None
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            self.write_safely(batch)

    def write_safely(self, batch: Batch) -> None:
        try:
            self.write(batch)
        except Exception as e:  # the writer must survive; reported
            self.errors += 1
            print(f"mmsla monitor: persist failed: {e}", file=sys.stderr)

    def write(self, b: Batch) -> None:
        """Write one batch now (the thread calls this; tests may too)."""
        tag = f"{b.source or 'none'}-{b.last_seq:012d}".replace("/", "_").replace(":", "_")
        chunks: list[tuple[str, Path, bytes, pa.Table | None]] = []
        quotes = self._quote_chunk(b)
        if quotes is not None:
            p = self.spool / f"quotes-{tag}.csv"
            chunks.append(("quotes", p, quotes[0], quotes[1]))
        market = orjson.loads(b.packed[1]) if b.packed is not None else b.market
        if market:
            p = self.spool / f"market-{tag}.csv"
            chunks.append(("market", p, market_text(market).encode("utf-8"), None))
        for _, p, data, _ in chunks:
            p.write_bytes(data)
        files: list[tuple[str, Path]] = []
        if b.states:
            p = self.spool / f"states-{tag}.csv"
            write_states(p, b.states)
            files.append(("states", p))
        store = self._store
        if store is not None:
            with store.transaction():
                source = f"monitor:{b.source}"
                for kind, p, data, columns in chunks:
                    store.append(
                        kind,
                        columns if columns is not None else _csv_columns(data),
                        path=str(p.resolve()),
                        sha256=hashlib.sha256(data).hexdigest(),
                        source=source,
                    )
                for kind, path in files:
                    store.ingest(kind, path, source=f"monitor:{b.source}")
                if b.alerts:
                    table = pa.table(
                        {
                            "alert_id": [a.id for a in b.alerts],
                            "ts": pa.array([a.ts_ns for a in b.alerts], pa.int64()),
                            "type": [a.kind for a in b.alerts],
                            "symbol": pa.array([a.symbol for a in b.alerts], pa.string()),
                            "payload": [json.dumps(a.to_json(), default=str) for a in b.alerts],
                        }
                    )
                    store.con.register("_monitor_alerts", table)
                    try:
                        store.con.execute(
                            "INSERT INTO alerts (alert_id, ts, type, symbol, payload, source) "
                            "SELECT alert_id, ts, type, symbol, payload, 'monitor' "
                            "FROM _monitor_alerts"
                        )
                    finally:
                        store.con.unregister("_monitor_alerts")
                if b.days:
                    a = self.agreement
                    result = CheckResult(a.id, a.version, a.timezone, tuple(b.days), ())
                    store.record_breaches(result, source="monitor")
        write_json_atomic(
            self.state_path,
            {"source": b.source, "last_seq": b.last_seq, "day_first_seq": b.day_first_seq},
        )
        self.batches += 1
        self.rows += quotes[2] if quotes is not None else 0

    def _quote_chunk(self, b: Batch) -> tuple[bytes, pa.Table | None, int] | None:
        """The batch's quote chunk: (CSV bytes, its columns when already built, rows).

        With one level per side and the rows as JSON (`Batch.pack`), DuckDB takes the
        columns out of the JSON and Arrow writes the CSV: no Python per row. Rows of
        any other shape (a number where text is expected, a level that is not a
        pair, ...) take `quotes_text`, which writes the same text for the usual rows.
        """
        packed = b.packed[0] if b.packed is not None else None
        if packed is None and not b.quotes:
            return None
        if packed == b"[]":
            return None
        if self.levels == 1:
            if packed is None:
                try:
                    packed = orjson.dumps(b.quotes)
                except orjson.JSONEncodeError:
                    packed = None
            table = self._json_columns(packed) if packed is not None else None
            if table is not None:
                body = _csv_body(table)
                if body is not None:
                    head = quote_log_format.header(1).encode("utf-8") + b"\n"
                    return head + body, table, table.num_rows
        rows = b.quotes if packed is None or b.quotes else orjson.loads(packed)
        return quotes_text(rows, self.levels).encode("utf-8"), None, len(rows)

    def _json_columns(self, packed: bytes) -> pa.Table | None:
        """One-level quote rows `[ts, symbol, bids, asks, event]` (JSON) as columns, or None
        when some row is not of the usual shape (all text cells, integer ts)."""
        if self._duck is None:
            self._duck = duckdb.connect()
            self._duck.execute("SET threads = 1")  # one string to parse: no pool needed
        try:
            table = self._duck.sql(_JSON_QUOTES, params=[packed.decode("utf-8")]).to_arrow_table()
        except (duckdb.Error, UnicodeDecodeError):
            return None
        if table.num_rows == 0 or not pc.all(table.column("ok")).as_py():
            return None
        return table.drop_columns(["ok"])

    def close(self, timeout_s: float = 60.0) -> None:
        if self._queue is not None:
            self._queue.put(None)
            self._worker.join(timeout_s)
        if self._store is not None:
            self._store.close()
        if self._duck is not None:
            self._duck.close()


# Columns of a packed one-level quote batch; `ok` says the row is of the usual shape, so
# that the text the columns give is the text `quote_lines` writes for it.
_PAIR = (
    "(json_array_length(j->{i}) = 0 OR (json_array_length(j->{i}->0) = 2 "
    "AND json_type(j->{i}->0->0) = 'VARCHAR' AND json_type(j->{i}->0->1) = 'VARCHAR'))"
)
_JSON_QUOTES = f"""
WITH r AS (SELECT unnest(from_json(?::VARCHAR, '["JSON"]')) AS j)
SELECT (j->>0)::BIGINT AS ts, j->>1 AS symbol,
       j->2->0->>0 AS bid_px, j->2->0->>1 AS bid_qty,
       j->3->0->>0 AS ask_px, j->3->0->>1 AS ask_qty, j->>4 AS event,
       json_array_length(j) = 5 AND json_type(j->0) IN ('BIGINT', 'UBIGINT')
       AND json_type(j->1) = 'VARCHAR' AND {_PAIR.format(i=2)} AND {_PAIR.format(i=3)}
       AND json_type(j->4) IN ('VARCHAR', 'NULL') AS ok
FROM r
"""


def _csv_body(table: pa.Table) -> bytes | None:
    """CSV lines of `table` without header or quoting (None if a cell would need quoting)."""
    sink = io.BytesIO()
    try:
        pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    except pa.ArrowInvalid:
        return None
    return sink.getvalue()


def _csv_columns(data: bytes) -> pa.Table:
    """A chunk's CSV text as columns of strings (blank cells null), as `ingest` reads it."""
    names = data[: data.index(b"\n")].decode("utf-8").split(",")
    return pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=True
        ),
    )


def _writer_main(
    agreement: Agreement,
    spool_dir: str,
    state_path: str,
    db: str | Path | None,
    levels: int,
    q: Any,
) -> None:
    """The writer process: write batches in order until None arrives."""
    w = Persister(
        agreement, spool_dir=spool_dir, state_path=state_path, db=db, levels=levels, mode="inline"
    )
    try:
        while (batch := q.get()) is not None:
            w.write_safely(batch)  # rows stay JSON: `write` takes the columns from it
    finally:
        w.close()
