"""Ctrl-C and SIGTERM as requests to stop a long run where its state can be checkpointed.

:func:`minee.paper.experiments.reproduce` installs :class:`Interrupts` while it trains; its engine
callback checks :attr:`Interrupts.requested` after every evaluation and raises
:class:`Stop` there, between steps, so the checkpoint written next is consistent.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["Interrupted", "Stop", "Interrupts"]


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C (SIGINT), SIGTERM, or a ``KeyboardInterrupt`` from the callback.

    Attributes:
        signum: the signal's number (``None`` when the callback raised).
        checkpoint: the checkpoint to resume from (``None`` when none was written).
    """

    def __init__(self, signum: int | None = None, checkpoint: Path | None = None):
        super().__init__(signum)
        self.signum, self.checkpoint = signum, checkpoint

    def __str__(self) -> str:
        cause = "interrupted" if self.signum is None else signal.Signals(self.signum).name
        return f"{cause}; " + (f"checkpoint in {self.checkpoint}" if self.checkpoint
                               else "no checkpoint written")


class Stop(Interrupted):
    """An interruption raised between steps, where the engine's state is consistent."""


class Interrupts:
    """Turn the first SIGINT (Ctrl-C) or SIGTERM into a stop request honoured between steps,
    where the engine's state is consistent and the checkpoint can be written. A second SIGINT
    stops at once (the checkpoint on disk stays valid); a repeated SIGTERM is the same request
    (timeout(1) signals the process, then its group; supervisors escalate with SIGKILL).
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signum: int | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def _handler(self, signum: int, frame: Any) -> None:
        if self.signum is None:
            self.signum = signum
        elif signum == signal.SIGINT:
            raise Interrupted(signum)

    @contextlib.contextmanager
    def installed(self) -> Iterator[Interrupts]:
        # Python accepts signal handlers only in the main thread; elsewhere the caller's
        # own handling (the default: KeyboardInterrupt on Ctrl-C) applies
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        old = {signum: signal.signal(signum, self._handler) for signum in self.SIGNALS}
        try:
            yield self
        finally:
            for signum, handler in old.items():
                # None: a handler installed outside Python, which cannot be put back
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)
