"""Output files of the ``minee`` subcommands: checked before any work, written after.

Output files are checked before any reading or training (:func:`check_outputs`,
:func:`check_folder`), and written after the result is printed (:func:`side_write`),
atomically, so a failed write neither costs a training run nor loses its result. The
library's modules are imported when a function runs, not for ``minee --help``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["check_outputs", "check_folder", "side_write", "write_csv"]


def check_outputs(out: str | None = None, plot: str | None = None,
                  save: str | None = None) -> None:
    """Raise ``ValueError`` unless each given output file can be written.

    Called before any reading or training: a typo or a read-only folder should not cost a
    run. ``out`` is a table (CSV), ``plot`` a figure (suffix checked too), ``save`` a model.
    """
    from ..files import check_writable

    for path in (out, save):
        if path:
            check_writable(path)
    if plot:
        from ..plotting import check_path

        check_path(plot)


def check_folder(path: str) -> None:
    """Raise ``ValueError`` unless ``path`` is a writable folder or one that can be made."""
    from ..files import check_writable

    folder = Path(path)
    # the nearest part of the path that exists: "." or "/" at the latest
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path.cwd())
    if not existing.is_dir():
        raise ValueError(f"cannot write to {folder}: {existing} is a file, not a folder")
    try:  # a probe file where the outputs, or the first missing folder, would be created
        check_writable(existing / ".minee-write-check")
    except ValueError:
        raise ValueError(f"cannot write to {folder}: cannot create files in {existing}"
                         ) from None


def side_write(path: str, write: Callable[[], object]) -> None:
    """Run ``write()``; on any failure raise ``ValueError`` naming ``path`` (one line)."""
    from ..data.io import one_line

    try:
        write()
    except Exception as exc:  # OSError, a matplotlib or torch error: all mean "not written"
        message = one_line(exc)
        if str(path) not in message:
            message = f"cannot write {path}: {message}"
        raise ValueError(message) from exc


def write_csv(frame: Any, path: str, float_format: str = "%.6g") -> None:
    """Write a DataFrame to ``path`` as CSV, atomically, and say so on stderr."""
    from ..files import atomic_write

    def write() -> None:
        with atomic_write(path, "w", newline="") as fh:
            frame.to_csv(fh, float_format=float_format)

    side_write(path, write)
    print(f"wrote {path}", file=sys.stderr)
