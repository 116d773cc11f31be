"""Every hyperparameter of an estimate, resolved once, validated once, kept with the result.

:class:`Settings` is built by :func:`resolve` from a preset (:mod:`minee.presets`) and the
values an estimator was given; it is frozen, checked field by field in one place (one
validator per kind of value) and stored on the fitted estimator as ``settings_``. The
engine's configuration, the reference, the critic and the objective are all derived from
it, and :class:`Seeds` derives every random stream of an estimate from its one seed.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Container, Iterable
from dataclasses import asdict, dataclass, fields
from typing import Any, cast

import numpy as np

from .presets import PRESETS

__all__ = ["Settings", "Seeds", "resolve", "check_seed", "draw_seed"]

SEED_LIMIT = 2**63  # seeds are non-negative 63-bit integers (what a torch generator takes)


def _is_int(v: Any) -> bool:
    """An integer of any integer type (``np.int64`` included), never a bool."""
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def _is_real(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


# one validator per kind of value: each returns the value in canonical form or raises -------
def positive_int(name: str, v: Any) -> int:
    """A whole number >= 1 (any integer type)."""
    if not _is_int(v) or v < 1:
        raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return int(v)


def non_negative_int(name: str, v: Any) -> int:
    """A whole number >= 0."""
    if not _is_int(v) or v < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {v!r}")
    return int(v)


def positive_real(name: str, v: Any) -> float:
    """A finite number > 0."""
    if not _is_real(v) or not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {v!r}")
    return float(v)


def non_negative_real(name: str, v: Any) -> float:
    """A finite number >= 0."""
    if not _is_real(v) or not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    return float(v)


def in_range(low: float, high: float, *, low_open: bool = False,
             high_open: bool = False) -> Callable[[str, Any], float]:
    """A validator for a finite number in an interval (open or closed at either end)."""
    def check(name: str, v: Any) -> float:
        ok = _is_real(v) and math.isfinite(v) and (v > low if low_open else v >= low) \
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


def one_of(choices: Container[str] | Callable[[], Container[str]]
           ) -> Callable[[str, Any], str]:
    """A validator for a name in ``choices`` (a collection, or a function giving one, so
    that a registry's names are read when validating, after extensions registered)."""
    def check(name: str, v: Any) -> str:
        allowed = choices() if callable(choices) else choices
        if not isinstance(v, str) or v not in allowed:
            listed = (", ".join(sorted(cast(Iterable[str], allowed)))
                      if hasattr(allowed, "__iter__") else allowed)
            raise ValueError(f"unknown {name} {v!r}; choose one of {listed}")
        return v

    return check


def check_seed(seed: Any) -> int:
    """A seed: an integer in [0, 2**63)."""
    if not _is_int(seed):
        raise TypeError(f"seed must be an integer or None, got {type(seed).__name__}")
    if not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"seed must be in [0, 2**63), got {seed}")
    return int(seed)


def draw_seed() -> int:
    """A fresh seed from the operating system's entropy (what ``seed=None`` uses)."""
    return int(np.random.SeedSequence().entropy % SEED_LIMIT)  # type: ignore[operator]


def _auto_or_positive(name: str, v: Any) -> int | str:
    return v if v == "auto" else positive_int(name, v)


def _init(name: str, v: Any) -> float | str:
    if v in ("torch", "zero-output"):
        return v
    if not _is_real(v) or not math.isfinite(v) or not 0 < v <= 1:
        raise ValueError(
            f"init must be a std in (0, 1], 'torch' or 'zero-output', got {v!r}")
    return float(v)


def _device(name: str, v: Any) -> str:
    from .inputs import resolve_device

    resolve_device(v)  # raises for an unknown or unavailable device
    return str(v)


def _dtype(name: str, v: Any) -> str:
    import torch

    from .inputs import resolve_dtype

    return "float64" if resolve_dtype(v) == torch.float64 else "float32"


def _critic_bound(name: str, v: Any) -> float:
    """0 (no bound) or a bound of at least 1 nat."""
    if _is_real(v) and v == 0:
        return 0.0
    return in_range(1.0, 1e4)(name, v)


def _patience(name: str, v: Any) -> int | None:
    return None if v is None else positive_int(name, v)


# registries are read when a value is validated, after any extension has registered
def _references() -> Container[str]:
    from .references import REFERENCES

    return REFERENCES


def _objectives() -> Container[str]:
    from .objectives import OBJECTIVES

    return OBJECTIVES


def _activations() -> Container[str]:
    from .critics import ACTIVATIONS

    return ACTIVATIONS


def _transforms() -> Container[str]:
    from .preprocessing import TRANSFORMS

    return TRANSFORMS


