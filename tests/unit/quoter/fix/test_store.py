"""FileStore: sequence numbers and sent messages survive reopening."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmsla.errors import ConfigError
from quoter.fix.store import FileStore, MemoryStore


@pytest.mark.parametrize("policy", ["always", "batch", "never"])
def test_file_store_replays(tmp_path: Path, policy: str) -> None:
    path = tmp_path / "s.log"
    st = FileStore(path, fsync=policy)  # type: ignore[arg-type]
    st.save_sent(1, b"one")
    st.set_next_sender_seq(2)
    st.save_sent(2, b"two\x01\nbinary")
    st.set_next_target_seq(7)
    st.close()
    again = FileStore(path)
    assert (again.next_sender_seq, again.next_target_seq) == (3, 7)
    assert again.get_sent(1, 5) == [(1, b"one"), (2, b"two\x01\nbinary")]
    again.reset()
    again.close()
    third = FileStore(path)
    assert (third.next_sender_seq, third.next_target_seq, third.get_sent(1, 9)) == (1, 1, [])


def test_torn_last_record_is_ignored_and_cut(tmp_path: Path) -> None:
    path = tmp_path / "s.log"
    st = FileStore(path)
    st.save_sent(1, b"complete")
    st.close()
    with open(path, "ab") as f:
        f.write(b"M 2 100\npartial")
    again = FileStore(path)
    assert again.get_sent(1, 2) == [(1, b"complete")]
    assert again.next_sender_seq == 2
    again.save_sent(2, b"ok")
    again.close()
    assert FileStore(path).get_sent(1, 2) == [(1, b"complete"), (2, b"ok")]


def test_bad_policy_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        FileStore(tmp_path / "x", fsync="sometimes")  # type: ignore[arg-type]


def test_memory_store_range() -> None:
    st = MemoryStore()
    for s in (2, 5, 9):
        st.save_sent(s, b"%d" % s)
    assert st.get_sent(3, 9) == [(5, b"5"), (9, b"9")]
    assert st.next_sender_seq == 10


@pytest.mark.parametrize("policy", ["batch", "never"])
def test_target_sequence_is_written_once_per_flush(tmp_path: Path, policy: str) -> None:
    path = tmp_path / "s.log"
    st = FileStore(path, fsync=policy)  # type: ignore[arg-type]
    for seq in range(2, 50):
        st.set_next_target_seq(seq)
    st.save_sent(1, b"one")
    st.flush()  # what a transport does before writing to the socket
    assert path.read_bytes().count(b"\nT ") == 1
    killed = FileStore(path)  # a process killed after the flush, never closed
    assert (killed.next_target_seq, killed.next_sender_seq) == (49, 2)
    killed.close()
    st.set_next_target_seq(60)
    st.reset()  # a pending target record must not survive a reset
    st.flush()
    assert FileStore(path).next_target_seq == 1
    st.set_next_target_seq(3)
    st.close()
    assert FileStore(path).next_target_seq == 3
