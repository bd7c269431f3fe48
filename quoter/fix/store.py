"""Message stores: next sequence numbers and the application messages we sent.

`MemoryStore` keeps everything in memory. `FileStore` adds an append-only log
file per session, replayed on open, so a restarted process continues its
sequence numbers and can answer ResendRequests for messages sent before the
restart. Records are ASCII headers (`S n`, `T n`, `R created_ns`, `M seq len`
followed by the frame bytes); a torn last record (crash mid-write) is ignored
and cut off. `fsync` policy: "always" (every record), "batch" or "never". With
"batch" and "never", `flush()` (which transports call once per I/O batch,
before writing to the socket) hands the records to the OS, so a killed process
loses nothing it has sent; "batch" also fsyncs, at most every
`fsync_interval_s` (default 50 ms) and on a background thread, so a power
loss can lose about that window; "never" leaves syncing to the OS.

With "batch" and "never", records are collected in memory and handed to the
file in one write per `flush()` (or `sync`/`close`). Before a flush they would
only have been in this process's file buffer anyway, so a crash loses the same
records; but the hot path is a list append, and the OS sees one write per
batch (a write may wait while the background fsync of the same file runs).
The target sequence advances once per received message; its `T n` record is
written once per flush, with the latest value.

Only application messages are stored; a ResendRequest for admin messages is
answered with a SequenceReset-GapFill, as the FIX spec asks.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from mmsla.errors import ConfigError

_SYNC_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fix-store-fsync")

FsyncPolicy = Literal["always", "batch", "never"]


class MemoryStore:
    """Sequence numbers and sent application messages, in memory."""

    def __init__(self, created_ns: int | None = None) -> None:
        self.next_sender_seq = 1
        self.next_target_seq = 1
        self.created_ns = time.time_ns() if created_ns is None else created_ns
        self._sent: dict[int, bytes] = {}

    def set_next_sender_seq(self, seq: int) -> None:
        self.next_sender_seq = seq

    def set_next_target_seq(self, seq: int) -> None:
        self.next_target_seq = seq

    def save_sent(self, seq: int, frame: bytes) -> None:
        """Remember application message `seq` and advance the sender sequence past it."""
        self._sent[seq] = frame
        self.next_sender_seq = seq + 1

    def get_sent(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        """Stored messages with begin <= seq <= end, in sequence order."""
        sent = self._sent
        if end - begin < len(sent):
            return [(s, sent[s]) for s in range(begin, end + 1) if s in sent]
        return sorted((s, f) for s, f in sent.items() if begin <= s <= end)

    def reset(self, now_ns: int | None = None) -> None:
        """Start a new FIX session day: both sequences back to 1, history dropped."""
        self.next_sender_seq = 1
        self.next_target_seq = 1
        self.created_ns = time.time_ns() if now_ns is None else now_ns
        self._sent.clear()

    def flush(self) -> None:
        """Make pending records durable according to the policy (no-op here)."""

    def close(self) -> None:
        """Release resources."""


class FileStore(MemoryStore):
    """A `MemoryStore` persisted to one append-only file (see module docstring)."""

    def __init__(
        self, path: str | Path, fsync: FsyncPolicy = "batch", fsync_interval_s: float = 0.05
    ) -> None:
        super().__init__()
        self.fsync_interval_s = fsync_interval_s
        self._last_fsync = 0.0
        self._unsynced = False
        self._pending_sync: Future[None] | None = None
        if fsync not in ("always", "batch", "never"):
            raise ConfigError(f"fsync policy must be always, batch or never, not {fsync!r}")
        self.path = Path(path)
        self.fsync = fsync
        self._dirty = False
        self._target_pending = False  # next_target_seq changed since its last record
        self._records: list[bytes] = []  # not yet written ("batch" and "never")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            good = self._replay()
            self._file = open(self.path, "r+b" if self.path.exists() else "w+b")  # noqa: SIM115
            self._file.truncate(good)
            self._file.seek(good)
        except OSError as e:
            raise ConfigError(f"{self.path}: cannot open FIX message store: {e}") from e
        if good == 0:
            self._append(b"R %d\n" % self.created_ns)
            self.flush()

    def _replay(self) -> int:
        """Load the file; return the offset just after the last complete record."""
        if not self.path.exists():
            return 0
        data = self.path.read_bytes()
        pos = 0
        n = len(data)
        while pos < n:
            nl = data.find(b"\n", pos)
            if nl < 0:
                break
            parts = data[pos:nl].split(b" ")
            try:
                kind = parts[0]
                if kind == b"S":
                    self.next_sender_seq = int(parts[1])
                elif kind == b"T":
                    self.next_target_seq = int(parts[1])
                elif kind == b"R":
                    MemoryStore.reset(self, int(parts[1]))
                elif kind == b"M":
                    seq, length = int(parts[1]), int(parts[2])
                    end = nl + 1 + length
                    if end + 1 > n or data[end : end + 1] != b"\n":
                        break
                    MemoryStore.save_sent(self, seq, data[nl + 1 : end])
                    pos = end + 1
                    continue
                else:
                    break
            except (IndexError, ValueError):
                break
            pos = nl + 1
        return pos

    def _append(self, record: bytes) -> None:
        if self.fsync == "always":
            self._file.write(record)
            self._file.flush()
            os.fsync(self._file.fileno())
        else:
            self._records.append(record)
            self._dirty = True

    def set_next_sender_seq(self, seq: int) -> None:
        super().set_next_sender_seq(seq)
        self._append(b"S %d\n" % seq)

    def set_next_target_seq(self, seq: int) -> None:
        self.next_target_seq = seq
        if self.fsync == "always":
            self._append(b"T %d\n" % seq)
        else:
            self._target_pending = True  # written by the next flush
            self._dirty = True

    def save_sent(self, seq: int, frame: bytes) -> None:
        super().save_sent(seq, frame)
        self._append(b"M %d %d\n%s\nS %d\n" % (seq, len(frame), frame, seq + 1))

    def reset(self, now_ns: int | None = None) -> None:
        super().reset(now_ns)
        self._target_pending = False  # the R record implies T 1
        self._records.clear()  # they belong to the day being dropped
        self._file.seek(0)
        self._file.truncate(0)
        self._append(b"R %d\n" % self.created_ns)
        self.flush()

    def _write_pending(self) -> None:
        records = self._records
        if self._target_pending:
            self._target_pending = False
            records.append(b"T %d\n" % self.next_target_seq)
        if records:
            self._file.write(b"".join(records))
            records.clear()

    def flush(self) -> None:
        if self._dirty:
            self._write_pending()
            self._file.flush()
            self._dirty = False
            self._unsynced = True
        if self._unsynced and self.fsync == "batch":
            now = time.monotonic()
            pending = self._pending_sync
            if now - self._last_fsync >= self.fsync_interval_s and (
                pending is None or pending.done()
            ):
                # fsync off the caller's thread (it releases the GIL): the records
                # are already with the OS, this only narrows the power-loss window
                self._pending_sync = _SYNC_POOL.submit(os.fsync, self._file.fileno())
                self._last_fsync = now
                self._unsynced = False

    def sync(self) -> None:
        """Flush and fsync now, whatever the policy."""
        if self._pending_sync is not None:
            self._pending_sync.result()
        self._write_pending()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._dirty = self._unsynced = False

    def close(self) -> None:
        if not self._file.closed:
            if self.fsync == "never":
                self._write_pending()
                self._file.flush()
            else:
                self.sync()
            self._file.close()
