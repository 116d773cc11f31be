"""The validator of every field of a :class:`~minee.settings.Recipe` and its settings.

Each takes the field's name and value and returns the value in canonical form, or raises a
``ValueError`` / ``TypeError`` naming the field and what it must be. Names of registered
parts are only checked to be strings here: :func:`minee.registry.check` checks them
against the registry, which sits above the settings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .checks import (
    boolean,
    check_seed,
    in_range,
    is_real,
    non_negative_int,
    one_of,
    positive_int,
)
from .data.preprocessing import CHOICES

__all__ = ["VALIDATORS"]


def _auto_or_positive(name: str, v: Any) -> int | str:
    return v if v == "auto" else positive_int(name, v)


def _init(name: str, v: Any) -> float | str:
    if v in ("torch", "zero-output"):
        return str(v)
    if not is_real(v) or not 0 < v <= 1:  # NaN fails both comparisons
        raise ValueError(
            f"init must be a std in (0, 1], 'torch' or 'zero-output', got {v!r}")
    return float(v)


def _device(name: str, v: Any) -> str:
    from .data.inputs import resolve_device  # imports torch: only when a device is checked

    resolve_device(v)  # raises for an unknown or unavailable device
    return str(v)


def _dtype(name: str, v: Any) -> str:
    import torch  # only here: validating a recipe must not import torch otherwise

    from .data.inputs import resolve_dtype

    return "float64" if resolve_dtype(v) == torch.float64 else "float32"


def _critic_bound(name: str, v: Any) -> float:
    """0 (no bound) or a bound of at least 1 nat."""
    return 0.0 if is_real(v) and v == 0 else in_range(1.0, 1e4)(name, v)


def _patience(name: str, v: Any) -> int | None:
    return None if v is None else positive_int(name, v)


#: the widest critic layer accepted: at 8,192 a 2-layer critic holds 6.7e7 weights per
#: head, with Adam's state ~1 GB per head and member; wider ones fail in the allocator
MAX_HIDDEN = 8192


def _hidden(name: str, v: Any) -> int:
    v = positive_int(name, v)
    if v > MAX_HIDDEN:
        raise ValueError(f"{name}={v:,} is wider than the {MAX_HIDDEN:,} accepted (a critic "
                         f"that wide needs ~{16 * v * v / 2**30:,.0f} GB per head); the "
                         "defaults use 64")
    return v


#: the fewest rows ``max_rows`` may ask for: a subsample must still hold out and train
MIN_ROWS = 100


def _max_rows(name: str, v: Any) -> int | None:
    if v is None:
        return None
    v = positive_int(name, v)
    if v < MIN_ROWS:
        raise ValueError(f"{name} must be None or at least {MIN_ROWS}, got {v}")
    return v


def _discrete(name: str, v: Any) -> bool | str | tuple[str, ...]:
    """``"auto"``, a bool, or the names of the variables whose columns are discrete."""
    if isinstance(v, (bool, np.bool_)) or v == "auto":
        return bool(v) if not isinstance(v, str) else v
    if isinstance(v, (list, tuple)) and all(isinstance(k, str) for k in v):
        return tuple(v)
    raise TypeError(f"{name} must be 'auto', True, False or a list of variable names "
                    f"(such as ['y']), got {v!r}")


def _name(name: str, v: Any) -> str:
    """A registered part's name: a string here; :func:`minee.registry.check` checks that
    it is registered (the registry sits above the settings)."""
    if not isinstance(v, str):
        raise TypeError(f"{name} must be a name (str), got {v!r}")
    return v


#: field name -> validator
VALIDATORS: dict[str, Callable[[str, Any], Any]] = {
    "reference": _name, "max_steps": positive_int,
    "val_fraction": in_range(0.0, 1.0, high_open=True), "folds": _auto_or_positive,
    "lr": in_range(0.0, 1.0, low_open=True), "batch_size": _auto_or_positive,
    "auto_batch": positive_int, "ref_factor": in_range(0.01, 1e4),
    "eval_every": positive_int, "hidden": _hidden, "depth": positive_int,
    "activation": _name, "critic_bound": _critic_bound, "init": _init,
    "patience": _patience, "min_steps": non_negative_int, "extend": in_range(1.0, 100.0),
    "max_rows": _max_rows, "discrete": _discrete,
    "smoothing": in_range(0.0, 1.0, low_open=True),
    "averaging": in_range(0.0, 1.0, high_open=True), "margin": in_range(0.0, 10.0),
    "form": one_of(("separate", "shared")), "joint_residual": boolean, "objective": _name,
    "ma_rate": in_range(0.0, 1.0, low_open=True), "scale_inputs": boolean,
    "clamp_inputs": boolean, "compress_tails": boolean, "preprocess": one_of(CHOICES),
    "dtype": _dtype, "ensemble": positive_int, "null": boolean, "device": _device,
    "threads": _auto_or_positive, "seed": lambda name, v: check_seed(v),
}
