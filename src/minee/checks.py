"""Validators of single values: each returns the value in canonical form or raises.

Used by :mod:`minee.settings` for every field of a recipe, and by the functions that take
numbers of their own (timeouts, seeds). Errors name the value and what it must be.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Container, Iterable
from typing import Any, cast

import numpy as np

__all__ = ["is_int", "is_real", "positive_int", "non_negative_int", "positive_real",
           "non_negative_real", "in_range", "boolean", "one_of", "check_seed", "draw_seed",
           "SEED_LIMIT"]

SEED_LIMIT = 2**63  # seeds are non-negative 63-bit integers (what a torch generator takes)


def is_int(v: Any) -> bool:
    """An integer of any integer type (``np.int64`` included), never a bool."""
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def is_real(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def positive_int(name: str, v: Any) -> int:
    """A whole number >= 1 (any integer type)."""
    if not is_int(v) or v < 1:
        raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return int(v)


def non_negative_int(name: str, v: Any) -> int:
    """A whole number >= 0."""
    if not is_int(v) or v < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {v!r}")
    return int(v)


def positive_real(name: str, v: Any) -> float:
    """A finite number > 0."""
    if not is_real(v) or not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {v!r}")
    return float(v)


def non_negative_real(name: str, v: Any) -> float:
    """A finite number >= 0."""
    if not is_real(v) or not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    return float(v)


def in_range(low: float, high: float, *, low_open: bool = False,
             high_open: bool = False) -> Callable[[str, Any], float]:
    """A validator for a finite number in an interval (open or closed at either end)."""
    def check(name: str, v: Any) -> float:
        ok = is_real(v) and math.isfinite(v) and (v > low if low_open else v >= low) \
            and (v < high if high_open else v <= high)
        if not ok:
            interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
            raise ValueError(f"{name} must be a number in {interval}, got {v!r}")
        return float(v)

    return check


def boolean(name: str, v: Any) -> bool:
    """``True`` or ``False`` (NumPy booleans included), nothing else."""
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {v!r}")
    return bool(v)


def one_of(choices: Container[str]) -> Callable[[str, Any], str]:
    """A validator for a name in ``choices``."""
    def check(name: str, v: Any) -> str:
        if not isinstance(v, str) or v not in choices:
            listed = ", ".join(sorted(cast(Iterable[str], choices)))
            raise ValueError(f"unknown {name} {v!r}; choose one of {listed}")
        return v

    return check


def check_seed(seed: Any) -> int:
    """A seed: an integer in [0, 2**63)."""
    if not is_int(seed):
        raise TypeError(f"seed must be an integer or None, got {type(seed).__name__}")
    if not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"seed must be in [0, 2**63), got {seed}")
    return int(seed)


def draw_seed() -> int:
    """A fresh seed from the operating system's entropy (what ``seed=None`` uses)."""
    return int(np.random.SeedSequence().entropy % SEED_LIMIT)  # type: ignore[operator]
