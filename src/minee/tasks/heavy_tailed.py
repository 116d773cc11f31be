"""Heavy-tailed tasks: a jointly Student-t (X, Y), and independent pairs (Gaussian, Student-t,
Cauchy) whose MI is exactly zero."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .base import LOG_2PIE, Task, check_n, fix_choice, fix_int, fix_real, student_entropy

__all__ = ["StudentT", "Independent"]


def _t_scale(rng: np.random.Generator, dof: float, n: int) -> np.ndarray:
    """sqrt(dof / chi2_dof), shape (n, 1): the per-row factor turning N(0, S) into t_dof(0, S)."""
    return np.sqrt(dof / rng.chisquare(dof, n))[:, None]


@dataclass(frozen=True)
class StudentT(Task):
    r"""(X, Y) jointly multivariate Student-t with ``dof`` degrees of freedom, zero location and
    scale matrix R: identity blocks for X (dx) and Y (dy), and correlation ``rho`` between the
    matched coordinates (x_i, y_i), i < m = min(dx, dy).

    Sampling: (X, Y) = (G_x, G_y) / sqrt(W / nu) with (G_x, G_y) ~ N(0, R) and one W ~ chi2_nu
    per row, shared by X and Y. That shared scale makes X and Y dependent even at rho = 0.

    Truth: a d-dimensional t_nu with scale S has entropy
    H_nu,d(S) = ln det(S)/2 + ln[(nu pi)^(d/2) Gamma(nu/2) / Gamma((nu+d)/2)]
    + (nu+d)/2 [psi((nu+d)/2) - psi(nu/2)], and the marginals of a t are t with the same nu
    and the sub-blocks of the scale. With det R_x = det R_y = 1 and det R = (1 - rho^2)^m,

        I = H_nu,dx(I) + H_nu,dy(I) - H_nu,dx+dy(R)
          = -(m/2) ln(1 - rho^2) + c(dx) + c(dy) - c(dx + dy)   nats,

    c(d) = ln Gamma(nu/2) - ln Gamma((nu+d)/2) + (nu+d)/2 [psi((nu+d)/2) - psi(nu/2)] (the
    (nu pi)^(d/2) terms cancel). The second part is the MI of the shared scale: > 0 for any
    finite nu, and -> 0 as nu -> infinity (the Gaussian limit). Rounding in the cancelling
    Gamma and digamma terms stays below 1e-8 nats up to nu ~ 1e8 (use "hg" beyond).
    """

    dof: float = 3.0
    dx: int = 1
    dy: int = 1
    rho: float = 0.0
    name = "student"

    def __post_init__(self) -> None:
        fix_real(self, "dof", 0.0)
        fix_int(self, "dx")
        fix_int(self, "dy")
        fix_real(self, "rho", -1.0, 1.0)

    @property
    def scale_matrix(self) -> np.ndarray:
        """R, shape (dx + dy, dx + dy): the scale of the stacked (X, Y)."""
        matched = np.arange(min(self.dx, self.dy))
        r = np.eye(self.dx + self.dy)
        r[matched, self.dx + matched] = self.rho
        r[self.dx + matched, matched] = self.rho
        return r

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        check_n(n)
        rng = np.random.default_rng(seed)
        m = min(self.dx, self.dy)
        x = rng.standard_normal((n, self.dx))
        y = rng.standard_normal((n, self.dy))
        y[:, :m] = self.rho * x[:, :m] + math.sqrt(1 - self.rho**2) * y[:, :m]
        scale = _t_scale(rng, self.dof, n)
        return x * scale, y * scale

    @property
    def entropies(self) -> dict[str, float]:
        logdet = min(self.dx, self.dy) * math.log1p(-self.rho**2)
        return {"x": student_entropy(self.dof, self.dx, 0.0),
                "y": student_entropy(self.dof, self.dy, 0.0),
                "xy": student_entropy(self.dof, self.dx + self.dy, logdet)}

    @property
    def mutual_information(self) -> float:
        # the (nu pi)^(d/2) terms of the three entropies cancel exactly; leaving them in costs
        # nothing measurable, so the entropies are reused
        ent = self.entropies
        return ent["x"] + ent["y"] - ent["xy"]


_DOF = {"student": 3.0, "cauchy": 1.0}


@dataclass(frozen=True)
class Independent(Task):
    r"""X and Y independent, so I = 0 exactly; a check that an estimator reports no MI.

    ``kind``: "gaussian" (X ~ N(0, I_dx), Y ~ N(0, I_dy)), "student" (X and Y each a
    multivariate t_3 with identity scale, each with its own chi-square draw) or "cauchy" (the
    same with 1 degree of freedom). The coordinates *within* X (and within Y) of the t and
    Cauchy kinds are dependent through their shared scale, but X is independent of Y.

    Entropies: H = (d/2) ln(2 pi e) for the Gaussian; the multivariate-t entropy
    H_nu,d(I) (see :class:`StudentT`) for the others; H(X, Y) = H(X) + H(Y).
    """

    dx: int = 1
    dy: int = 1
    kind: str = "gaussian"
    name = "independent"

    def __post_init__(self) -> None:
        fix_int(self, "dx")
        fix_int(self, "dy")
        fix_choice(self, "kind", ("gaussian", *_DOF))

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        check_n(n)
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((n, self.dx))
        y = rng.standard_normal((n, self.dy))
        if self.kind != "gaussian":
            dof = _DOF[self.kind]
            x *= _t_scale(rng, dof, n)
            y *= _t_scale(rng, dof, n)
        return x, y

    def _entropy(self, d: int) -> float:
        if self.kind == "gaussian":
            return 0.5 * d * LOG_2PIE
        return student_entropy(_DOF[self.kind], d, 0.0)

    @property
    def entropies(self) -> dict[str, float]:
        hx, hy = self._entropy(self.dx), self._entropy(self.dy)
        return {"x": hx, "y": hy, "xy": hx + hy}

    @property
    def mutual_information(self) -> float:
        return 0.0
