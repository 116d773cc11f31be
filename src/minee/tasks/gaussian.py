"""Gaussian tasks: the paper's MG(rho) and HG(rho, d), dense or sparse correlated Gaussians,
and the near-deterministic Y = X + small noise."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .base import LOG_2PIE, Task, check_n, fix_choice, fix_int, fix_real, gaussian_entropy

__all__ = ["MixedGaussian", "HighDimGaussian", "CorrelatedGaussian", "NearDeterministic"]


@dataclass(frozen=True)
class MixedGaussian(Task):
    r"""MG(rho), eq. 24: an equal mixture of N(0, [[1, rho], [rho, 1]]) and its mirror.

    Both marginals are standard normal; H(X, Y) is integrated numerically.
    """

    rho: float = 0.9
    name = "mg"

    def __post_init__(self) -> None:
        if not 0 <= self.rho < 1:
            raise ValueError(f"rho must be in [0, 1), got {self.rho}")

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        check_n(n)
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(n)
        sign = rng.choice([-1.0, 1.0], size=n)
        y = sign * self.rho * x + math.sqrt(1 - self.rho**2) * rng.standard_normal(n)
        return x[:, None], y[:, None]

    def density(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """p(x, y), broadcasting over x and y."""
        r2 = 1 - self.rho**2
        norm = 1 / (2 * math.pi * math.sqrt(r2))
        q = x**2 + y**2
        return 0.5 * norm * (np.exp(-(q - 2 * self.rho * x * y) / (2 * r2))
                             + np.exp(-(q + 2 * self.rho * x * y) / (2 * r2)))

    @cached_property
    def joint_entropy(self) -> float:
        """H(X, Y) by a composite Simpson rule on [-12, 12]^2 (error far below 1e-6 nats).

        In the rotated coordinates u = (x+y)/sqrt2, v = (x-y)/sqrt2 each component is
        axis-aligned; the integrand is smooth and decays like a Gaussian, so a fine grid
        is exact to float precision.
        """
        grid = np.linspace(-12, 12, 2401)
        w = np.ones_like(grid)
        w[1:-1:2], w[2:-1:2] = 4, 2
        w *= (grid[1] - grid[0]) / 3
        x, y = np.meshgrid(grid, grid, indexing="ij")
        p = self.density(x, y)
        integrand = -p * np.log(np.where(p > 0, p, 1.0))
        return float(w @ integrand @ w)

    @property
    def entropies(self) -> dict[str, float]:
        h = 0.5 * LOG_2PIE
        return {"x": h, "y": h, "xy": self.joint_entropy}

    @property
    def mutual_information(self) -> float:
        return LOG_2PIE - self.joint_entropy


@dataclass(frozen=True)
class HighDimGaussian(Task):
    r"""HG(rho, d), eq. 25: d independent pairs (x_i, y_i), each standard bivariate normal
    with correlation rho. I = -(d/2) ln(1 - rho^2)."""

    rho: float = 0.9
    d: int = 6
    name = "hg"

    def __post_init__(self) -> None:
        if not 0 <= self.rho < 1:
            raise ValueError(f"rho must be in [0, 1), got {self.rho}")
        if isinstance(self.d, bool) or not isinstance(self.d, int) or self.d < 1:
            raise ValueError(f"d must be a positive int, got {self.d!r}")

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        check_n(n)
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((n, self.d))
        y = self.rho * x + math.sqrt(1 - self.rho**2) * rng.standard_normal((n, self.d))
        return x, y

    @property
    def entropies(self) -> dict[str, float]:
        h = 0.5 * self.d * LOG_2PIE
        return {"x": h, "y": h, "xy": 2 * h + 0.5 * self.d * math.log(1 - self.rho**2)}

    @property
    def mutual_information(self) -> float:
        return -0.5 * self.d * math.log(1 - self.rho**2)


@dataclass(frozen=True)
class CorrelatedGaussian(Task):
    r"""A jointly Gaussian (X, Y) in R^dx x R^dy with a dense or sparse cross-covariance.

    X ~ N(0, I_dx) and Y = D (A X + E), E ~ N(0, I_dy), where the (dy, dx) loading matrix A
    is drawn once from ``numpy.random.default_rng(seed)`` (``seed`` fixes the *problem*; the
    seed given to :meth:`sample` fixes the *draw*), and D = diag(A A^T + I)^(-1/2) scales every
    Y coordinate to unit variance.

    - ``kind="dense"``: A = strength * G / sqrt(dx), G with i.i.d. N(0, 1) entries, so each
      Y coordinate has R^2 ~ strength^2 / (1 + strength^2) on all of X.
    - ``kind="sparse"``: k = min(3, dx, dy) X coordinates are each copied, with a random
      sign and gain ``strength``, into one of k distinct Y coordinates; the rest are noise.
      Then I = (k/2) ln(1 + strength^2).

    Truth: with Sigma the covariance of (X, Y) (X block I, Y block D (A A^T + I) D, cross
    block A^T D), I = [ln det Sigma_x + ln det Sigma_y - ln det Sigma] / 2 nats
    (= ln det(I + A A^T) / 2, since D cancels), from numpy's slogdet. Entropies:
    H = [m ln(2 pi e) + ln det Sigma_block] / 2 for each block of dimension m.
    """

    dx: int = 5
    dy: int = 5
    kind: str = "dense"
    strength: float = 0.5
    seed: int = 0
    name = "gaussian"

    def __post_init__(self) -> None:
        fix_int(self, "dx")
        fix_int(self, "dy")
        fix_choice(self, "kind", ("dense", "sparse"))
        fix_real(self, "strength", 0.0, low_closed=True)
        fix_int(self, "seed", 0)

    @cached_property
    def loadings(self) -> np.ndarray:
        """A, shape (dy, dx): Y's dependence on X before standardisation (do not modify)."""
        rng = np.random.default_rng(self.seed)
        if self.kind == "dense":
            return self.strength * rng.standard_normal((self.dy, self.dx)) / math.sqrt(self.dx)
        k = min(3, self.dx, self.dy)
        rows = rng.choice(self.dy, size=k, replace=False)
        cols = rng.choice(self.dx, size=k, replace=False)
        a = np.zeros((self.dy, self.dx))
        a[rows, cols] = self.strength * rng.choice([-1.0, 1.0], size=k)
        return a

    @cached_property
    def y_scale(self) -> np.ndarray:
        """diag(D), shape (dy,): 1 / the standard deviation of each coordinate of A X + E."""
        return 1 / np.sqrt(1 + np.sum(self.loadings**2, axis=1))

    @cached_property
    def covariance(self) -> np.ndarray:
        """Covariance of the stacked (X, Y), shape (dx + dy, dx + dy)."""
        a, scale = self.loadings, self.y_scale
        cov_y = (a @ a.T + np.eye(self.dy)) * scale[:, None] * scale[None, :]
        cross = a.T * scale  # Cov(X, Y) = E[X (A X + E)^T] D = A^T D
        return np.block([[np.eye(self.dx), cross], [cross.T, cov_y]])

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        check_n(n)
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((n, self.dx))
        noise = rng.standard_normal((n, self.dy))
        return x, (x @ self.loadings.T + noise) * self.y_scale

    def _logdets(self) -> tuple[float, float, float]:
        cov = self.covariance
        dets = [np.linalg.slogdet(c) for c in
                (cov[:self.dx, :self.dx], cov[self.dx:, self.dx:], cov)]
        return float(dets[0][1]), float(dets[1][1]), float(dets[2][1])

    @property
    def entropies(self) -> dict[str, float]:
        lx, ly, lxy = self._logdets()
        return {"x": gaussian_entropy(self.dx, lx), "y": gaussian_entropy(self.dy, ly),
                "xy": gaussian_entropy(self.dx + self.dy, lxy)}

    @property
    def mutual_information(self) -> float:
        lx, ly, lxy = self._logdets()
        return 0.5 * (lx + ly - lxy)


