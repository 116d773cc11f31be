"""Setting up Dask worker processes for minee's jobs, without touching the client's process.

:class:`OneThreadPerWorker` is a Dask ``WorkerPlugin``: when a worker starts (or when the
plugin is registered with a running one) it gives torch one intra-op thread, since the
workers already share the cores, and restores glibc's adaptive heap thresholds that Dask's
nanny freezes. A worker that runs inside the client's own process (a threaded local
cluster) is left alone: its threads and heap belong to the user's program.

This module needs ``distributed``; :mod:`minee.many.scheduling` imports it only with a client.
"""

from __future__ import annotations

import ctypes
import os
from typing import Any

from distributed import WorkerPlugin

__all__ = ["OneThreadPerWorker", "PLUGIN_NAME"]

PLUGIN_NAME = "minee-one-thread-per-worker"
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers


class OneThreadPerWorker(WorkerPlugin):
    """A Dask worker plugin: Dask calls ``setup(worker)`` on every worker.

    Arguments:
        client_pid: the client's process id; a worker in that process is not changed.
    """

    idempotent = True  # registering it twice (two calls on one client) does nothing more

    def __init__(self, client_pid: int | None = None):
        super().__init__()
        self.client_pid = os.getpid() if client_pid is None else client_pid

    def setup(self, worker: Any) -> None:
        if os.getpid() == self.client_pid:
            return
        import torch

        torch.set_num_threads(1)
        _heap_for_tensors()


def _heap_for_tensors() -> None:
    """Undo the malloc setting Dask's nanny gives its workers.

    The nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``; setting it freezes
    glibc's adaptive thresholds, so every block over 128 KiB is mmap-ed and unmapped again,
    and every training step's activations page-fault afresh (2-2.5x slower training,
    measured). These are the ceilings glibc's own adaptation reaches on 64-bit Linux.
    """
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: the variable means nothing there
        return
    libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)
    libc.mallopt(_M_TRIM_THRESHOLD, 64 << 20)
