"""Journal: durable, replayable by seq, survives restarts and torn writes."""

from __future__ import annotations

from pathlib import Path

from mmsla.events.journal import Journal


def test_read_range_from_tail_and_from_disk(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl", tail=10)
    for i in range(1, 51):
        assert j.append(f'{{"n":{i}}}'.encode()) == i
    assert j.read_range(45, 47) == [b'{"n":45}', b'{"n":46}', b'{"n":47}']  # tail
    assert j.read_range(3, 5) == [b'{"n":3}', b'{"n":4}', b'{"n":5}']  # disk
    assert j.read_range(49, 99) == [b'{"n":49}', b'{"n":50}']  # clipped
    assert j.read_range(60, 70) == []
    j.close()


def test_restart_continues_sequence_and_drops_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    j = Journal(path)
    for i in range(1, 4):
        j.append(f'{{"n":{i}}}'.encode())
    j.close()
    with path.open("ab") as f:
        f.write(b'{"n":4')  # a crash mid-write
    j2 = Journal(path, tail=1)
    assert j2.last_seq == 3
    assert j2.append(b'{"n":4}') == 4
    assert j2.read_range(1, 4) == [b'{"n":1}', b'{"n":2}', b'{"n":3}', b'{"n":4}']
    j2.close()
    assert path.read_bytes().count(b"\n") == 4


def test_close_is_idempotent(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl", fsync=True)
    j.append(b'{"n":1}')
    j.close()
    j.close()  # a second owner closing it must not fail
    assert (tmp_path / "j.jsonl").read_bytes() == b'{"n":1}\n'
