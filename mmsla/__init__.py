"""mmsla: market-making obligations toolkit (compliance side).

The `mmsla` package holds the agreement model, the obligation engine, the
event store, the monitor, the jobs and the reports. It never imports `quoter`
except from the CLI composition root (`mmsla.cli`).
"""

__version__ = "0.1.0"
