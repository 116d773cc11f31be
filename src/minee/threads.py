"""How many threads torch uses during a fit: one for small problems, the user's choice kept.

On a small model, torch's intra-op threads cost more in synchronisation than they save,
and on a busy machine they contend with other processes: with two threads on a loaded
two-core machine every command ran 3-10x slower than with one, for identical numbers.
:func:`thread_limit` sets the count for the duration of a fit and restores it afterwards.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch

__all__ = ["thread_limit", "choose_threads", "SMALL_STEP"]

#: multiply-adds per training step below which one thread is used: on a 2-core machine
#: with one competing process, two threads made `minee relevance` (3.4e7 per step) 2.2x
#: and a 2,000-row MI (2.3e7) 1.3x slower than one (benchmarks/README.md, "Threads")
SMALL_STEP = 5e8

_USER_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def choose_threads(threads: int | str, step_work: float) -> int | None:
    """The intra-op thread count for a fit, or ``None`` to leave torch's setting alone.

    Arguments:
        threads: a positive int (used as given) or ``"auto"``.
        step_work: multiply-adds of one training step.

    ``"auto"`` keeps a count the user chose (``OMP_NUM_THREADS``/``MKL_NUM_THREADS`` set,
    or ``torch.set_num_threads`` called with another value than torch's default, the
    available cores); otherwise one thread below :data:`SMALL_STEP`, else all cores.
    """
    if threads != "auto":
        return int(threads)
    if any(name in os.environ for name in _USER_VARIABLES):
        return None
    cores = available_cores()
    if torch.get_num_threads() != cores:
        return None  # set by the user (or by a framework around us): theirs to choose
    return 1 if step_work < SMALL_STEP else cores


@contextlib.contextmanager
def thread_limit(threads: int | str, step_work: float) -> Iterator[int]:
    """Run the block with :func:`choose_threads`'s count; restore the previous one after.

    Yields:
        The thread count in effect inside the block.
    """
    before = torch.get_num_threads()
    chosen = choose_threads(threads, step_work)
    if chosen is None or chosen == before:
        yield before
        return
    torch.set_num_threads(chosen)
    try:
        yield chosen
    finally:
        torch.set_num_threads(before)
