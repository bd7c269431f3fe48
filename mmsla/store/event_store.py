"""`EventStore`: one DuckDB file holding our logs, public book data, breaches and alerts.

Opening applies pending schema migrations (`mmsla.store.schema`). Ingest is
idempotent per (sha256, kind): the same bytes ingested again are skipped.
`append` stores rows already in memory (columns in the file layout) with the
same parsing, provenance and idempotence as a file, without a file. Callers
group several ingests into one all-or-nothing unit with
`with store.transaction(): ...`; a failure inside rolls back every row and
provenance record written in it. Loaders return the same array types as the
file readers in `mmsla.io.tables`, so the obligation engine runs on store data
and on files alike.

Does not: evaluate obligations, or allow concurrent writers (DuckDB takes a
file lock: a second writer process gets a clear `InputError`).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mmsla.domain.book import RecordedMarket
from mmsla.errors import InputError
from mmsla.io.books import decimal_column, market_reference
from mmsla.io.columns import RawTable
from mmsla.io.tables import FillArrays, MarketArrays, QuoteArrays, StateInterval
from mmsla.obligations.result import CheckResult, reasons_of
from mmsla.store.decimals import STORE_TYPE, from_decimal
from mmsla.store.layout import FROM_RAW, KINDS, PARSERS, Parsed
from mmsla.store.schema import LATEST, SchemaTooNew, migrate

DEFAULT_DB = "mmsla.duckdb"
ENV_DB = "MMSLA_DB"
ENV_MEMORY = "MMSLA_DB_MEMORY"

_COLUMNS = {
    "quotes": ("ts, symbol, bid_px, bid_qty, ask_px, ask_qty, bid_levels, ask_levels, event, line"),
    "market": "ts, symbol, bid_px, ask_px, bid_qty, ask_qty, line",
    "states": "ts_start, ts_end, symbol, state, reason, line",
    "fills": "ts, symbol, side, px, qty, fee, liquidity, order_id, trade_id, line",
}
_TABLE = {"quotes": "quotes", "market": "market", "states": "market_states", "fills": "fills"}
_ORDER = {
    "quotes": "symbol, ts, line",
    "market": "symbol, ts, line",
    "states": "ts_start, line",
    "fills": "symbol, ts, line",
}


def _memory(text: str) -> str:
    if not text:
        return ""
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?\s*[KMGT]i?B", text.strip(), flags=re.IGNORECASE):
        raise InputError(ENV_MEMORY, f"memory limit {text!r} must look like 2GB or 512MiB")
    return text.strip()


def resolve_db_path(path: str | Path | None = None) -> Path:
    """`path`, else $MMSLA_DB, else ./mmsla.duckdb."""
    return Path(path or os.environ.get(ENV_DB) or DEFAULT_DB)


def file_sha256(paths: Sequence[str | Path]) -> str:
    """sha256 of the files' bytes, concatenated in order."""
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class IngestResult:
    """Outcome of one file: `skipped` when the same bytes were already ingested as `kind`."""

    kind: str
    path: str
    sha256: str
    rows: int
    file_id: int
    skipped: bool
    ts_min: int | None = None
    ts_max: int | None = None


@dataclass(frozen=True)
class IngestedFile:
    """A provenance row of `ingested_files`."""

    file_id: int
    path: str
    sha256: str
    kind: str
    rows: int
    ts_min: int | None
    ts_max: int | None
    ingested_at: datetime
    source: str | None


