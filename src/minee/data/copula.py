r"""Rank scores: each column's ranks mapped through a fixed quantile function.

MI is unchanged by any strictly increasing per-column map, so the estimators may read a
sample through its ranks $u_{ij} = \mathrm{rank}(x_{ij}) / (n + 1)$ (its copula) and any
marginal law $F$: $z_{ij} = F^{-1}(u_{ij})$. The choice of $F$ changes only how hard the
critics' work is. Normal scores ($F = \Phi$) make every column Gaussian, but heavy-tailed
dependence survives them (the copula of a multivariate Student-t is not Gaussian), and
against a fitted reference the critics must then learn the gap, which is slow: 1,200-1,500
training steps on 4 + 4 and 6 + 6 Student-t columns, where the default stops after 400.

Student-t scores with the degrees of freedom $\nu$ of the sample's own copula remove that
gap when the copula is a t copula: the scores are then close to multivariate Student-t
(rank quantiles under the fitted $\nu$), the fitted Student-t reference
(:class:`minee.training.student_t.StudentT`) matches them in every column set, and the critics have
only the sampling noise left to learn. $\nu$ is fitted by profile pseudo-likelihood
(Genest, Ghoudi and Rivest 1995): for each $\nu$ the scores' multivariate t log density
with $\nu$ and a scatter matrix fitted by EM at that $\nu$, minus the columns' standard
univariate t log densities. The scatter is fitted free, its diagonal not held at 1, so
this is the t copula's log density only where the fitted diagonal is 1 (as it is near the
right $\nu$); its maximiser agreed with the unit-diagonal one within 1% on 12 of 13
samples checked (uniform noise, whose scores are near-normal either way: 50 vs 70). On
Gaussian-copula data the fitted $\nu$ is large, and the scores are normal scores.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import special

from .t_density import argmax_bounded, mahalanobis, mean_log_density

__all__ = ["DOF_RANGE", "copula_dof", "normal_scores", "student_scores", "uniform_ranks"]

#: degrees of freedom searched for the copula, (low, high); above ~100 the t scores are
#: normal scores to within 1% in the bulk
DOF_RANGE = (1.0, 1000.0)
_EM_STEPS = 5  # scatter-matrix EM steps per candidate dof, from the normal scores' correlation
_TOL = 0.01  # tolerance on ln(dof)


def uniform_ranks(data: np.ndarray) -> np.ndarray:
    """Per column, rank / (n + 1) in (0, 1), tied values sharing their mean rank: (n, D)."""
    ranks = np.stack([_mean_ranks(col) for col in data.T], axis=1)
    return ranks / (data.shape[0] + 1)


def _mean_ranks(col: np.ndarray) -> np.ndarray:
    """Ranks 1..n of a column (n,), tied values sharing their mean rank."""
    _, inverse, counts = np.unique(col, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)
    return ((last - counts + 1 + last) / 2)[inverse]


def _distinct(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``u`` and the (n, D) indices into them: without ties every
    column holds the same n values, so a quantile function costs one column, not D."""
    values, inverse = np.unique(u, return_inverse=True)
    return values, inverse.reshape(u.shape)


def _quantiles(dof: float, distinct: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Student-t quantiles (n, D) of the ranks given by :func:`_distinct`."""
    values, inverse = distinct
    return special.stdtrit(dof, values)[inverse]


def normal_scores(u: np.ndarray) -> np.ndarray:
    """Normal scores $\\Phi^{-1}(u)$ of uniform ranks (n, D)."""
    return special.ndtri(u)


def student_scores(u: np.ndarray, dof: float) -> np.ndarray:
    """Standard Student-t scores $t_\\nu^{-1}(u)$ of uniform ranks (n, D)."""
    return _quantiles(dof, _distinct(u))


def _profile(log_dof: float, *, distinct: tuple[np.ndarray, np.ndarray],
             start: np.ndarray) -> float:
    """Mean t-copula log density at dof = exp(log_dof) of the ranks given by ``distinct``
    (their distinct values and the (n, D) indices into them), the scatter matrix fitted by
    EM from ``start`` (D, D)."""
    dof = math.exp(log_dof)
    q = _quantiles(dof, distinct)
    n, d = q.shape
    scatter = start
    for _ in range(_EM_STEPS):
        delta, _ = mahalanobis(q, scatter)
        w = (dof + d) / (dof + delta)
        scatter = (w[:, None] * q).T @ q / n
    delta, logdet = mahalanobis(q, scatter)
    columns = sum(mean_log_density(q[:, j] ** 2, dof, 1, 0.0) for j in range(d))
    return mean_log_density(delta, dof, d, logdet) - columns


def copula_dof(u: np.ndarray) -> float:
    """Degrees of freedom of the t copula that fits the uniform ranks best.

    Arguments:
        u: uniform ranks of one sample, (n, D), from :func:`uniform_ranks` (finite data
            without constant columns: the estimators check both first).

    Returns:
        The profile pseudo-likelihood maximiser in :data:`DOF_RANGE`; its upper end (normal
        scores, in effect) for one column, whose copula is uniform and says nothing of
        tails, and for collinear columns, which no copula density fits (judged by a
        Cholesky factorisation failing during the search; the estimators' collinearity
        check then names them).
    """
    d = u.shape[1]
    if d == 1:
        return DOF_RANGE[1]
    start = np.corrcoef(normal_scores(u), rowvar=False).reshape(d, d)
    try:
        profile = functools.partial(_profile, distinct=_distinct(u), start=start)
        log_dof = argmax_bounded(profile, math.log(DOF_RANGE[0]), math.log(DOF_RANGE[1]),
                                 tol=_TOL)
    except np.linalg.LinAlgError:
        return DOF_RANGE[1]
    return math.exp(log_dof)
