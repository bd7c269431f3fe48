"""The publisher's journal: every event it published, on disk, replayable by `seq`.

One JSON Lines file per publisher run: line k is the payload of event `seq = k`
exactly as sent (so a replay is byte-identical to the live stream). The most
recent events are also kept in memory so a replay of a fresh gap costs no disk
read. `flush()` makes everything written so far durable to the OS, and
`fsync=True` also to disk; the publisher decides how often (batched).

Not a store for queries: the monitor's DuckDB store is. Not thread-safe for
writers; `read_range` may be called from another thread.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from pathlib import Path


class Journal:
    """Append-only event journal with an in-memory tail for fast replays."""

    def __init__(self, path: str | Path, *, tail: int = 200_000, fsync: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fsync = fsync
        self._lock = threading.Lock()
        self._tail: deque[bytes] = deque(maxlen=tail)
        self._offsets: list[int] = []  # byte offset of seq k at index k-1
        self._size = 0
        if self.path.exists():
            self._load_offsets()
        self._file = self.path.open("ab")

    def _load_offsets(self) -> None:
        with self.path.open("rb") as f:
            offset = 0
            for line in f:
                if not line.endswith(b"\n"):
                    break  # a torn last line from a crash: ignored, overwritten below
                self._offsets.append(offset)
                self._tail.append(line[:-1])
                offset += len(line)
        self._size = offset
        os.truncate(self.path, offset)

    @property
    def last_seq(self) -> int:
        """The `seq` of the last event written (0 when empty)."""
        return len(self._offsets)

    def append(self, payload: bytes) -> int:
        """Write the next event's payload; returns its `seq`."""
        with self._lock:
            self._offsets.append(self._size)
            self._file.write(payload + b"\n")
            self._size += len(payload) + 1
            self._tail.append(payload)
            return len(self._offsets)

    def flush(self) -> None:
        with self._lock:
            self._file.flush()
            if self._fsync:
                os.fsync(self._file.fileno())

    def read_range(self, first: int, last: int) -> list[bytes]:
        """Payloads of `seq` first..last inclusive (clipped to what exists)."""
        with self._lock:
            n = len(self._offsets)
            first, last = max(first, 1), min(last, n)
            if first > last:
                return []
            tail_first = n - len(self._tail) + 1
            if first >= tail_first:
                return [self._tail[s - tail_first] for s in range(first, last + 1)]
            self._file.flush()
            start = self._offsets[first - 1]
            end = self._offsets[last] if last < n else self._size
        with self.path.open("rb") as f:
            f.seek(start)
            return f.read(end - start).split(b"\n")[:-1]

    def close(self) -> None:
        """Flush (and fsync when asked) and close; closing again does nothing."""
        with self._lock:
            if self._file.closed:
                return
            self._file.flush()
            if self._fsync:
                os.fsync(self._file.fileno())
            self._file.close()
