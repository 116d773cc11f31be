"""Writes go through symbolic links to their files, never replace special files, and say
when the disk is full, keeping the previous file."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
import torch

from minee import files
from minee.files import atomic_write, check_writable, save_checked


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


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_disk_says_so_and_keeps_the_previous_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    target = tmp_path / "model.pt"
    save_checked(target, {"w": torch.ones(3)}, "minee-test-1")
    before = target.read_bytes()

    def full(fd: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(OSError, match="(no space left|the disk quota is used up) to write "
                                      ".*model.pt \\(its previous content is untouched\\); "
                                      "free some space") as info:
        save_checked(target, {"w": torch.zeros(3)}, "minee-test-1")
    assert info.value.errno == code
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]  # no temporary left
    with pytest.raises(OSError, match="nothing written"), \
            atomic_write(tmp_path / "new.csv", "w") as fh:
        fh.write("a,b\n")
    assert not (tmp_path / "new.csv").exists()


def test_other_write_errors_pass_through_unchanged(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(files.os, "fsync", failing)
    with pytest.raises(OSError, match="Input/output error"), \
            atomic_write(tmp_path / "x.bin") as fh:
        fh.write(b"x")