@dataclass(frozen=True)
class NearDeterministic(Task):
    r"""Y = X + noise * E with X, E ~ N(0, I_d) independent: high MI as noise -> 0.

    Per coordinate (X, Y) is bivariate normal with Var Y = 1 + s^2 and Var(Y | X) = s^2, so
    I = h(Y) - h(Y | X) = (d/2) ln(1 + 1/s^2) nats, s = noise. Entropies:
    H(X) = (d/2) ln(2 pi e), H(Y) = (d/2) ln(2 pi e (1 + s^2)),
    H(X, Y) = H(X) + H(Y | X) = (d/2) [ln(2 pi e) + ln(2 pi e s^2)].
    """

    d: int = 1
    noise: float = 0.1
    name = "near_deterministic"

    def __post_init__(self) -> None:
        fix_int(self, "d")
        fix_real(self, "noise", 0.0)

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        check_n(n)
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((n, self.d))
        return x, x + self.noise * rng.standard_normal((n, self.d))

    @property
    def entropies(self) -> dict[str, float]:
        s2 = self.noise**2
        h = 0.5 * self.d * LOG_2PIE
        return {"x": h, "y": h + 0.5 * self.d * math.log1p(s2),
                "xy": 2 * h + 0.5 * self.d * math.log(s2)}

    @property
    def mutual_information(self) -> float:
        return 0.5 * self.d * math.log1p(1 / self.noise**2)
