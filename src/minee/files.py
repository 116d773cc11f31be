"""Writing files atomically: a reader sees the old file or the new one, never half of one.

Every file minee writes (model files, checkpoints, tables, figures, JSON summaries) goes
through :func:`atomic_write`: the content goes to a temporary file in the target's folder,
is flushed and ``fsync``-ed, then renamed over the target (``os.replace``, atomic on POSIX
and Windows). On any error, the temporary file is removed and the target is untouched. A
symbolic link is written through (its target file is replaced, the link kept); a device,
FIFO or socket is refused, since renaming over it would replace it by a regular file.

Model files and checkpoints are also checked when read (:func:`save_checked`,
:func:`load_checked`): they hold only tensors, numbers, strings and plain containers, are
read with ``torch.load(weights_only=True)`` (reading one cannot run code), and carry a
SHA-256 checksum, so a damaged file, or one edited without recomputing it, is refused
instead of loaded. The checksum is not a signature: a file edited and checksummed again
by someone who means to loads (and still cannot run code); trust model files as you trust
their source.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_write", "check_writable", "save_checked", "load_checked"]


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb",
                 **open_args: Any) -> Iterator[IO[Any]]:
    """Open a temporary file that replaces ``path`` when the block ends without error.

    Arguments:
        path: the file to write; its folder must exist. A symbolic link is followed.
        mode: ``"wb"`` or ``"w"`` (text; ``open_args`` such as ``newline`` apply).

    Yields:
        The open temporary file.

    Raises:
        FileNotFoundError: the folder does not exist.
        IsADirectoryError: ``path`` is a folder.
        ValueError: ``path`` is a device, FIFO or socket.
        OSError: the write failed (a full disk, a quota): the message says so, and that
            a file ``path`` already held is untouched.
    """
    target = _regular_target(Path(path))
    with _space_errors(target):
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                   dir=target.parent)
    try:
        with _space_errors(target):
            # mkstemp makes the file owner-only; give it the mode open() would have given
            os.fchmod(fd, _mode_for(target))
            with os.fdopen(fd, mode, **open_args) as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _regular_target(target: Path) -> Path:
    """The file a write to ``target`` replaces (a link's file), once it is known to be a
    regular file or none, in an existing folder."""
    if target.is_symlink():
        target = target.resolve()  # replace the link's file, not the link
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a folder; give a file name")
    if target.exists() and not target.is_file():
        raise ValueError(f"{target} is not a regular file (a device, FIFO or socket): "
                         "minee writes regular files only; give a file path")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"no such folder: {target.parent}")
    return target


@contextlib.contextmanager
def _space_errors(target: Path) -> Iterator[None]:
    """A full disk or quota inside the block raises the error that says so
    (:func:`_full_disk`); any other error passes unchanged."""
    try:
        yield
    except OSError as exc:
        full = _full_disk(exc, target)
        if full is None:
            raise
        raise full from None


def _full_disk(exc: OSError, target: Path) -> OSError | None:
    """The error to raise for a write to ``target`` that ran out of space or quota, saying
    that a file already there is untouched; ``None`` for any other failure."""
    if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
        return None
    what = "no space left" if exc.errno == errno.ENOSPC else "the disk quota is used up"
    kept = "its previous content is untouched" if target.exists() else "nothing written"
    return OSError(exc.errno, f"{what} to write {target} ({kept}); free some space and run "
                              "again")


def _mode_for(target: Path) -> int:
    """The replaced file's permissions, or those a new file gets under the umask."""
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise ``ValueError`` unless a file can be created at ``path`` (checked before work).

    The check creates and removes a temporary file next to ``path``, so permissions,
    read-only and pseudo file systems (``/proc``, ``/sys``) fail here, not after training.
    """
    target = Path(path).resolve() if Path(path).is_symlink() else Path(path)
    if target.is_dir():
        raise ValueError(f"cannot write {target}: it is a folder; give a file name")
    if target.exists() and not target.is_file():
        raise ValueError(f"cannot write {target}: not a regular file (a device, FIFO or "
                         "socket); give a file path")
    if not target.parent.is_dir():
        raise ValueError(f"cannot write {target}: no such folder {target.parent}")
    try:
        with atomic_write(target.parent / f".{target.name}.probe"):
            pass
        (target.parent / f".{target.name}.probe").unlink()
    except OSError as exc:
        raise ValueError(f"cannot write {target}: {exc.strerror or exc}") from None


# checked files ----------------------------------------------------------------------------
# A checked file is torch.save of the container {"format": kind, "layout": ..., "sha256": ...,
# "payload": uint8 tensor}, the payload being torch.save of the state, as bytes. The checksum
# covers the kind, the layout and the payload, so any change to them is refused. The rest
# of the file (zip headers, padding) is covered by comparing the file with the container
# saved again, which gives the same bytes whenever the layout (the torch version and its
# save options) is the one that wrote it.
_CONTAINER_KEYS = {"format", "layout", "sha256", "payload"}


def save_checked(path: str | os.PathLike[str], payload: dict[str, Any], kind: str) -> Path:
    """Write ``payload`` to ``path`` atomically as a checksummed file of the given kind.

    Arguments:
        path: the file to write; its folder must exist.
        payload: tensors, numbers, strings, ``None`` and lists, tuples and dicts of them.
        kind: the file kind, e.g. ``"minee-model-2"``; :func:`load_checked` requires it.

    Returns:
        The path written.

    Raises:
        FileNotFoundError: the folder does not exist.
    """
    import torch

    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    layout = _layout()
    container = {"format": kind, "layout": layout, "sha256": _digest(kind, layout, data),
                 "payload": torch.frombuffer(bytearray(data), dtype=torch.uint8)}
    # serialised in memory, then written as bytes: on a full disk the write raises the
    # OSError atomic_write explains, not torch's "unexpected pos" RuntimeError
    content = _saved(container)
    with atomic_write(path) as fh:
        fh.write(content)
    return Path(path)


def load_checked(path: str | os.PathLike[str], kind: str, *, what: str,
                 advice: str, older: tuple[str, ...] = ()) -> dict[str, Any]:
    """Read a file written by :func:`save_checked` with this ``kind``, verifying it.

    Arguments:
        path: the file.
        kind: the kind it must have been written as.
        older: earlier kinds also read (verified alike; the caller migrates their
            payload).
        what: the file's description in error messages (e.g. ``"a minee model file"``).
        advice: what to do about a refused file, ending the error message
            (e.g. ``"delete it and rerun without --resume"``).

    Returns:
        The payload (tensors on the CPU).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a file of this kind, or one truncated, damaged, altered, or holding
            anything but tensors, numbers, strings and plain containers.
    """
    target = Path(path)
    if not target.is_file():
        raise FileNotFoundError(f"no such file: {target}")
    data = target.read_bytes()
    if not data:
        raise ValueError(f"{target} is empty, not {what}; {advice}")
    container = _unpickle(data, f"{target} is not {what}", advice)
    found = container.get("format") if isinstance(container, dict) else None
    if found not in (kind, *older):
        raise ValueError(f"{target} is not {what} (format {found!r}, expected {kind!r}); "
                         f"{advice}")
    payload = container.get("payload")
    if set(container) != _CONTAINER_KEYS or not _is_bytes(payload) \
            or not isinstance(container["layout"], str) \
            or not isinstance(container["sha256"], str):
        raise ValueError(f"{target} is a damaged copy of {what}; {advice}")
    body = container["payload"].numpy().tobytes()
    damaged = container["sha256"] != _digest(found, container["layout"], body)
    if not damaged and container["layout"] == _layout():
        damaged = _saved(container) != data
    if damaged:
        raise ValueError(f"{target} was damaged or altered (checksum mismatch); {advice}")
    state = _unpickle(body, f"{target} holds an unreadable payload", advice)
    if not isinstance(state, dict):
        raise ValueError(f"{target} holds no state (a {type(state).__name__}); {advice}")
    return state


def _unpickle(data: bytes, failure: str, advice: str) -> Any:
    """``torch.load(weights_only=True)`` of ``data``: tensors and plain containers only,
    so a file holding code is refused rather than run."""
    import torch

    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises pickle, zip, unicode and runtime errors
        raise ValueError(f"{failure} ({type(exc).__name__}); {advice}") from None


def _is_bytes(value: Any) -> bool:
    """True for a one-dimensional uint8 CPU tensor (the serialised payload)."""
    import torch

    return isinstance(value, torch.Tensor) and value.dtype == torch.uint8 \
        and value.dim() == 1 and value.device.type == "cpu"


def _digest(kind: str, layout: str, payload: bytes) -> str:
    """SHA-256 (hex) of the kind, the layout and the payload bytes."""
    digest = hashlib.sha256()
    for part in (kind.encode(), b"\0", layout.encode(), b"\0", payload):
        digest.update(part)
    return digest.hexdigest()


def _saved(container: dict[str, Any]) -> bytes:
    """The bytes ``torch.save`` writes for ``container``."""
    import torch

    buffer = io.BytesIO()
    torch.save(container, buffer)
    return buffer.getvalue()


def _layout() -> str:
    """What decides the bytes torch.save writes here: the torch version and the checksum of
    a small saved probe (which reflects the save options, such as alignment)."""
    import torch

    probe = _saved({"probe": torch.arange(3, dtype=torch.uint8)})
    return f"torch {torch.__version__} {hashlib.sha256(probe).hexdigest()[:16]}"
