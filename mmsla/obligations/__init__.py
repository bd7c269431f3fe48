"""The obligation engine: per-instant validity, interval bookkeeping, presence and other measures.

One engine, two drivers:

- `validity.validity_mask` is the only per-instant rule evaluator (vectorised, exact integer maths);
- `day.evaluate_day` is the only interval bookkeeping (episodes, grace, presence, uptime,
  at-inside, downtime, stats) over a day's timeline segments;
- `batch.check` (files -> `CheckResult`) and `streaming.StreamingEvaluator` (incremental
  micro-batches, for the live monitor) both build timelines with `timeline.build_segments`
  and call the two functions above.
"""

from mmsla.obligations.batch import check
from mmsla.obligations.result import Breach, CheckResult, DayResult, MonthResult
from mmsla.obligations.streaming import Status, StreamingEvaluator
from mmsla.obligations.validity import Book, MarketAt, validity_mask

__all__ = [
    "Book",
    "Breach",
    "CheckResult",
    "DayResult",
    "MarketAt",
    "MonthResult",
    "Status",
    "StreamingEvaluator",
    "check",
    "validity_mask",
]
