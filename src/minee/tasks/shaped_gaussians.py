"""Gaussians given shape: twisted by a norm-dependent rotation (:class:`CurvedGaussian`,
closed-form truths) and diluted by independent rows (:class:`PartlyIndependent`, a Monte
Carlo truth with its standard error, :class:`~minee.tasks.shapes.MonteCarloTask`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .base import LOG_2PIE, Task, check_n, fix_int, fix_real
from .shapes import TRUTH_DRAWS, MonteCarloTask, column_means

__all__ = ["CurvedGaussian", "PartlyIndependent"]


@dataclass(frozen=True)
class CurvedGaussian(Task):
    r"""Correlated Gaussians with each side twisted by a rotation that grows with its norm.

    Before the twist, X, Y ~ N(0, I_d) with corr(x_i, y_i) = rho for i < ``active`` and other
    pairs independent; rho = sqrt(1 - exp(-2 mi / active)), so -(active/2) ln(1 - rho^2) =
    ``mi`` nats. Each side v in R^d is then rotated in the planes (0, 1), (2, 3), ... (an odd
    last coordinate left as is) by theta = twist |v|.

    Why the truths are the Gaussian's: the map is T(v) = Q(theta(|v|)) v, Q(theta) =
    exp(theta J) with J block-diagonal skew. Each plane keeps its norm, so |T(v)| = |v| and
    rotating by -twist |T(v)| undoes T: a bijection, so I(X; Y) = mi. Its Jacobian
    Q (I + (theta'/|v|) J v v^T) has determinant 1 + (theta'/|v|) v^T J v = 1 (v^T J v = 0
    for skew J): T preserves volume, so H(X) = H(Y) = (d/2) ln(2 pi e) and
    H(X, Y) = d ln(2 pi e) - mi. (X is even still N(0, I); only the dependence is curved.)
    """

    d: int = 4
    active: int = 2
    mi: float = 1.0
    twist: float = 1.5
    name = "curved"

    def __post_init__(self) -> None:
        fix_int(self, "d", 2)
        _fix_active(self)
        fix_real(self, "mi", 0.0, low_closed=True)
        fix_real(self, "twist")

    @property
    def rho(self) -> float:
        """The correlation of each active pair before the twist."""
        return math.sqrt(-math.expm1(-2 * self.mi / self.active))

    def gaussian_sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """The untwisted Gaussian pair behind ``sample(n, seed)``: two (n, d) arrays."""
        check_n(n)
        rng = np.random.default_rng(seed)
        x, y = rng.standard_normal((n, self.d)), rng.standard_normal((n, self.d))
        a = self.active  # exp(-mi/a) = sqrt(1 - rho^2), exact even where rho^2 rounds to 1
        y[:, :a] = self.rho * x[:, :a] + math.exp(-self.mi / a) * y[:, :a]
        return x, y

    def curve(self, v: np.ndarray, inverse: bool = False) -> np.ndarray:
        """The twist (or its inverse) applied to rows v: shape (n, d) -> (n, d)."""
        v = np.asarray(v, dtype=float)
        if v.ndim != 2 or v.shape[1] != self.d:
            raise ValueError(f"expected an array of shape (n, {self.d}), got {v.shape}")
        theta = (-1.0 if inverse else 1.0) * self.twist * np.linalg.norm(v, axis=1, keepdims=True)
        cos, sin, pairs = np.cos(theta), np.sin(theta), 2 * (self.d // 2)
        a, b = v[:, 0:pairs:2], v[:, 1:pairs:2]
        out = v.copy()
        out[:, 0:pairs:2], out[:, 1:pairs:2] = cos * a - sin * b, sin * a + cos * b
        return out

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.gaussian_sample(n, seed)
        return self.curve(x), self.curve(y)

    @property
    def entropies(self) -> dict[str, float]:
        h = 0.5 * self.d * LOG_2PIE
        return {"x": h, "y": h, "xy": 2 * h - self.mi}

    @property
    def mutual_information(self) -> float:
        return self.mi


def _fix_active(task: Task) -> None:
    if fix_int(task, "active") > task.d:  # type: ignore[attr-defined]
        raise ValueError(f"active must be an int in [1, d], got {task.active}")  # type: ignore


@dataclass(frozen=True)
class PartlyIndependent(MonteCarloTask):
    r"""A Gaussian diluted by independent rows: with probability 1 - share, (X, Y) ~
    N(0, [[I, P], [P, I]]), P = diag(rho on the first ``active`` of d coordinates, then 0);
    with probability ``share``, X, Y ~ N(0, I_d) independently.

    Truth: both components have N(0, I_d) marginals, so H(X) = H(Y) = (d/2) ln(2 pi e)
    exactly. The inactive coordinates cancel from p(x, y) / (p(x) p(y)) =
    (1 - share) e^L + share, where L = sum_{i < active} [-ln(1 - rho^2)/2 - (rho^2 (x_i^2 +
    y_i^2) - 2 rho x_i y_i) / (2 (1 - rho^2))] is the Gaussian's log density ratio; so
    I = E ln[(1 - share) e^L + share] is a Monte Carlo mean over the active coordinates
    (exactly 0 at share = 1; -(active/2) ln(1 - rho^2) up to Monte Carlo error at share = 0),
    and H(X, Y) = H(X) + H(Y) - I carries I's standard error.
    """

    d: int = 3
    active: int = 2
    rho: float = 0.9
    share: float = 0.3
    name = "partly_independent"

    def __post_init__(self) -> None:
        fix_int(self, "d")
        _fix_active(self)
        fix_real(self, "rho", -1.0, 1.0)
        if fix_real(self, "share", 0.0, low_closed=True) > 1:
            raise ValueError(f"share must be a number in [0, 1], got {self.share!r}")

    def _draw(self, rng: np.random.Generator, n: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
        """(X, Y), each (n, cols), cols >= active."""
        x, y = rng.standard_normal((n, cols)), rng.standard_normal((n, cols))
        linked, a, rho = rng.random(n) >= self.share, self.active, self.rho
        y[linked, :a] = rho * x[linked, :a] + math.sqrt(1 - rho * rho) * y[linked, :a]
        return x, y

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        check_n(n)
        return self._draw(np.random.default_rng(seed), n, self.d)

    def log_ratio(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """ln p(x, y) - ln p(x) - ln p(y) at rows x, y (n, d) (or (n, active)): (n,), nats."""
        a, rho = self.active, self.rho
        u, v, r2 = x[:, :a], y[:, :a], 1 - rho * rho
        gauss = np.sum(-0.5 * math.log(r2) - (rho * rho * (u * u + v * v) - 2 * rho * u * v)
                       / (2 * r2), axis=1)
        # ln 0 = -inf at share 0 or 1: logaddexp then returns the other term exactly
        log_keep = math.log(1 - self.share) if self.share < 1 else -math.inf
        log_share = math.log(self.share) if self.share > 0 else -math.inf
        return np.logaddexp(log_keep + gauss, log_share)

    def monte_carlo(self, seed: int, draws: int = TRUTH_DRAWS) -> dict[str, tuple[float, float]]:
        def pointwise(rng: np.random.Generator, m: int) -> np.ndarray:
            return self.log_ratio(*self._draw(rng, m, self.active))[:, None]

        mean, err = column_means(pointwise, seed, draws)
        mi, h = float(mean[0]), 0.5 * self.d * LOG_2PIE
        return {"mi": (mi, float(err[0])), "x": (h, 0.0), "y": (h, 0.0),
                "xy": (2 * h - mi, float(err[0]))}
