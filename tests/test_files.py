"""Writes go through symbolic links to their files and never replace special files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from minee.files import atomic_write, check_writable


def test_a_symlink_is_written_through_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    with atomic_write(link, "w") as fh:
        fh.write("new\n")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new\n" and link.read_text() == "new\n"
    check_writable(link)  # the link's file is writable: no error


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "missing.csv")
    with atomic_write(link, "w") as fh:
        fh.write("x\n")
    assert link.is_symlink() and (tmp_path / "missing.csv").read_text() == "x\n"


def test_special_files_are_refused_and_left_alone(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"), atomic_write(fifo):
        pass
    with pytest.raises(ValueError, match="not a regular file"):
        check_writable(fifo)
    assert fifo.exists() and not fifo.is_file()  # still the FIFO
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]  # no temporary file left
    with pytest.raises(ValueError, match="not a regular file"):
        check_writable(os.devnull)
