"""Value types shared by every part of the product (and importable by `quoter`).

Pure data: no I/O, no engines. Prices and sizes are `Decimal` at this level;
hot paths convert to integer ticks/lots themselves.
"""

from mmsla.domain.book import BookFrames, RecordedMarket, SequenceGap, Trades
from mmsla.domain.quote import Fill, Level, Quote
from mmsla.domain.reasons import Reason
from mmsla.domain.side import Side

__all__ = [
    "BookFrames",
    "Fill",
    "Level",
    "Quote",
    "Reason",
    "RecordedMarket",
    "SequenceGap",
    "Side",
    "Trades",
]
