"""The local venue's pure, deterministic core: matching, synthetic flow, replay, states.

Nothing here does I/O on sockets or reads the wall clock: time comes in as
int nanoseconds. The FIX acceptor and the backtester drive these objects.

- `rules`      symbol specs and venue-wide rules (fees, protections, modes)
- `events`     the typed events every command returns
- `book`       one symbol's price-time order book (integer ticks and lots)
- `protections` throttle, market-maker protection, price band, max quantity
- `matching`   the engine: commands in, events out
- `synthetic`  a seeded market with Avellaneda-Stoikov taker flow
- `replay`     drives the engine from a recorded market with a queue-position model
- `states`     trading phase / stressed intervals and their CSV writer
- `config`     the venue YAML file, validated with JSON Schema
"""
