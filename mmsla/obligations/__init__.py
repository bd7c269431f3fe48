"""The obligation engine: per-instant validity, interval bookkeeping, presence and other measures.

One engine, two drivers:

- `validity.validity_mask` is the only per-instant rule evaluator (vectorised, exact integer maths);
- `day.evaluate_day` is the only interval bookkeeping (episodes, grace, presence, uptime,
  at-inside, downtime, stats) over a day's timeline segments;
- `batch.check` (files -> `CheckResult`) and `streaming.StreamingEvaluator` (incremental
  micro-batches, for the live monitor) both build timelines with `timeline.build_segments`
  and call the two functions above.

Choices where DESIGN.md section 6 leaves room (tested, documented here):

- a row with neither side is NO_QUOTE, like no row at all; a side is present when its qty > 0;
- a term referring to the market mid fails (with its own reason) while no two-sided market
  reference is known; at-inside counts our side as inside while that market side is absent;
- with `instruments` listed only those symbols are evaluated (an unquoted one is all
  NO_QUOTE); without, every symbol in the quote log; an override replaces the whole term;
- `side_uptime.combine: each` reports the smaller side as `value` (both must pass);
- a quote row at the same instant as one of our fills (fills file) counts as `event = fill`;
- grace-forgiven time counts as valid for presence, samples and downtime; the breach
  episodes stay listed with `forgiven: true`;
- `downtime.longest_s` is the day's longest invalid stretch (the hourly test clips it);
  without `min_live_hours` the day passes when every hour with eligible time is live;
- the overall verdict passes when every day's obligations and every month pass.
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
