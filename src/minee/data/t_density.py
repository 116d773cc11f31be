"""NumPy pieces of every Student-t fit: the t's mean log density at Mahalanobis distances,
the distances themselves, and a bounded one-dimensional search for the degrees of freedom.

Shared by the fitted Student-t reference (:mod:`minee.training.student_t`) and the t copula of
the rank scores (:mod:`minee.data.copula`); a foundation module (numpy and scipy only).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["argmax_bounded", "mahalanobis", "mean_log_density", "log_density"]


def mahalanobis(centred: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, float]:
    """Squared Mahalanobis distances of centred rows (n, d) under ``scale`` (d, d), shape
    (n,), and ln det(scale).

    Raises:
        numpy.linalg.LinAlgError: ``scale`` is not positive definite.
    """
    chol = np.linalg.cholesky(scale)
    # one small inverse and a matrix product: solving for the n rows directly costs ~10x
    whitened = centred @ np.linalg.inv(chol).T
    return (whitened**2).sum(1), 2.0 * float(np.log(np.diag(chol)).sum())


def _log_normaliser(dof: float, d: int, logdet: float) -> float:
    """ln of a d-variate t density's constant (nats), scale of log determinant logdet."""
    return (math.lgamma((dof + d) / 2) - math.lgamma(dof / 2)
            - 0.5 * d * math.log(dof * math.pi) - 0.5 * logdet)


def mean_log_density(delta: np.ndarray, dof: float, d: int, logdet: float) -> float:
    """Mean log density (nats) of a d-variate t with ``dof`` degrees of freedom and a
    scale of log determinant ``logdet``, at rows of squared distances ``delta`` (n,)."""
    return _log_normaliser(dof, d, logdet) - (dof + d) / 2 * float(np.log1p(delta / dof).mean())


def log_density(z: np.ndarray, location: np.ndarray, scale: np.ndarray,
                dof: float) -> np.ndarray:
    """ln of the t density with ``location`` (d,), ``scale`` (d, d) and ``dof`` at each row
    of ``z`` (n, d), nats, (n,)."""
    delta, logdet = mahalanobis(z - location, scale)
    return _log_normaliser(dof, z.shape[1], logdet) - (dof + z.shape[1]) / 2 * np.log1p(
        delta / dof)


def argmax_bounded(f: Callable[[float], float], low: float, high: float,
                   tol: float = 1e-4) -> float:
    """Argmax of a unimodal ``f`` on [low, high], to within ``tol``.

    Brent's bounded search, step for step as ``scipy.optimize.minimize_scalar(...,
    method="bounded")`` takes it (the same points, the same answer: tests compare them):
    importing scipy.optimize costs every process ~0.35 CPU-s (it loads linear programming,
    scipy.linalg and scipy.sparse), more than a whole fit's search.
    """
    state = _BrentState(lambda v: -f(v), low, high, tol)
    while abs(state.xf - state.xm) > state.tol2 - 0.5 * (state.b - state.a):
        state.step()
        if state.evaluations >= 500:  # scipy's default maxiter
            break
    return float(state.xf)


_SQRT_EPS = math.sqrt(2.2e-16)
_GOLDEN = 0.5 * (3.0 - math.sqrt(5.0))


class _BrentState:
    """The bracket and the three best points of a bounded Brent minimisation of ``g``."""

    def __init__(self, g: Callable[[float], float], a: float, b: float, xatol: float):
        self.g, self.a, self.b, self.xatol = g, a, b, xatol
        self.xf = self.nfc = self.fulc = a + _GOLDEN * (b - a)
        self.fx = self.fnfc = self.ffulc = g(self.xf)
        self.rat = self.e = 0.0
        self.evaluations = 1
        self._bounds()

    def _bounds(self) -> None:
        self.xm = 0.5 * (self.a + self.b)
        self.tol1 = _SQRT_EPS * abs(self.xf) + self.xatol / 3.0
        self.tol2 = 2.0 * self.tol1

    def _parabola(self) -> bool:
        """Take a parabolic step if the fit through the three points is acceptable."""
        r = (self.xf - self.nfc) * (self.fx - self.ffulc)
        q = (self.xf - self.fulc) * (self.fx - self.fnfc)
        p = (self.xf - self.fulc) * q - (self.xf - self.nfc) * r
        q = 2.0 * (q - r)
        p, q = (-p if q > 0.0 else p), abs(q)
        r, self.e = self.e, self.rat
        if not (abs(p) < abs(0.5 * q * r) and q * (self.a - self.xf) < p < q * (self.b - self.xf)):
            return False
        self.rat = (p + 0.0) / q
        x = self.xf + self.rat
        if x - self.a < self.tol2 or self.b - x < self.tol2:
            self.rat = self.tol1 * (np.sign(self.xm - self.xf) + (self.xm == self.xf))
        return True

    def step(self) -> None:
        """One step: parabolic where acceptable, else golden section; then re-bracket."""
        if not (abs(self.e) > self.tol1 and self._parabola()):
            self.e = (self.a if self.xf >= self.xm else self.b) - self.xf
            self.rat = _GOLDEN * self.e
        x = self.xf + (np.sign(self.rat) + (self.rat == 0)) * max(abs(self.rat), self.tol1)
        fu = self.g(x)
        self.evaluations += 1
        if fu <= self.fx:
            self.a, self.b = (self.xf, self.b) if x >= self.xf else (self.a, self.xf)
            self.fulc, self.ffulc, self.nfc, self.fnfc = self.nfc, self.fnfc, self.xf, self.fx
            self.xf, self.fx = x, fu
        else:
            self.a, self.b = (x, self.b) if x < self.xf else (self.a, x)
            if fu <= self.fnfc or self.nfc == self.xf:
                self.fulc, self.ffulc, self.nfc, self.fnfc = self.nfc, self.fnfc, x, fu
            elif fu <= self.ffulc or self.fulc == self.xf or self.fulc == self.nfc:
                self.fulc, self.ffulc = x, fu
        self._bounds()
