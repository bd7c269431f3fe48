"""History queries over the event store, and book mode.

- `store_check.iter_days` / `store_check.check_store`: the obligation engine on store data,
  one (symbol, run of trading days) chunk at a time so memory stays bounded; the same
  `CheckResult` as `mmsla check` on the files that were ingested.
- `buckets`: uptime rows per hour, day or month from the engine's day results.
- `breach_list`: breach episodes as flat rows, filtered by reason and duration.
- `book_mode`: a public order book (LOBSTER, Binance, Tardis) as the quoting subject.

Does not: ingest (see `mmsla.store`), or decide obligation semantics (see `mmsla.obligations`).
"""