@dataclass(frozen=True)
class Settings:
    """The resolved hyperparameters of one estimate (see the estimators for each meaning).

    ``auto_batch`` is the preset's cap for ``batch_size="auto"`` (all training rows up to
    this many).

    Built by :func:`resolve`; every field is validated on construction, so a
    ``Settings`` that exists is one the engine can run. ``seed`` is the seed actually used
    (drawn when the estimator was given ``None``).
    """

    lr: float
    batch_size: int | str
    auto_batch: int
    ref_factor: float
    max_steps: int
    eval_every: int
    hidden: int
    depth: int
    activation: str
    critic_bound: float
    init: float | str
    val_fraction: float
    patience: int | None
    min_steps: int
    smoothing: float
    averaging: float
    weight_decay: float
    reference: str
    margin: float
    form: str
    joint_residual: bool
    objective: str
    ma_rate: float
    scale_inputs: bool
    clamp_inputs: bool
    compress_tails: bool
    whiten: bool
    ensemble: int
    folds: int | str
    preprocess: str
    null: bool
    device: str
    dtype: str
    threads: int | str
    seed: int

    def __post_init__(self) -> None:
        for f in fields(self):
            check = _VALIDATORS.get(f.name)
            if check is not None:
                object.__setattr__(self, f.name, check(f.name, getattr(self, f.name)))

    @property
    def fold_count(self) -> int:
        """``folds`` once resolved against the rows (:func:`minee.model.build_run` does)."""
        assert isinstance(self.folds, int), "resolve folds='auto' against the rows first"
        return self.folds

    @property
    def members(self) -> int:
        """Critic sets trained per problem: ``ensemble`` for each of the folds."""
        return self.ensemble * self.fold_count

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict."""
        return asdict(self)


_VALIDATORS: dict[str, Callable[[str, Any], Any]] = {
    "lr": in_range(0.0, 1.0, low_open=True), "batch_size": _auto_or_positive,
    "auto_batch": positive_int,
    "ref_factor": in_range(0.01, 1e4), "max_steps": positive_int,
    "eval_every": positive_int, "hidden": positive_int, "depth": positive_int,
    "activation": one_of(_activations), "critic_bound": _critic_bound, "init": _init,
    "val_fraction": in_range(0.0, 1.0, high_open=True), "patience": _patience,
    "min_steps": non_negative_int, "smoothing": in_range(0.0, 1.0, low_open=True),
    "averaging": in_range(0.0, 1.0, high_open=True), "weight_decay": in_range(0.0, 100.0),
    "reference": one_of(_references),
    "margin": in_range(0.0, 10.0), "form": one_of(("separate", "shared")),
    "joint_residual": boolean,
    "objective": one_of(_objectives),
    "ma_rate": in_range(0.0, 1.0, low_open=True), "scale_inputs": boolean,
    "clamp_inputs": boolean, "compress_tails": boolean, "whiten": boolean,
    "ensemble": positive_int, "folds": _auto_or_positive, "preprocess": one_of(_transforms),
    "null": boolean, "device": _device, "dtype": _dtype, "threads": _auto_or_positive,
    "seed": lambda name, v: check_seed(v),
}


def resolve(preset: str, kind: str, given: dict[str, Any]) -> Settings:
    """Merge preset ``preset``'s settings for ``kind`` with the non-``None`` ``given`` values.

    Arguments:
        preset: a key of :data:`minee.presets.PRESETS`.
        kind: ``"mi"``, ``"mine"`` or ``"entropy"``.
        given: hyperparameters by name (``None`` = take the preset's); names that are not
            settings (``preset`` itself) are ignored; ``seed=None`` draws a seed; a given
            ``val_fraction`` without ``folds`` sets ``folds=1`` (one split of that share).

    Raises:
        ValueError, TypeError: an unknown preset or an invalid value (naming it).
    """
    one_of(PRESETS)("preset", preset)
    values = dict(PRESETS[preset][kind])
    values.update({k: v for k, v in given.items() if v is not None and k in _NAMES})
    if given.get("val_fraction") is not None and given.get("folds") is None:
        values["folds"] = 1  # a share to hold out asks for one split of that share
    values["seed"] = draw_seed() if given.get("seed") is None else given["seed"]
    return Settings(**values)


_NAMES = {f.name for f in fields(Settings)}


@dataclass(frozen=True)
class Seeds:
    """The distinct random streams of one estimate, all derived from its seed.

    ``numpy.random.SeedSequence(seed).spawn`` gives statistically independent children,
    so the held-out split, the permutation null, the critic's initial weights and the
    engine's batches never share a state.

    Attributes:
        split: NumPy generator for the held-out split.
        null: NumPy generator for the permutation null's shuffles.
        init: integer seed of the torch generator that draws the initial weights.
        engine: integer seed of the torch generator for minibatches and references.
    """

    split: np.random.Generator
    null: np.random.Generator
    init: int
    engine: int

    @classmethod
    def from_seed(cls, seed: int) -> Seeds:
        split, null, init, engine = np.random.SeedSequence(seed).spawn(4)
        return cls(np.random.default_rng(split), np.random.default_rng(null),
                   _torch_seed(init), _torch_seed(engine))


def _torch_seed(seq: np.random.SeedSequence) -> int:
    return int(seq.generate_state(1, np.uint64)[0] % SEED_LIMIT)
