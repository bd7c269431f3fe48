"""Atomic report writes: a failure leaves the previous file (or nothing) and no temp file."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from mmsla.errors import InputError
from mmsla.report.render import _atomic_write, write_report


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    out.write_text("old")

    def half(p: Path) -> None:
        p.write_text("half-written")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        _atomic_write(out, half)
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.pdf"]


def test_template_error_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    with pytest.raises(jinja2.UndefinedError):
        write_report("daily.html", {}, out, html=True)
    assert list(tmp_path.iterdir()) == []


def test_missing_output_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="output directory does not exist"):
        _atomic_write(tmp_path / "no" / "r.pdf", lambda p: None)


def test_written_report_has_ordinary_permissions(tmp_path: Path) -> None:
    import os

    out = _atomic_write(tmp_path / "r.pdf", lambda p: p.write_text("x"))
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask
