"""DuckDB event store: schema with migrations, idempotent ingest, loaders for the engine.

    store = EventStore.open("mmsla.duckdb")        # or None: $MMSLA_DB, else ./mmsla.duckdb
    with store.transaction():
        store.ingest("quotes", "quotes.parquet", source="prod")
        store.append("quotes", columns, path="batch-42", source="monitor")  # rows in memory
    quotes = store.load_quotes(symbol="ABC", start_ns=..., end_ns=...)

See `mmsla.store.schema` for the tables and their conventions.
"""

from mmsla.store.event_store import (
    DEFAULT_DB,
    ENV_DB,
    EventStore,
    IngestedFile,
    IngestResult,
    resolve_db_path,
)
from mmsla.store.schema import LATEST as SCHEMA_VERSION

__all__ = [
    "DEFAULT_DB",
    "ENV_DB",
    "SCHEMA_VERSION",
    "EventStore",
    "IngestResult",
    "IngestedFile",
    "resolve_db_path",
]
