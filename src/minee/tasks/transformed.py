"""HG(rho, d) seen through invertible maps: coordinatewise monotone transforms (MI unchanged,
entropies shifted) and a volume-preserving swirl of X (MI and entropies unchanged)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .base import (
    LOG_2PIE,
    Task,
    check_n,
    fix_choice,
    fix_int,
    fix_real,
    normal_cdf,
    normal_expectation,
)
from .gaussian import HighDimGaussian

__all__ = ["MonotoneGaussian", "SwirlGaussian", "MONOTONE_TRANSFORMS"]

# E ln|Z| for Z ~ N(0, 1): ln|Z| = ln(Z^2)/2 and E ln chi2_1 = psi(1/2) + ln 2 = -gamma - ln 2
_E_LOG_ABS_Z = -0.5 * (float(np.euler_gamma) + math.log(2))


def _half_cube(z: np.ndarray) -> np.ndarray:
    return np.sign(z) * np.abs(z) ** 1.5


def _cube(z: np.ndarray) -> np.ndarray:
    return z**3


def _asinh_log_slope() -> float:
    # g'(z) = (1 + z^2)^(-1/2); E ln(1 + Z^2) has no elementary form, so it is integrated
    # (exponentially accurate: ln(1 + z^2) is analytic for |Im z| < 1)
    return -0.5 * normal_expectation(lambda z: np.log1p(z * z))


# name -> (g, a function giving E[ln g'(Z)] in nats, Z ~ N(0, 1)).
# - sign(z)|z|^p ("cube": p = 3, "half_cube": p = 3/2): g'(z) = p|z|^(p-1), so
#   E ln g'(Z) = ln p + (p - 1) E ln|Z| (finite although g'(0) = 0 for p > 1).
# - the normal CDF: ln phi(z) = -ln(2 pi)/2 - z^2/2 has mean -ln(2 pi e)/2; the transformed
#   coordinate is uniform on (0, 1), entropy 0.
MONOTONE_TRANSFORMS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[], float]]] = {
    "normal_cdf": (normal_cdf, lambda: -0.5 * LOG_2PIE),
    "asinh": (np.arcsinh, _asinh_log_slope),
    "cube": (_cube, lambda: math.log(3.0) + 2 * _E_LOG_ABS_Z),
    "half_cube": (_half_cube, lambda: math.log(1.5) + 0.5 * _E_LOG_ABS_Z),
}


@dataclass(frozen=True)
class MonotoneGaussian(Task):
    r"""HG(rho, d) with every coordinate of X and Y passed through one strictly increasing g.

    ``transform``: "normal_cdf" (Phi, the standard normal CDF: uniform marginals, a Gaussian
    copula), "asinh", "cube" (z^3) or "half_cube" (sign(z) |z|^(3/2)). The samples are exactly
    g applied to ``HighDimGaussian(rho, d).sample(n, seed)``.

    Truth: MI is invariant under invertible maps of X and of Y, so
    I = -(d/2) ln(1 - rho^2) nats, as for HG. Entropies shift by the expected log-Jacobian,
    H(g(Z)) = H(Z) + E ln g'(Z), and every coordinate is marginally N(0, 1), so with
    e = E ln g'(Z): H(X) = H(Y) = HG's + d e and H(X, Y) = HG's + 2 d e, where
    e = -ln(2 pi e)/2 (normal_cdf), ln 3 - gamma - ln 2 (cube),
    ln(3/2) - (gamma + ln 2)/4 (half_cube), -E ln(1 + Z^2)/2 (asinh, numerical).
    """

    rho: float = 0.9
    d: int = 2
    transform: str = "cube"
    name = "monotone"

    def __post_init__(self) -> None:
        fix_real(self, "rho", 0.0, 1.0, low_closed=True)
        fix_int(self, "d")
        fix_choice(self, "transform", MONOTONE_TRANSFORMS)

    @property
    def gaussian(self) -> HighDimGaussian:
        """The HG task whose samples are transformed."""
        return HighDimGaussian(self.rho, self.d)

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        g = MONOTONE_TRANSFORMS[self.transform][0]
        x, y = self.gaussian.sample(n, seed)
        return g(x), g(y)

    @property
    def log_slope(self) -> float:
        """E[ln g'(Z)], Z ~ N(0, 1), nats: the entropy change per coordinate."""
        return MONOTONE_TRANSFORMS[self.transform][1]()

    @property
    def entropies(self) -> dict[str, float]:
        base, shift = self.gaussian.entropies, self.d * self.log_slope
        return {"x": base["x"] + shift, "y": base["y"] + shift, "xy": base["xy"] + 2 * shift}

    @property
    def mutual_information(self) -> float:
        return self.gaussian.mutual_information


@dataclass(frozen=True)
class SwirlGaussian(Task):
    r"""HG(rho, d), d >= 2, with X alone swirled: each consecutive pair (x_2k, x_2k+1) is
    rotated by the angle theta = strength * r, r = sqrt(x_2k^2 + x_2k+1^2) (an odd last
    coordinate is left as is). Y is HG's Y. The samples are exactly :meth:`swirl` applied to
    the X of ``HighDimGaussian(rho, d).sample(n, seed)``.

    Why nothing changes: in polar coordinates the map is (r, phi) -> (r, phi + theta(r)), whose
    Jacobian [[1, 0], [theta'(r), 1]] has determinant 1, and the area element r dr dphi keeps
    its r; so the map is a bijection (undo it by rotating back by -theta(r), r being unchanged)
    with unit Jacobian determinant. A bijection of X leaves I(X; Y) unchanged, and a unit
    Jacobian leaves H(X) and H(X, Y) unchanged. (X is even still N(0, I): the standard normal
    is rotation invariant. Only the dependence on Y is twisted.) So, as for HG,
    I = -(d/2) ln(1 - rho^2) nats and the entropies are HG's.
    """

    rho: float = 0.9
    d: int = 2
    strength: float = 1.0
    name = "swirl"

    def __post_init__(self) -> None:
        fix_real(self, "rho", 0.0, 1.0, low_closed=True)
        fix_int(self, "d", 2)
        fix_real(self, "strength")

    @property
    def gaussian(self) -> HighDimGaussian:
        """The HG task whose X is swirled."""
        return HighDimGaussian(self.rho, self.d)

    def _rotate(self, x: np.ndarray, sign: float) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.d:
            raise ValueError(f"expected an array of shape (n, {self.d}), got {x.shape}")
        pairs = 2 * (self.d // 2)
        a, b = x[:, 0:pairs:2], x[:, 1:pairs:2]
        theta = sign * self.strength * np.hypot(a, b)
        cos, sin = np.cos(theta), np.sin(theta)
        out = x.copy()
        out[:, 0:pairs:2] = cos * a - sin * b
        out[:, 1:pairs:2] = sin * a + cos * b
        return out

    def swirl(self, x: np.ndarray) -> np.ndarray:
        """The volume-preserving map applied to X: shape (n, d) -> (n, d)."""
        return self._rotate(x, 1.0)

    def unswirl(self, x: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`swirl` (rotation keeps r, so rotating back by -theta(r))."""
        return self._rotate(x, -1.0)

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        check_n(n)
        x, y = self.gaussian.sample(n, seed)
        return self.swirl(x), y

    @property
    def entropies(self) -> dict[str, float]:
        return self.gaussian.entropies

    @property
    def mutual_information(self) -> float:
        return self.gaussian.mutual_information
