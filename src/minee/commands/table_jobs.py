"""What ``matrix`` and ``relevance`` share around their long job: the folder their
finished chunks are kept in (``--store``, by default beside ``--out``), ``--resume``,
and Ctrl-C or SIGTERM ending the job with what was done kept and the way to continue said.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["store_folder", "run_kept", "drop_default_store"]

#: the default store's suffix, beside --out
SUFFIX = ".parts"


def store_folder(args: argparse.Namespace) -> Path | None:
    """The folder the job keeps its finished chunks in: ``--store``, else ``--out`` with
    :data:`SUFFIX`, else none; checked against ``--resume`` before any work.

    Raises:
        ValueError: ``--resume`` with no folder to resume, or a folder holding a job's
            chunks without ``--resume``.
    """
    folder = Path(args.store) if args.store else (
        Path(str(args.out) + SUFFIX) if args.out else None)
    if folder is None:
        if args.resume:
            raise ValueError("--resume continues the chunks kept in --store (or beside "
                             "--out); give the folder the interrupted run used")
        return None
    if folder.exists() and any(folder.iterdir()) and not args.resume:
        raise ValueError(f"{folder} holds the finished chunks of an earlier run: add "
                         "--resume to continue it, or delete the folder to start again")
    return folder


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises ``KeyboardInterrupt`` like Ctrl-C (main thread only): a finished
    chunk is already on disk, written atomically, so stopping anywhere keeps it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if old is None else old)


def run_kept(args: argparse.Namespace, store: Path | None, job: Callable[[], Any]) -> Any:
    """The seed on stderr first (drawn here if not given: a run killed outright must still
    be resumable), then ``job()``, which keeps its chunks in ``store``
    (:func:`store_folder`'s); on Ctrl-C or SIGTERM, say what was kept there and how to
    continue, then end the command with exit code 130 (``SystemExit``)."""
    if args.seed is None:
        from ..checks import draw_seed

        args.seed = draw_seed()
    print(f"minee {args.command}: seed {args.seed} (--seed {args.seed} repeats this run)",
          file=sys.stderr, flush=True)
    try:
        with _sigterm_interrupts():
            return job()
    except KeyboardInterrupt:
        command = f"minee {args.command}"
        if store is None:
            print(f"{command}: interrupted; nothing was kept (give --out or --store to keep "
                  "finished chunks)", file=sys.stderr)
        else:
            from ..many.store import kept_chunks

            kept = kept_chunks(store)
            print(f"{command}: interrupted; {kept} finished chunk(s) kept in {store}: run "
                  f"the same command with --seed {args.seed} --resume to continue",
                  file=sys.stderr)
        raise SystemExit(130) from None


def drop_default_store(args: argparse.Namespace) -> None:
    """Remove the default store (beside ``--out``) once ``--out`` is written: it served
    only to resume; a folder given as ``--store`` is the user's, and stays."""
    if args.out and not args.store:
        shutil.rmtree(str(args.out) + SUFFIX, ignore_errors=True)
