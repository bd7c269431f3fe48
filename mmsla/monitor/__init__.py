"""The live obligation monitor: streaming checks, alerts, control of the quoter.

`alerts` defines alerts and the dedupe/rate-limit gate; `sinks` delivers them
(stderr, JSON Lines, webhook, ZeroMQ). The streaming obligation state itself
is the obligation engine's streaming driver (`mmsla.obligations`), not here.
"""