class EventStore:
    """A DuckDB event store file (see module doc). Use `EventStore.open(path)`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        self.con = con
        self.path = path
        self._in_tx = False

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        read_only: bool = False,
        migrate_to: int = LATEST,
        memory_limit: str | None = None,
    ) -> EventStore:
        """Open (creating if needed) the store and apply pending migrations.

        `memory_limit` (e.g. "2GB"; default $MMSLA_DB_MEMORY, else DuckDB's 80% of RAM)
        caps DuckDB's buffer pool: big ingests and scans then spill to disk instead.
        """
        db = resolve_db_path(path)
        limit = _memory(memory_limit or os.environ.get(ENV_MEMORY) or "")
        if read_only and not db.exists():
            raise InputError(str(db), "no such database")
        try:
            con = duckdb.connect(str(db), read_only=read_only)
        except duckdb.Error as e:
            raise InputError(str(db), f"cannot open database: {str(e).splitlines()[0]}") from e
        try:
            if limit:
                con.execute(f"SET memory_limit = '{limit}'")
            if not read_only:
                migrate(con, migrate_to)
            else:
                from mmsla.store.schema import current_version

                found = current_version(con)
                if found > LATEST:
                    raise SchemaTooNew(found, LATEST)
        except SchemaTooNew as e:
            con.close()
            raise InputError(str(db), str(e)) from e
        return cls(con, db)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        rows = self.con.execute("SELECT max(version) FROM schema_version").fetchall()
        return int(rows[0][0]) if rows[0][0] is not None else 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing unit; nested use joins the outer transaction."""
        if self._in_tx:
            yield
            return
        self.con.execute("BEGIN TRANSACTION")
        self._in_tx = True
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")
        finally:
            self._in_tx = False

    # --- provenance ---------------------------------------------------------

    def find_ingested(self, sha256: str, kind: str) -> IngestedFile | None:
        row = self.con.execute(
            "SELECT file_id, path, sha256, kind, rows, ts_min, ts_max, ingested_at, source "
            "FROM ingested_files WHERE sha256 = ? AND kind = ?",
            [sha256, kind],
        ).fetchall()
        return IngestedFile(*row[0]) if row else None

    def ingested_files(self) -> list[IngestedFile]:
        rows = self.con.execute(
            "SELECT file_id, path, sha256, kind, rows, ts_min, ts_max, ingested_at, source "
            "FROM ingested_files ORDER BY file_id"
        ).fetchall()
        return [IngestedFile(*r) for r in rows]

    def _record(
        self,
        *,
        path: str,
        sha: str,
        kind: str,
        rows: int,
        ts_min: int | None,
        ts_max: int | None,
        source: str | None,
        px_scale: int | None,
        qty_scale: int | None,
    ) -> int:
        row = self.con.execute(
            "INSERT INTO ingested_files (file_id, path, sha256, kind, rows, ts_min, ts_max, "
            "ingested_at, source, px_scale, qty_scale) "
            "VALUES (nextval('file_id_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING file_id",
            [path, sha, kind, rows, ts_min, ts_max, datetime.now(UTC), source, px_scale, qty_scale],
        ).fetchall()
        return int(row[0][0])

    # --- ingest ---------------------------------------------------------------

    def ingest(self, kind: str, path: str | Path, *, source: str | None = None) -> IngestResult:
        """Ingest one file of `kind` (quotes | market | states | fills); no-op if already stored."""
        return self.ingest_many(kind, [path], source=source)[0]

    def ingest_many(
        self,
        kind: str,
        paths: Sequence[str | Path],
        *,
        source: str | None = None,
        on_file: Callable[[IngestResult], None] | None = None,
    ) -> list[IngestResult]:
        """Ingest files of one kind in one transaction, parsing the next file while storing one.

        Files whose bytes were already ingested as `kind` (also earlier in `paths`) are skipped.
        `on_file` is called after each file (for progress display).
        """
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        items = [Path(p) for p in paths]
        for p in items:
            if not p.is_file():
                raise InputError(str(p), "file not found")
        results: list[IngestResult] = []
        with ThreadPoolExecutor(max_workers=1) as pool, self.transaction():
            pending: Future[Parsed] | None = None
            for i, p in enumerate(items):
                sha = file_sha256([p])
                done = self.find_ingested(sha, kind)
                if done is not None:
                    if pending is not None:
                        pending.cancel()
                        pending = None
                    results.append(IngestResult(kind, str(p), sha, done.rows, done.file_id, True))
                    if on_file is not None:
                        on_file(results[-1])
                    continue
                parsed = pending.result() if pending is not None else PARSERS[kind](p)
                pending = pool.submit(PARSERS[kind], items[i + 1]) if i + 1 < len(items) else None
                file_id = self._record(
                    path=str(p.resolve()),
                    sha=sha,
                    kind=kind,
                    rows=parsed.rows,
                    ts_min=parsed.ts_min,
                    ts_max=parsed.ts_max,
                    source=source,
                    px_scale=parsed.px_scale,
                    qty_scale=parsed.qty_scale,
                )
                self._insert(kind, parsed, file_id)
                results.append(
                    IngestResult(
                        kind, str(p), sha, parsed.rows, file_id, False, parsed.ts_min, parsed.ts_max
                    )
                )
                if on_file is not None:
                    on_file(results[-1])
            if pending is not None:
                pending.cancel()
        return results

    def append(
        self,
        kind: str,
        columns: pa.Table | Mapping[str, Any],
        *,
        path: str,
        sha256: str | None = None,
        source: str | None = None,
    ) -> IngestResult:
        """Store rows held in memory as one batch of `kind` (quotes | market | fills).

        `columns` are the file layout's columns by name (an Arrow table, or a mapping
        of Arrow arrays / NumPy arrays / lists): text cells as strings (exact decimal
        text, `""` or None for blank), `ts` as integer epoch ns (or the text a file
        may hold). They go through the same mapping as `ingest` (same cell rules, same
        errors, named after `path`), rows numbered as the lines of a CSV file with a
        header (2, 3, ...). One provenance row (`path`, `sha256`) per call; a batch
        whose (sha256, kind) is already stored is skipped, so re-sending a batch after
        a crash is harmless. `sha256` defaults to the hash of the columns in Arrow IPC
        form; pass the hash of an evidence file holding the same rows to make the
        provenance name that file (then ingesting the file later is a no-op).
        """
        if kind not in FROM_RAW:
            raise ValueError(f"append takes quotes, market or fills, not {kind!r}")
        required, parse = FROM_RAW[kind]
        arrays = {name: _as_array(col) for name, col in _items(columns)}
        missing = [c for c in required if c not in arrays]
        if missing:
            raise InputError(path, f"missing column(s): {', '.join(missing)}")
        lengths = {len(a) for a in arrays.values()}
        if len(lengths) > 1:
            raise InputError(path, "columns differ in length")
        n = lengths.pop() if lengths else 0
        sha = sha256 or _ipc_sha256(arrays)
        with self.transaction():
            done = self.find_ingested(sha, kind)
            if done is not None:
                return IngestResult(kind, path, sha, done.rows, done.file_id, True)
            parsed = parse(RawTable(path, arrays, np.arange(2, n + 2, dtype=np.int64)))
            file_id = self._record(
                path=path,
                sha=sha,
                kind=kind,
                rows=parsed.rows,
                ts_min=parsed.ts_min,
                ts_max=parsed.ts_max,
                source=source,
                px_scale=parsed.px_scale,
                qty_scale=parsed.qty_scale,
            )
            self._insert(kind, parsed, file_id)
        return IngestResult(
            kind, path, sha, parsed.rows, file_id, False, parsed.ts_min, parsed.ts_max
        )

    def _insert(self, kind: str, parsed: Parsed, file_id: int) -> None:
        name = f"_ingest_{file_id}"
        self.con.register(name, _draining_reader(parsed.table))
        try:
            cols = _COLUMNS[kind]
            order = "" if parsed.in_order else f" ORDER BY {_ORDER[kind]}"
            self.con.execute(
                f"INSERT INTO {_TABLE[kind]} ({cols}, file_id) "
                f"SELECT {cols}, {file_id} FROM {name}{order}"
            )
        except duckdb.Error as e:
            raise InputError(parsed.kind, f"cannot store rows: {str(e).splitlines()[0]}") from e
        finally:
            self.con.unregister(name)

    def ingest_book(
        self,
        market: RecordedMarket,
        paths: Sequence[str | Path],
        *,
        fmt: str,
        source: str | None = None,
        levels: bool = True,
    ) -> IngestResult:
        """Store a public book's best bid/offer in `market` (and its levels in `book_levels`)."""
        kind = f"book:{fmt}"
        sha = file_sha256(paths)
        label = " + ".join(str(Path(p).resolve()) for p in paths)
        done = self.find_ingested(sha, kind)
        if done is not None:
            return IngestResult(kind, label, sha, done.rows, done.file_id, True)
        ref = market_reference(market)
        book = market.book
        n = len(book)
        ts_min = int(book.ts_ns.min()) if n else None
        ts_max = int(book.ts_ns.max()) if n else None
        table = pa.table(
            {
                "ts": ref.column("ts"),
                "symbol": ref.column("symbol"),
                **{c: ref.column(c).cast(STORE_TYPE) for c in ("bid_px", "ask_px")},
                **{c: ref.column(c).cast(STORE_TYPE) for c in ("bid_qty", "ask_qty")},
                "line": pa.array(np.arange(1, n + 1, dtype=np.int64)),
            }
        )
        with self.transaction():
            file_id = self._record(
                path=label,
                sha=sha,
                kind=kind,
                rows=n,
                ts_min=ts_min,
                ts_max=ts_max,
                source=source,
                px_scale=_decimals(book.tick),
                qty_scale=_decimals(book.lot),
            )
            self._insert("market", Parsed("market", table, ts_min, ts_max, None, None), file_id)
            if levels and n:
                depth = book.depth
                long = pa.table(
                    {
                        "ts": pa.array(np.repeat(book.ts_ns, depth), type=pa.int64()),
                        "symbol": pa.array([book.symbol] * (n * depth), type=pa.string()),
                        "level": pa.array(np.tile(np.arange(1, depth + 1, dtype=np.int16), n)),
                        "bid_px": decimal_column(
                            book.bid_px.reshape(-1), book.tick, null_zero=True
                        ),
                        "bid_qty": decimal_column(
                            book.bid_qty.reshape(-1), book.lot, null_zero=True
                        ),
                        "ask_px": decimal_column(
                            book.ask_px.reshape(-1), book.tick, null_zero=True
                        ),
                        "ask_qty": decimal_column(
                            book.ask_qty.reshape(-1), book.lot, null_zero=True
                        ),
                    }
                )
                self.con.register("_levels", _draining_reader(long))
                del long
                try:
                    self.con.execute(
                        "INSERT INTO book_levels SELECT ts, symbol, level, "
                        f"bid_px::{_DEC}, bid_qty::{_DEC}, ask_px::{_DEC}, ask_qty::{_DEC}, "
                        f"{file_id} FROM _levels WHERE bid_px IS NOT NULL OR ask_px IS NOT NULL"
                    )
                finally:
                    self.con.unregister("_levels")
        return IngestResult(kind, label, sha, n, file_id, False, ts_min, ts_max)

    # --- results -------------------------------------------------------------------

    def record_breaches(self, result: CheckResult, *, source: str | None = None) -> int:
        """Store the breach episodes of every evaluated day, replacing that day's earlier record.

        Returns the number of episodes stored. Days are keyed by (agreement id and
        version, symbol, trading day), so re-running a day's job is idempotent.
        """
        keys = {(d.symbol, d.day) for d in result.days}
        starts, ends, masks, forgiven, symbols, days = [], [], [], [], [], []
        for d in result.days:
            ep = d.breaches
            n = len(ep)
            if n:
                starts.append(ep.start_ns)
                ends.append(ep.end_ns)
                masks.append(ep.mask.astype(np.int64))
                forgiven.append(ep.forgiven)
                symbols.extend([d.symbol] * n)
                days.extend([d.day] * n)
        mask = np.concatenate(masks) if masks else np.zeros(0, dtype=np.int64)
        names = {int(m): [r.value for r in reasons_of(int(m))] for m in np.unique(mask)}
        table = pa.table(
            {
                "symbol": pa.array(symbols, type=pa.string()),
                "day": pa.array(days, type=pa.date32()),
                "ts_start": pa.array(np.concatenate(starts) if starts else [], type=pa.int64()),
                "ts_end": pa.array(np.concatenate(ends) if ends else [], type=pa.int64()),
                "reasons": pa.array([names[int(m)] for m in mask], type=pa.list_(pa.string())),
                "forgiven": pa.array(np.concatenate(forgiven) if forgiven else [], type=pa.bool_()),
            }
        )
        with self.transaction():
            if keys:
                done = pa.table(
                    {
                        "symbol": pa.array([k[0] for k in keys], type=pa.string()),
                        "day": pa.array([k[1] for k in keys], type=pa.date32()),
                    }
                )
                self.con.register("_days", done)
                try:
                    self.con.execute(
                        "DELETE FROM breaches b USING _days d WHERE b.agreement_id = ? "
                        "AND b.agreement_version = ? AND b.symbol = d.symbol AND b.day = d.day",
                        [result.agreement_id, result.agreement_version],
                    )
                finally:
                    self.con.unregister("_days")
            self.con.register("_breaches", _draining_reader(table))
            try:
                self.con.execute(
                    "INSERT INTO breaches (agreement_id, agreement_version, symbol, ts_start, "
                    "ts_end, reasons, forgiven, source, day) SELECT ?, ?, symbol, ts_start, "
                    "ts_end, reasons, forgiven, ?, day FROM _breaches ORDER BY symbol, ts_start",
                    [result.agreement_id, result.agreement_version, source],
                )
            finally:
                self.con.unregister("_breaches")
        return int(table.num_rows)

    # --- load (same shapes as mmsla.io.tables) ----------------------------------

    def _scale(self, kind_like: str, table: str, column: str, where: str, params: list[Any]) -> int:
        row = self.con.execute(
            f"SELECT max(f.{column}) FROM ingested_files f WHERE f.file_id IN "
            f"(SELECT DISTINCT file_id FROM {table} WHERE {where}) AND f.kind LIKE ?",
            [*params, kind_like],
        ).fetchall()
        return int(row[0][0]) if row[0][0] is not None else 0

    @staticmethod
    def _where(
        symbol: str | None, start_ns: int | None, end_ns: int | None
    ) -> tuple[str, list[Any]]:
        """Rows of `symbol` in [start, end), plus each symbol's last row before start."""
        conds: list[str] = ["TRUE"]
        params: list[Any] = []
        if symbol is not None:
            conds.append("symbol = ?")
            params.append(symbol)
        if end_ns is not None:
            conds.append("ts < ?")
            params.append(end_ns)
        if start_ns is not None:
            conds.append(
                "(ts >= ? OR ts = (SELECT max(ts) FROM {t} p WHERE p.symbol = {t}.symbol "
                "AND p.ts < ?))"
            )
            params.extend([start_ns, start_ns])
        return " AND ".join(conds), params

    def load_quotes(
        self, *, symbol: str | None = None, start_ns: int | None = None, end_ns: int | None = None
    ) -> dict[str, QuoteArrays]:
        """Quote rows per symbol in time order, as `QuoteArrays` (see `_where` for the range)."""
        where, params = self._where(symbol, start_ns, end_ns)
        where = where.format(t="quotes")
        px_s = self._scale("quotes", "quotes", "px_scale", where, params)
        qty_s = self._scale("quotes", "quotes", "qty_scale", where, params)
        tbl = self.con.sql(
            "SELECT symbol, ts, bid_px, bid_qty, ask_px, ask_qty, bid_levels, ask_levels, "
            f"coalesce(lower(event) = 'fill', false) AS is_fill FROM quotes WHERE {where} "
            "ORDER BY symbol, ts, file_id, line",
            params=params,
        ).to_arrow_table()
        out: dict[str, QuoteArrays] = {}
        deep = max(_max_len(tbl.column("bid_levels")), _max_len(tbl.column("ask_levels")))
        for sym, part in _by_symbol(tbl):
            n = part.num_rows
            sides: dict[str, np.ndarray[Any, Any]] = {}
            for side in ("bid", "ask"):
                px = np.zeros((n, deep + 1), dtype=np.int64)
                qty = np.zeros((n, deep + 1), dtype=np.int64)
                px[:, 0] = from_decimal(part.column(f"{side}_px"), px_s)[0]
                qty[:, 0] = from_decimal(part.column(f"{side}_qty"), qty_s)[0]
                _fill_levels(part.column(f"{side}_levels"), px, qty, px_s, qty_s)
                sides[f"{side}_px"], sides[f"{side}_qty"] = px, qty
            out[sym] = QuoteArrays(
                symbol=sym,
                ts_ns=np.asarray(part.column("ts"), dtype=np.int64),
                bid_px=sides["bid_px"],
                bid_qty=sides["bid_qty"],
                ask_px=sides["ask_px"],
                ask_qty=sides["ask_qty"],
                is_fill=np.asarray(part.column("is_fill"), dtype=bool),
                px_scale=px_s,
                qty_scale=qty_s,
            )
        return out

    def load_market(
        self, *, symbol: str | None = None, start_ns: int | None = None, end_ns: int | None = None
    ) -> dict[str, MarketArrays]:
        """Market best bid/offer per symbol in time order, as `MarketArrays`."""
        where, params = self._where(symbol, start_ns, end_ns)
        where = where.format(t="market")
        px_s = self._scale("%", "market", "px_scale", where, params)
        qty_s = self._scale("%", "market", "qty_scale", where, params)
        tbl = self.con.sql(
            "SELECT symbol, ts, bid_px, ask_px, bid_qty, ask_qty FROM market "
            f"WHERE {where} ORDER BY symbol, ts, file_id, line",
            params=params,
        ).to_arrow_table()
        out: dict[str, MarketArrays] = {}
        for sym, part in _by_symbol(tbl):
            bp, bok = from_decimal(part.column("bid_px"), px_s)
            ap, aok = from_decimal(part.column("ask_px"), px_s)
            out[sym] = MarketArrays(
                symbol=sym,
                ts_ns=np.asarray(part.column("ts"), dtype=np.int64),
                bid_px=bp,
                ask_px=ap,
                bid_qty=from_decimal(part.column("bid_qty"), qty_s)[0],
                ask_qty=from_decimal(part.column("ask_qty"), qty_s)[0],
                bid_ok=bok,
                ask_ok=aok,
                px_scale=px_s,
                qty_scale=qty_s,
            )
        return out

    def load_states(
        self, *, symbol: str | None = None, start_ns: int | None = None, end_ns: int | None = None
    ) -> list[StateInterval]:
        """State intervals overlapping [start, end) that apply to `symbol` (or to all)."""
        conds: list[str] = ["TRUE"]
        params: list[Any] = []
        if symbol is not None:
            conds.append("(symbol IS NULL OR symbol = ?)")
            params.append(symbol)
        if start_ns is not None:
            conds.append("ts_end > ?")
            params.append(start_ns)
        if end_ns is not None:
            conds.append("ts_start < ?")
            params.append(end_ns)
        rows = self.con.execute(
            "SELECT ts_start, ts_end, symbol, state, reason FROM market_states "
            f"WHERE {' AND '.join(conds)} ORDER BY ts_start, file_id, line",
            params,
        ).fetchall()
        return [StateInterval(int(a), int(b), s, st, r) for a, b, s, st, r in rows]

    def load_fills(
        self, *, symbol: str | None = None, start_ns: int | None = None, end_ns: int | None = None
    ) -> dict[str, FillArrays]:
        """Fills per symbol in time order, as `FillArrays` (ts in [start, end))."""
        conds: list[str] = ["TRUE"]
        params: list[Any] = []
        for cond, value in (("symbol = ?", symbol), ("ts >= ?", start_ns), ("ts < ?", end_ns)):
            if value is not None:
                conds.append(cond)
                params.append(value)
        where = " AND ".join(conds)
        px_s = self._scale("fills", "fills", "px_scale", where, params)
        qty_s = self._scale("fills", "fills", "qty_scale", where, params)
        tbl = self.con.sql(
            "SELECT symbol, ts, CASE side WHEN 'buy' THEN 1 ELSE -1 END::TINYINT AS side, "
            f"px, qty FROM fills WHERE {where} ORDER BY symbol, ts, file_id, line",
            params=params,
        ).to_arrow_table()
        out: dict[str, FillArrays] = {}
        for sym, part in _by_symbol(tbl):
            out[sym] = FillArrays(
                sym,
                np.asarray(part.column("ts"), dtype=np.int64),
                np.asarray(part.column("side"), dtype=np.int8),
                from_decimal(part.column("px"), px_s)[0],
                from_decimal(part.column("qty"), qty_s)[0],
                px_s,
                qty_s,
            )
        return out


_DEC = "DECIMAL(38,18)"


def _decimals(step: Decimal) -> int:
    exp = step.normalize().as_tuple().exponent
    assert isinstance(exp, int)
    return max(0, -exp)


def _items(columns: pa.Table | Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    if isinstance(columns, pa.Table):
        yield from zip(columns.column_names, columns.columns, strict=True)
    else:
        yield from columns.items()


def _as_array(col: Any) -> pa.Array:
    """One column as a single Arrow array (chunks combined; lists of text as strings)."""
    if isinstance(col, pa.ChunkedArray):
        return col.combine_chunks()
    if isinstance(col, pa.Array):
        return col
    return pa.array(col)


def _ipc_sha256(arrays: Mapping[str, pa.Array]) -> str:
    """sha256 of the columns as one Arrow IPC stream (same names, types and values -> same hash)."""
    table = pa.table(dict(arrays))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.sha256(sink.getvalue()).hexdigest()


def _draining_reader(table: pa.Table) -> pa.RecordBatchReader:
    """A one-pass reader that drops each batch once DuckDB has read it.

    DuckDB keeps scanned Python objects alive until the transaction ends; a plain
    table would pin every file's rows in memory for the whole (one-transaction)
    ingest. This reader holds nothing once consumed.
    """
    batches = table.to_batches()
    schema = table.schema

    def drain() -> Iterator[pa.RecordBatch]:
        while batches:
            yield batches.pop(0)

    return pa.RecordBatchReader.from_batches(schema, drain())


def _by_symbol(tbl: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """Split a table sorted by symbol into (symbol, rows) parts."""
    if tbl.num_rows == 0:
        return
    symbols = tbl.column("symbol").combine_chunks()
    starts = np.flatnonzero(
        np.concatenate([[True], np.asarray(pc.not_equal(symbols[1:], symbols[:-1]))])
    )
    ends = np.append(starts[1:], tbl.num_rows)
    for a, b in zip(starts, ends, strict=True):
        yield str(symbols[int(a)].as_py()), tbl.slice(int(a), int(b - a))


def _max_len(col: pa.ChunkedArray) -> int:
    lengths = pc.list_value_length(col)
    top = pc.max(lengths).as_py()
    return int(top or 0)


def _fill_levels(
    col: pa.ChunkedArray,
    px: np.ndarray[Any, Any],
    qty: np.ndarray[Any, Any],
    px_scale: int,
    qty_scale: int,
) -> None:
    """Write levels 2.. of a list<struct<px, qty>> column into columns 1.. of px/qty."""
    arr = col.combine_chunks() if col.num_chunks else pa.array([], type=col.type)
    lengths = np.asarray(pc.fill_null(pc.list_value_length(arr), 0), dtype=np.int64)
    if not lengths.any():
        return
    flat = pc.list_flatten(arr)
    rows = np.repeat(np.arange(len(lengths)), lengths)
    starts = np.cumsum(lengths) - lengths
    idx = np.arange(int(lengths.sum())) - np.repeat(starts, lengths)
    px[rows, idx + 1] = from_decimal(flat.field("px"), px_scale)[0]
    qty[rows, idx + 1] = from_decimal(flat.field("qty"), qty_scale)[0]
