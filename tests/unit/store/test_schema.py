"""Schema versioning: fresh files, migrating an old file that holds data, refusing newer ones."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from mmsla.errors import InputError
from mmsla.store import SCHEMA_VERSION, EventStore
from mmsla.store.schema import MIGRATIONS, current_version, migrate


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return {r[0] for r in rows}


def test_fresh_file_gets_latest_schema(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    with EventStore.open(db) as store:
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
        assert {
            "quotes",
            "market",
            "market_states",
            "fills",
            "breaches",
            "alerts",
            "ingested_files",
            "book_levels",
            "schema_version",
        } <= _tables(store.con)
    assert db.exists()
    # reopening applies nothing and keeps one row per version
    with EventStore.open(db) as store:
        rows = store.con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
        assert [r[0] for r in rows] == list(range(1, SCHEMA_VERSION + 1))


def test_old_version_file_is_migrated_keeping_rows(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    assert migrate(con, target=1) == (0, 1)
    con.execute(
        "INSERT INTO ingested_files VALUES (1, 'q.csv', 'abc', 'quotes', 1, 5, 5, now(), NULL)"
    )
    con.execute(
        "INSERT INTO quotes (ts, symbol, bid_px, bid_qty, ask_px, ask_qty, file_id, line) "
        "VALUES (5, 'ABC', 99.5, 100, 100.5, 100, 1, 2)"
    )
    assert "book_levels" not in _tables(con)
    con.close()

    with EventStore.open(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert "book_levels" in _tables(store.con)
        row = store.con.execute("SELECT symbol, bid_px, ask_qty FROM quotes").fetchall()
        assert [(r[0], str(r[1]), str(r[2])) for r in row] == [
            ("ABC", "99.500000000000000000", "100.000000000000000000")
        ]
        # a column added by migration 2 exists and is NULL for the old file
        assert store.con.execute("SELECT px_scale FROM ingested_files").fetchall() == [(None,)]
        # the old file's provenance still makes a re-ingest of the same bytes a no-op
        assert store.find_ingested("abc", "quotes") is not None


def test_newer_file_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "future.duckdb"
    EventStore.open(db).close()
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_version (version) VALUES (?)", [SCHEMA_VERSION + 1])
    con.close()
    with pytest.raises(InputError, match="newer than this mmsla"):
        EventStore.open(db)
    with pytest.raises(InputError, match="newer than this mmsla"):
        EventStore.open(db, read_only=True)


def test_failed_migration_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = duckdb.connect(str(tmp_path / "x.duckdb"))
    migrate(con, target=1)
    broken = (*MIGRATIONS[:1], ("CREATE TABLE half_done (x INT)", "THIS IS NOT SQL"))
    monkeypatch.setattr("mmsla.store.schema.MIGRATIONS", broken)
    with pytest.raises(duckdb.Error):
        migrate(con, target=2)
    assert current_version(con) == 1
    assert "half_done" not in _tables(con)


def test_env_var_and_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MMSLA_DB", raising=False)
    with EventStore.open() as store:
        assert store.path == Path("mmsla.duckdb")
    assert (tmp_path / "mmsla.duckdb").exists()
    monkeypatch.setenv("MMSLA_DB", str(tmp_path / "env.duckdb"))
    EventStore.open().close()
    assert (tmp_path / "env.duckdb").exists()


def test_memory_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with EventStore.open(tmp_path / "m.duckdb", memory_limit="300MB") as store:
        limit = store.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        assert limit.replace(" ", "") in {"286.1MiB", "300.0MB", "286.1MB"}
    monkeypatch.setenv("MMSLA_DB_MEMORY", "lots")
    with pytest.raises(InputError, match="must look like 2GB"):
        EventStore.open(tmp_path / "m.duckdb")
