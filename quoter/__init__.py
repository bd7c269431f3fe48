"""quoter: the embedded quoting engine and the local venue.

May import `mmsla.domain` (value types), `mmsla.io` (pure file/feed readers) and
the event codec; never the compliance side's engines.
"""
