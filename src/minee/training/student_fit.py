r"""Maximum-likelihood fits of the multivariate Student-t, and the test of the variables'
independence that chooses between one joint t and one t per variable.

The numerics behind :class:`minee.training.student_t.StudentT` (which
:func:`~minee.training.student_t.fit_member` fits per member): the parameter-expanded EM
for the location and scale with the degrees of freedom maximised at every step (ECME; Liu
and Rubin 1995), and the likelihood-ratio test with Box's factor. NumPy in float64, one
sample at a time.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import special

from ..data.t_density import argmax_bounded, mahalanobis, mean_log_density

__all__ = ["LEVEL", "fit_student_t", "independence_test", "log_likelihood"]

_DOF_RANGE = (0.5, 1000.0)  # fitted degrees of freedom are kept in this range
_EM_STEPS = 100
_TOL = 1e-7  # relative change of the location and scale that ends EM
_COLLAPSE = 20.0  # nats of log det(scale) below the sample covariance's: a degenerate fit
#: The joint t is kept where the variables' independence is rejected at this level
#: (:func:`independence_test`); one t per variable otherwise.
LEVEL = 0.95


def _dof_likelihood(log_dof: float, *, delta: np.ndarray, logdet: float, d: int) -> float:
    return mean_log_density(delta, math.exp(log_dof), d, logdet)


def fit_student_t(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Maximum-likelihood location, scale matrix and degrees of freedom (ECME).

    Arguments:
        z: one sample, shape (n, d), float64.

    Returns:
        ``(location (d,), scale (d, d), dof)``.

    Raises:
        numpy.linalg.LinAlgError: the sample covariance is singular.
    """
    n, d = z.shape
    mean, scale = z.mean(0), np.cov(z, rowvar=False).reshape(d, d)
    # log det(scale) below this: the fit is collapsing onto an atom. Only rows that pile
    # onto a value of a column can make the likelihood unbounded (continuous rows in
    # general position cannot), and heavy tails inflate the sample covariance that sets
    # the floor (5-D Cauchy rows: ~50 nats above the fit's scale), so without ties there
    # is no floor: the fit converges
    floor = -math.inf
    if _has_ties(z):
        floor = mahalanobis(z - mean, scale)[1] - _COLLAPSE
    dof = 10.0
    for _ in range(_EM_STEPS):
        delta, _ = mahalanobis(z - mean, scale)
        w = (dof + d) / (dof + delta)
        new_mean = (w[:, None] * z).sum(0) / w.sum()
        centred = z - new_mean
        # divided by the weights' sum, not n: the parameter-expanded EM (Kent, Tyler and
        # Vardi 1994; Liu, Rubin and Wu 1998), whose fixed points are EM's (there the
        # weights sum to n) but which reaches them in a fraction of the steps (Student-t
        # 5 + 5 columns, dof 3: 11 steps, not 68; dof 1 converges where EM stopped at
        # its step limit)
        new_scale = (w[:, None] * centred).T @ centred / w.sum()
        # many rows on one value make the likelihood unbounded as the scale shrinks onto
        # them: keep the last fit before that (the `discrete` flag reports such data)
        try:
            delta, logdet = mahalanobis(z - new_mean, new_scale)
        except np.linalg.LinAlgError:
            break
        if logdet < floor:
            break
        likelihood = functools.partial(_dof_likelihood, delta=delta, logdet=logdet, d=d)
        log_dof = argmax_bounded(likelihood, math.log(_DOF_RANGE[0]), math.log(_DOF_RANGE[1]))
        change = (np.abs(new_mean - mean).max() / (1 + np.abs(mean).max())
                  + np.abs(new_scale - scale).max() / np.abs(scale).max())
        mean, scale, dof = new_mean, new_scale, math.exp(log_dof)
        if change < _TOL:
            break
    return mean, scale, dof


def _has_ties(z: np.ndarray) -> bool:
    """Whether some column of ``z`` (n, d) holds a value more than once."""
    ordered = np.sort(z, axis=0)
    return bool((ordered[1:] == ordered[:-1]).any())


def log_likelihood(z: np.ndarray, fit: tuple[np.ndarray, np.ndarray, float]) -> float:
    """Log likelihood (nats) of a t fit to the rows ``z`` (n, d)."""
    mean, scale, dof = fit
    delta, logdet = mahalanobis(z - mean, scale)
    return z.shape[0] * mean_log_density(delta, dof, z.shape[1], logdet)


def independence_test(joint: float, split: float, sizes: list[int], n: int
                      ) -> tuple[float, float]:
    """The likelihood-ratio test of the variables' independence: the statistic, twice the
    log-likelihood gain of the joint fit over the per-variable fits times Box's factor
    $1 - (2(p^3 - \\sum p_g^3) + 9(p^2 - \\sum p_g^2)) / (6n(p^2 - \\sum p_g^2))$, and
    the chi-squared quantile at :data:`LEVEL` on the cross-scale parameters' count
    $(p^2 - \\sum p_g^2) / 2$ (Anderson 2003, *An Introduction to Multivariate Statistical
    Analysis*, Sec. 9.4).

    The test is exact for Gaussians to O(n^-2); for t fits it is the same count, used
    as a threshold. Without Box's factor the statistic's null mean at 25+25 columns and
    n = 500 is 660, not the 625 of the chi-squared, and the test rejects 1 time in 4
    (simulated).

    Arguments:
        joint: the joint fit's log likelihood (nats).
        split: the sum of the per-variable fits' log likelihoods (nats).
        sizes: the variables' column counts, >= 2 of them.
        n: the rows.

    Returns:
        ``(statistic, threshold)``; independence is rejected where the first is larger.
    """
    p = sum(sizes)
    p2, p3 = p**2 - sum(s**2 for s in sizes), p**3 - sum(s**3 for s in sizes)
    box = 1 - (2 * p3 + 9 * p2) / (6 * n * p2)
    return box * 2 * (joint - split), float(special.chdtri(p2 / 2, 1 - LEVEL))
