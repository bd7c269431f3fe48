"""DuckDB schema of the event store, as an ordered list of migrations.

Each migration moves the file from version N-1 to N; `migrate` applies the
missing ones in one transaction and records the version in `schema_version`.
A file newer than this code is refused (never downgraded).

Conventions (see also `mmsla.store` docs):
- time: BIGINT UTC nanoseconds (`ts`, `ts_start`, `ts_end`); states are `[ts_start, ts_end)`;
- prices, sizes, fees: DECIMAL(38,18), which holds every value the file readers
  in `mmsla.io.columns` accept (int64 at up to 18 decimals) without rounding;
- quotes: the best level as plain columns (what the presence checks scan) and
  deeper levels as lists `bid_levels` / `ask_levels` of STRUCT(px, qty), level 2
  first, present levels only; an absent side or level is NULL;
- every data row carries `file_id` (-> `ingested_files`) and `line` (its line in
  that file: CSV header = 1, JSONL line, Parquet row number), so each row can be
  traced back and the original order of equal timestamps is kept;
- rows are inserted sorted by (symbol, ts, line) per file, so DuckDB's per-row-group
  min/max (zonemaps) prune per-symbol-day scans; no ART index (it would cost memory
  at 100M+ rows for little gain over zonemaps).

Does not: hold business logic or queries beyond DDL.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

DEC = "DECIMAL(38,18)"
LEVEL = f"STRUCT(px {DEC}, qty {DEC})"

MIGRATIONS: Sequence[Sequence[str]] = (
    # 1: our own logs and their provenance
    (
        """CREATE TABLE ingested_files (
            file_id INTEGER PRIMARY KEY,
            path VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            rows BIGINT NOT NULL,
            ts_min BIGINT,
            ts_max BIGINT,
            ingested_at TIMESTAMPTZ NOT NULL,
            source VARCHAR,
            UNIQUE (sha256, kind))""",
        "CREATE SEQUENCE file_id_seq START 1",
        f"""CREATE TABLE quotes (
            ts BIGINT NOT NULL, symbol VARCHAR NOT NULL,
            bid_px {DEC}, bid_qty {DEC}, ask_px {DEC}, ask_qty {DEC},
            bid_levels {LEVEL}[], ask_levels {LEVEL}[],
            event VARCHAR, file_id INTEGER NOT NULL, line BIGINT NOT NULL)""",
        f"""CREATE TABLE market (
            ts BIGINT NOT NULL, symbol VARCHAR NOT NULL,
            bid_px {DEC}, ask_px {DEC}, bid_qty {DEC}, ask_qty {DEC},
            file_id INTEGER NOT NULL, line BIGINT NOT NULL)""",
        """CREATE TABLE market_states (
            ts_start BIGINT NOT NULL, ts_end BIGINT NOT NULL, symbol VARCHAR,
            state VARCHAR NOT NULL, reason VARCHAR,
            file_id INTEGER NOT NULL, line BIGINT NOT NULL)""",
        f"""CREATE TABLE fills (
            ts BIGINT NOT NULL, symbol VARCHAR NOT NULL, side VARCHAR NOT NULL,
            px {DEC} NOT NULL, qty {DEC} NOT NULL, fee {DEC},
            liquidity VARCHAR, order_id VARCHAR, trade_id VARCHAR,
            file_id INTEGER NOT NULL, line BIGINT NOT NULL)""",
    ),
    # 2: per-file decimal scales (exact reload at the scale the file used), public
    # book depth, and the outputs of the monitor and the daily jobs
    (
        "ALTER TABLE ingested_files ADD COLUMN px_scale SMALLINT",
        "ALTER TABLE ingested_files ADD COLUMN qty_scale SMALLINT",
        f"""CREATE TABLE book_levels (
            ts BIGINT NOT NULL, symbol VARCHAR NOT NULL, level SMALLINT NOT NULL,
            bid_px {DEC}, bid_qty {DEC}, ask_px {DEC}, ask_qty {DEC},
            file_id INTEGER NOT NULL)""",
        """CREATE TABLE breaches (
            agreement_id VARCHAR NOT NULL, agreement_version VARCHAR NOT NULL,
            symbol VARCHAR NOT NULL, ts_start BIGINT NOT NULL, ts_end BIGINT NOT NULL,
            reasons VARCHAR[] NOT NULL, forgiven BOOLEAN NOT NULL DEFAULT false,
            source VARCHAR, recorded_at TIMESTAMPTZ NOT NULL DEFAULT now())""",
        """CREATE TABLE alerts (
            alert_id VARCHAR, ts BIGINT NOT NULL, type VARCHAR NOT NULL, symbol VARCHAR,
            payload JSON, source VARCHAR)""",
    ),
    # 3: breaches keyed by trading day, so re-recording a day replaces it
    (
        "ALTER TABLE breaches ADD COLUMN day DATE",
        "CREATE INDEX breaches_key ON breaches (agreement_id, symbol, day)",
    ),
    # 4: results of the daily and monthly jobs (mmsla.jobs), one row per key; a re-run
    # replaces its rows (delete + insert in one transaction). `figures` is the canonical
    # JSON the reports render and hash.
    (
        """CREATE TABLE job_obligation_days (
            agreement_id VARCHAR NOT NULL, agreement_version VARCHAR NOT NULL,
            day DATE NOT NULL, symbol VARCHAR NOT NULL, passed BOOLEAN NOT NULL,
            eligible_s DOUBLE NOT NULL, valid_s DOUBLE NOT NULL, presence_pct DOUBLE,
            breaches INTEGER NOT NULL, figures JSON NOT NULL,
            computed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (agreement_id, agreement_version, day, symbol))""",
        f"""CREATE TABLE job_pnl_days (
            agreement_id VARCHAR NOT NULL, agreement_version VARCHAR NOT NULL,
            day DATE NOT NULL, symbol VARCHAR NOT NULL, fills INTEGER NOT NULL,
            realised {DEC} NOT NULL, unrealised {DEC} NOT NULL, net_fees {DEC} NOT NULL,
            total {DEC} NOT NULL, figures JSON NOT NULL,
            computed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (agreement_id, agreement_version, day, symbol))""",
        """CREATE TABLE job_months (
            agreement_id VARCHAR NOT NULL, agreement_version VARCHAR NOT NULL,
            month VARCHAR NOT NULL, symbol VARCHAR NOT NULL, mode VARCHAR NOT NULL,
            value_pct DOUBLE, passed BOOLEAN NOT NULL, days INTEGER NOT NULL,
            figures JSON NOT NULL, computed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (agreement_id, agreement_version, month, symbol))""",
    ),
)

LATEST = len(MIGRATIONS)


class SchemaTooNew(Exception):
    """The database was written by a newer mmsla; carries (found, supported)."""

    def __init__(self, found: int, supported: int) -> None:
        self.found = found
        self.supported = supported
        super().__init__(f"schema version {found} is newer than this mmsla supports ({supported})")


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version recorded in the file; 0 for a fresh (empty) database."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_name = 'schema_version' AND table_schema = 'main'"
    ).fetchall()
    if not exists[0][0]:
        return 0
    rows = con.execute("SELECT max(version) FROM schema_version").fetchall()
    return int(rows[0][0]) if rows[0][0] is not None else 0


def migrate(con: duckdb.DuckDBPyConnection, target: int = LATEST) -> tuple[int, int]:
    """Apply migrations up to `target` in one transaction; returns (from, to) versions."""
    found = current_version(con)
    if found > LATEST:
        raise SchemaTooNew(found, LATEST)
    if found >= target:
        return found, found
    con.execute("BEGIN TRANSACTION")
    try:
        if found == 0:
            con.execute(
                "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
        for version in range(found + 1, target + 1):
            for statement in MIGRATIONS[version - 1]:
                con.execute(statement)
            con.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return found, target
