"""Events between processes (DESIGN.md section 8): the quoter -> monitor contract.

`codec` turns event dicts into ZeroMQ `[topic, payload]` frames and back (with
checks); `sequence` numbers events per publisher and finds gaps; `journal`
keeps every published event on disk and serves replays of a `seq` range;
`bus` wraps the ZeroMQ sockets. Nothing here knows about obligations or FIX.
"""

from mmsla.events.codec import (
    ALERT_TYPES,
    CONTROL_TYPES,
    EVENT_TYPES,
    EventDecodeError,
    decode,
    encode,
    quote_from_event,
    quote_to_event,
)
from mmsla.events.sequence import GapTracker, Sequencer

__all__ = [
    "ALERT_TYPES",
    "CONTROL_TYPES",
    "EVENT_TYPES",
    "EventDecodeError",
    "GapTracker",
    "Sequencer",
    "decode",
    "encode",
    "quote_from_event",
    "quote_to_event",
]
