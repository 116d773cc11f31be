"""The :class:`Task` interface, parameter validation and the special functions the truths need.

Only numpy and the standard library are used here: the digamma function and the normal
expectations are computed by hand from their definitions (and cross-checked against scipy
in the tests), so each truth is derived here rather than taken from a library.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

__all__ = ["Task", "LOG_2PIE", "check_n", "fix_int", "fix_real", "fix_choice", "digamma",
           "gaussian_entropy", "student_entropy", "normal_expectation", "normal_cdf"]

LOG_2PIE = math.log(2 * math.pi * math.e)


class Task:
    """A joint distribution of (X, Y) with known MI (nats)."""

    name: str

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Draw n i.i.d. pairs: arrays of shape (n, dx) and (n, dy)."""
        raise NotImplementedError

    @property
    def mutual_information(self) -> float:
        raise NotImplementedError

    @property
    def entropies(self) -> dict[str, float]:
        """True entropies ``{"x", "y", "xy"}`` in nats."""
        raise NotImplementedError


def check_n(n: int) -> None:
    """Refuse a sample size that is not a positive int (bools included)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")


def fix_int(task: Any, field: str, minimum: int = 1) -> int:
    """Validate the int ``task.field >= minimum`` and store it as a Python int.

    numpy integers are accepted (they come out of arrays and JSON readers); bools are not,
    because ``True`` passing as ``1`` hides a mistake.
    """
    value = getattr(task, field)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{field} must be an int >= {minimum}, got {value!r}")
    object.__setattr__(task, field, int(value))  # frozen dataclass: the only way to normalise
    return int(value)


def fix_real(task: Any, field: str, low: float = -math.inf, high: float = math.inf, *,
             low_closed: bool = False) -> float:
    """Validate the finite real ``task.field`` in (low, high) (or [low, high) with
    ``low_closed``) and store it as a Python float."""
    value = getattr(task, field)
    ok = (not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
          and math.isfinite(value) and value < high
          and (value >= low if low_closed else value > low))
    if not ok:
        bracket = "[" if low_closed else "("
        raise ValueError(f"{field} must be a finite number in {bracket}{low}, {high}), "
                         f"got {value!r}")
    object.__setattr__(task, field, float(value))
    return float(value)


def fix_choice(task: Any, field: str, choices: Iterable[str]) -> str:
    """Validate that ``task.field`` is one of ``choices``."""
    value, options = getattr(task, field), sorted(choices)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{field} must be one of {options}, got {value!r}")
    return value


def digamma(x: float) -> float:
    r"""The digamma function psi(x) = d/dx ln Gamma(x) for finite x > 0 (absolute error
    ~1e-13 where |psi| is O(1)).

    The recurrence psi(x) = psi(x + 1) - 1/x moves the argument to x >= 6, where the
    asymptotic series ln x - 1/(2x) - sum_k B_2k / (2k x^2k), cut after x^-14, is accurate
    to its next term, B_16 / (16 x^16) < 2e-13.
    """
    if isinstance(x, bool) or not math.isfinite(x) or x <= 0:
        raise ValueError(f"digamma needs a finite x > 0, got {x!r}")
    shift = 0.0
    while x < 6.0:
        shift -= 1.0 / x
        x += 1.0
    inv2 = 1.0 / (x * x)
    # Horner form of 1/(12x^2) - 1/(120x^4) + 1/(252x^6) - ... + 1/(12x^14)
    series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (
        1 / 240 - inv2 * (1 / 132 - inv2 * (691 / 32760 - inv2 / 12))))))
    return shift + math.log(x) - 0.5 / x - series


def gaussian_entropy(d: int, logdet: float) -> float:
    """Entropy (nats) of a d-dimensional normal whose covariance has log-determinant logdet:
    (d ln(2 pi e) + ln det Sigma) / 2."""
    return 0.5 * (d * LOG_2PIE + logdet)


def student_entropy(dof: float, d: int, logdet: float) -> float:
    r"""Entropy (nats) of a d-dimensional Student-t with ``dof`` degrees of freedom and a scale
    matrix of log-determinant logdet:

        H = ln det(Sigma)/2 + ln[(nu pi)^(d/2) Gamma(nu/2) / Gamma((nu+d)/2)]
            + (nu+d)/2 [psi((nu+d)/2) - psi(nu/2)].
    """
    half = 0.5 * (dof + d)
    return (0.5 * logdet + 0.5 * d * math.log(dof * math.pi) + math.lgamma(0.5 * dof)
            - math.lgamma(half) + half * (digamma(half) - digamma(0.5 * dof)))


def normal_expectation(f: Callable[[np.ndarray], np.ndarray]) -> float:
    """E[f(Z)], Z ~ N(0, 1), for an f analytic near the real line and of moderate growth.

    The trapezoid rule on an equispaced grid is exponentially accurate for such integrands
    (the error falls like exp(-2 pi a / h), a the distance of f's nearest singularity from the
    real line), and the standard normal density is below 1e-86 beyond |z| = 20.
    """
    z, h = np.linspace(-20.0, 20.0, 4001, retstep=True)
    weights = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    return float(h * np.sum(weights * f(z)))


_ERFC = np.frompyfunc(math.erfc, 1, 1)


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """The standard normal CDF, elementwise, full relative precision in the lower tail
    (through erfc rather than 1 + erf, which would cancel)."""
    return 0.5 * np.asarray(_ERFC(-np.asarray(z, dtype=float) / math.sqrt(2)), dtype=float)
