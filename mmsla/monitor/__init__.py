"""The live obligation monitor: streaming checks, alerts, control of the quoter.

- `engine.MonitorEngine`: pure streaming engine over the obligation engine's
  `StreamingEvaluator` (breaches, budget, stale/unknown time, actions, day results);
- `runner.MonitorRunner`: the process loop (ZMQ intake, gap replay, restart
  catch-up, feed_stale by wall clock, control sender, persistence, status file);
- `persist.Persister`: batched writes (quote-log chunks -> DuckDB store, alerts,
  breaches) from one writer, then the resume point;
- `alerts` (Alert, stable ids, AlertGate dedupe/rate limit) and `sinks` (stderr,
  jsonl, webhook, zmq); `config` (monitor settings and actions policy YAML);
- `status` renders the running monitor's status file; `quotelog` writes the
  normative CSV files; `testfeed` is a stand-in quoter feed for tests/benchmarks.
"""
