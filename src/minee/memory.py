"""Keep freed memory in the process for reuse (glibc), instead of returning it every step.

A training step at the paper's Figure 2 sizes allocates and frees buffers of tens of MB.
glibc's malloc serves blocks that large with fresh ``mmap`` calls and returns them on free,
so every step pays for page faults and zeroing in the kernel (a third of the wall time of
the unstreamed step on the development machine). Raising the mmap and trim thresholds keeps
those pages in the heap for the next step. The ``minee`` command does this at start; a
Python program can call :func:`retain_freed_memory` itself (it changes the whole process).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["retain_freed_memory"]

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
_THRESHOLD = 1 << 30  # bytes: blocks up to 1 GiB come from the heap and stay there


def retain_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds to 1 GiB for this process.

    Returns:
        True when the setting took effect; False where the C library is not glibc (macOS,
        Windows, musl), which is left as it is.
    """
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, _THRESHOLD))
