r"""Entropy tasks: one random vector X in R^d with independent (or linearly mixed) columns and
a closed-form differential entropy, in nats, for entropy estimators on bounded, one-sided,
kinked and unbounded-density laws.

Every family has independent columns, so H(X) is the sum of the columns' entropies (and a
linear map A adds ln |det A|). Per column:

- uniform on [0, s]: ln s;
- exponential with rate lambda: 1 - ln lambda;
- Beta(a, b): ln B(a, b) - (a - 1) psi(a) - (b - 1) psi(b) + (a + b - 2) psi(a + b);
- half-normal s |Z|: ln(s sqrt(pi e / 2)) (half of N(0, s^2)'s mass, density doubled);
- Laplace with scale b: 1 + ln(2 b);
- symmetric triangular on [-w, w]: 1/2 + ln w.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np

from .base import check_n, digamma

__all__ = ["EntropyTask", "UniformBox", "Exponential", "Beta", "HalfNormal", "Laplace",
           "Triangular"]


class EntropyTask:
    """One random vector X in R^d with known differential entropy (nats)."""

    name: str

    def sample(self, n: int, seed: int) -> np.ndarray:
        """Draw n i.i.d. rows: an array of shape (n, dim)."""
        raise NotImplementedError

    @property
    def entropy(self) -> float:
        """The true differential entropy H(X), nats."""
        raise NotImplementedError

    @property
    def dim(self) -> int:
        """d, the number of columns of a sample."""
        raise NotImplementedError


def _fix_numbers(task: Any, field: str, shape: tuple[int | None, ...],
                 positive: bool = True) -> np.ndarray:
    """Validate ``task.field`` as a non-empty array of finite (positive) real numbers of
    ``shape`` (None: any length), store it as (nested) tuples of floats and return it."""
    value = getattr(task, field)
    try:  # object dtype: strings and bools must not slip through as numbers
        items = np.asarray(value, dtype=object)
    except (TypeError, ValueError):
        items = np.empty(0, dtype=object)
    ok = (items.ndim == len(shape) and items.size > 0
          and all(s is None or s == got for s, got in zip(shape, items.shape, strict=True))
          and all(isinstance(v, Real) and not isinstance(v, bool) for v in items.flat))
    arr = items.astype(float) if ok else np.empty(0)
    if not ok or not np.all(np.isfinite(arr)) or (positive and np.any(arr <= 0)):
        kind = "positive finite numbers" if positive else "finite numbers"
        form = ("a non-empty sequence of" if len(shape) == 1 else
                "a non-empty sequence of pairs of" if shape[0] is None else
                f"a {shape[0]} x {shape[1]} matrix (nested sequences) of")
        raise ValueError(f"{field} must be {form} {kind}, got {value!r}")
    stored = tuple(map(float, arr)) if arr.ndim == 1 else tuple(tuple(map(float, r)) for r in arr)
    object.__setattr__(task, field, stored)  # frozen dataclass; tuples keep it hashable
    return arr


@dataclass(frozen=True)
class UniformBox(EntropyTask):
    """X uniform on the box [0, sides[0]] x ... x [0, sides[d-1]]: H = sum ln side (nats)."""

    sides: tuple[float, ...] = (1.0, 2.0)
    name = "box"

    def __post_init__(self) -> None:
        _fix_numbers(self, "sides", (None,))

    @property
    def dim(self) -> int:
        return len(self.sides)

    def sample(self, n: int, seed: int) -> np.ndarray:
        check_n(n)
        return np.random.default_rng(seed).random((n, self.dim)) * np.array(self.sides)

    @property
    def entropy(self) -> float:
        return float(sum(math.log(s) for s in self.sides))


@dataclass(frozen=True)
class Exponential(EntropyTask):
    """Independent exponential columns with ``rates`` lambda_i (density lambda e^(-lambda x)
    on x >= 0, a jump at 0): H = sum (1 - ln lambda_i) nats."""

    rates: tuple[float, ...] = (1.0, 3.0)
    name = "exponential"

    def __post_init__(self) -> None:
        _fix_numbers(self, "rates", (None,))

    @property
    def dim(self) -> int:
        return len(self.rates)

    def sample(self, n: int, seed: int) -> np.ndarray:
        check_n(n)
        scale = 1 / np.array(self.rates)
        return np.random.default_rng(seed).exponential(scale, size=(n, self.dim))

    @property
    def entropy(self) -> float:
        return float(sum(1 - math.log(r) for r in self.rates))


@dataclass(frozen=True)
class Beta(EntropyTask):
    r"""Independent Beta(a_i, b_i) columns on [0, 1], ``shapes`` = ((a_1, b_1), ...); a or b
    below 1 makes the density unbounded at an edge.

    With p(x) = x^(a-1) (1-x)^(b-1) / B(a, b), E ln X = psi(a) - psi(a+b) and
    E ln(1 - X) = psi(b) - psi(a+b), so H = ln B(a, b) - (a - 1) psi(a) - (b - 1) psi(b)
    + (a + b - 2) psi(a + b) nats per column.
    """

    shapes: tuple[tuple[float, float], ...] = ((2.0, 5.0), (0.5, 0.5))
    name = "beta"

    def __post_init__(self) -> None:
        _fix_numbers(self, "shapes", (None, 2))

    @property
    def dim(self) -> int:
        return len(self.shapes)

    def sample(self, n: int, seed: int) -> np.ndarray:
        check_n(n)
        a, b = np.array(self.shapes).T
        return np.random.default_rng(seed).beta(a, b, size=(n, self.dim))

    @property
    def entropy(self) -> float:
        total = 0.0
        for a, b in self.shapes:
            log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
            total += (log_beta - (a - 1) * digamma(a) - (b - 1) * digamma(b)
                      + (a + b - 2) * digamma(a + b))
        return total


@dataclass(frozen=True)
class HalfNormal(EntropyTask):
    r"""X = A (scales * |Z|), Z ~ N(0, I_d): half-normal columns (a jump at 0) with scales
    s_i, linearly mixed by the invertible d x d matrix ``mixing`` A (None: the identity, so
    the columns are independent and X lives on the positive orthant).

    |Z_i| has density 2 phi(z) on z > 0, so h(|Z_i|) = h(Z_i) - ln 2 = ln(2 pi e)/2 - ln 2 =
    ln(pi e / 2) / 2; scaling adds ln s_i and a linear map ln |det A|:
    H = d ln(pi e / 2) / 2 + sum ln s_i + ln |det A| nats.
    """

    scales: tuple[float, ...] = (1.0, 2.0)
    mixing: tuple[tuple[float, ...], ...] | None = None
    name = "half_normal"

    def __post_init__(self) -> None:
        d = len(_fix_numbers(self, "scales", (None,)))
        if self.mixing is not None:
            a = _fix_numbers(self, "mixing", (d, d), positive=False)
            # conditioning, not only det != 0: a near-singular A makes ln|det A| meaningless
            if np.linalg.cond(a) > 1e12:
                raise ValueError(f"mixing must be an invertible {d} x {d} matrix (condition "
                                 f"number <= 1e12), got {self.mixing!r}")

    @property
    def dim(self) -> int:
        return len(self.scales)

    def sample(self, n: int, seed: int) -> np.ndarray:
        check_n(n)
        x = np.abs(np.random.default_rng(seed).standard_normal((n, self.dim)))
        x *= np.array(self.scales)
        return x if self.mixing is None else x @ np.array(self.mixing).T

    @property
    def entropy(self) -> float:
        log_det = 0.0 if self.mixing is None else float(np.linalg.slogdet(self.mixing)[1])
        return (0.5 * self.dim * math.log(math.pi * math.e / 2)
                + sum(math.log(s) for s in self.scales) + log_det)


@dataclass(frozen=True)
class Laplace(EntropyTask):
    """Independent Laplace columns, density exp(-|x| / b) / (2 b) (a kink at 0), ``scales``
    b_i: E|X| = b, so H = sum (1 + ln(2 b_i)) nats."""

    scales: tuple[float, ...] = (1.0, 0.5)
    name = "laplace"

    def __post_init__(self) -> None:
        _fix_numbers(self, "scales", (None,))

    @property
    def dim(self) -> int:
        return len(self.scales)

    def sample(self, n: int, seed: int) -> np.ndarray:
        check_n(n)
        return np.random.default_rng(seed).laplace(0.0, self.scales, size=(n, self.dim))

    @property
    def entropy(self) -> float:
        return float(sum(1 + math.log(2 * b) for b in self.scales))


@dataclass(frozen=True)
class Triangular(EntropyTask):
    r"""Independent symmetric triangular columns on [-w_i, w_i], ``widths`` w_i: density
    (w - |x|) / w^2, kinks at 0 and +-w. Integrating -p ln p gives H = sum (1/2 + ln w_i)
    nats. Sampled as w (U - U'), U, U' ~ Uniform(0, 1): the difference of two uniforms is
    triangular on [-1, 1]."""

    widths: tuple[float, ...] = (1.0, 2.0)
    name = "triangular"

    def __post_init__(self) -> None:
        _fix_numbers(self, "widths", (None,))

    @property
    def dim(self) -> int:
        return len(self.widths)

    def sample(self, n: int, seed: int) -> np.ndarray:
        check_n(n)
        rng = np.random.default_rng(seed)
        u = rng.random((2, n, self.dim))
        return (u[0] - u[1]) * np.array(self.widths)

    @property
    def entropy(self) -> float:
        return float(sum(0.5 + math.log(w) for w in self.widths))
