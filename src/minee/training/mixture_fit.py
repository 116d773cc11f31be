r"""Gaussian mixtures fitted by EM, with the number of components chosen on held-out rows.

A mixture reference carries the shape a single Student-t cannot (several modes, curved
ridges, a share of rows from another law), so the critics learn only what it missed.
:func:`select_mixture` fits mixtures of increasing size on part of the rows and keeps the
size whose held-out log-likelihood is highest: more components fit the training rows
better without limit, held-out rows only while they describe the law. Sizes whose
parameter count exceeds a share of the rows are not tried (a full covariance per
component in 25 + 25 columns has 1,325 parameters).

Everything here is numpy float64 on one member's rows (n, d); the batched torch side is
:mod:`minee.training.mixture`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .heldout import clearly_better

__all__ = ["MixtureFit", "Selection", "RowsCheck", "fit_mixture", "select_mixture",
           "mixture_log_density", "marginal", "rows_check", "parameter_count", "can_fit",
           "SIZES"]

#: the component counts tried, in order; the search stops after two sizes without a
#: held-out gain (:func:`select_mixture`'s ``patience``)
SIZES = (1, 2, 4, 8, 16, 32)
_ROWS_PER_PARAMETER = 8  # a size is tried only with this many training rows per parameter
_EM_STEPS, _TOL = 100, 1e-4  # mean log-likelihood change (nats) that ends EM
#: the looser end of EM while sizes are compared: a ranking needs no fourth decimal
SELECTION_TOL = 1e-3
_RIDGE = 1e-6  # added to each covariance's diagonal, relative to the column's variance
_LOG_2PI = math.log(2 * math.pi)


class MixtureFit(NamedTuple):
    """A fitted mixture: ``weights`` (K,), ``means`` (K, d), ``covs`` (K, d, d)."""

    weights: np.ndarray
    means: np.ndarray
    covs: np.ndarray


def parameter_count(k: int, d: int) -> int:
    """Free parameters of a K-component, full-covariance mixture in d columns."""
    return k - 1 + k * (d + d * (d + 1) // 2)


def can_fit(k: int, d: int, rows: int) -> bool:
    """Whether a K-component mixture in d columns is tried on ``rows`` training rows: at
    least eight per parameter (one component, the Gaussian, always)."""
    return k == 1 or parameter_count(k, d) * _ROWS_PER_PARAMETER <= rows


def _component_log_densities(z: np.ndarray, fit: MixtureFit) -> np.ndarray:
    """ln(w_k N(z_i; mu_k, Sigma_k)), (n, K), nats."""
    chol = np.linalg.cholesky(fit.covs)  # (K, d, d)
    inv = np.linalg.inv(chol)  # lower triangular: rows of L^-1
    centred = z[None] - fit.means[:, None]  # (K, n, d)
    solved = centred @ inv.transpose(0, 2, 1)  # (K, n, d)
    logdet = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(-1)  # (K,)
    with np.errstate(divide="ignore"):  # a padded component has weight 0: -inf
        log_w = np.log(fit.weights)
    d = z.shape[1]
    # einsum, not (solved**2).sum(-1): numpy reduces a short last axis slowly (d is 1-6)
    quad = np.einsum("kni,kni->nk", solved, solved)
    return (log_w - 0.5 * (logdet + d * _LOG_2PI))[None] - 0.5 * quad


def _logsumexp(terms: np.ndarray) -> np.ndarray:
    """ln sum_k exp(terms[:, k]), (n,), without overflow."""
    top = terms.max(1, keepdims=True)
    return top[:, 0] + np.log(np.exp(terms - top).sum(1))


def mixture_log_density(z: np.ndarray, fit: MixtureFit) -> np.ndarray:
    """ln p(z_i) under the mixture, (n,), nats."""
    return _logsumexp(_component_log_densities(z, fit))


def marginal(fit: MixtureFit, mask: np.ndarray) -> MixtureFit:
    """The mixture's marginal on the columns of the boolean ``mask`` (d,): the same
    weights, each component's sub-mean and sub-covariance."""
    return MixtureFit(fit.weights, fit.means[:, mask], fit.covs[:, mask][:, :, mask])


def _m_step(z: np.ndarray, resp: np.ndarray, ridge: np.ndarray) -> MixtureFit:
    """Weights, means and covariances from responsibilities ``resp`` (n, K)."""
    mass = resp.sum(0) + 1e-12
    means = resp.T @ z / mass[:, None]
    centred = z[None] - means[:, None]  # (K, n, d)
    covs = (resp.T[:, :, None] * centred).transpose(0, 2, 1) @ centred / mass[:, None, None]
    covs += np.diag(ridge)[None]
    return MixtureFit(mass / mass.sum(), means, covs)


def _seeds(z: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ centres (k, d): each next centre drawn with probability proportional to
    its squared distance from the nearest centre so far (Arthur and Vassilvitskii 2007)."""
    centres = [z[rng.integers(len(z))]]
    nearest = ((z - centres[0]) ** 2).sum(1)
    for _ in range(1, k):
        total = nearest.sum()
        pick = rng.integers(len(z)) if total <= 0 else rng.choice(len(z), p=nearest / total)
        centres.append(z[pick])
        nearest = np.minimum(nearest, ((z - z[pick]) ** 2).sum(1))
    return np.stack(centres)


def fit_mixture(z: np.ndarray, k: int, rng: np.random.Generator, *,
                start: MixtureFit | None = None, tol: float = _TOL,
                steps: int = _EM_STEPS) -> MixtureFit:
    """A K-component Gaussian mixture fitted to ``z`` (n, d) by EM.

    Started from ``start`` when given, else from hard assignments to k-means++ centres
    drawn with ``rng``; EM ends when the mean log-likelihood gains less than ``tol``
    nats in a step, or after ``steps``. Each covariance gets a ridge of 1e-6 of its
    column's variance, so no component collapses onto a few rows.

    Returns:
        the fit, :class:`MixtureFit`.
    """
    ridge = _RIDGE * z.var(0)
    if start is None:
        centres = _seeds(z, k, rng)
        labels = ((z[:, None] - centres[None]) ** 2).sum(-1).argmin(1)
        fit = _m_step(z, np.eye(k)[labels], ridge + 1e-3 * z.var(0) / k)
    else:
        fit = start
    last = -math.inf
    for _ in range(steps):
        terms = _component_log_densities(z, fit)
        log_p = _logsumexp(terms)
        resp = np.exp(terms - log_p[:, None])
        fit = _m_step(z, resp, ridge)
        mean = float(log_p.mean())
        if mean - last < tol:
            break
        last = mean
    return fit


class Selection(NamedTuple):
    """The outcome of :func:`select_mixture`.

    Attributes:
        fit: the chosen size's fit.
        scores: its ``ln p`` on each held-out row, (m,) nats.
        limited: the search ran out of rows, not out of gains: the chosen size is the
            largest the rows support (below the largest of :data:`SIZES`) and it beat the
            size before it clearly on held-out rows. The law then has more shape than a
            mixture fitted to these rows resolves, and what it misses falls to the critics.
        check: makes the fit's :class:`RowsCheck` (a second size search, so only where
            the mixture is used), or ``None``.
    """

    fit: MixtureFit
    scores: np.ndarray
    limited: bool
    check: Callable[[], RowsCheck] | None = None


def select_mixture(train: np.ndarray, heldout: np.ndarray, rng: np.random.Generator, *,
                   sizes: tuple[int, ...] = SIZES, patience: int | None = 2) -> Selection:
    """The mixture size with the best held-out log-likelihood, and that fit.

    Sizes are tried in order while the training rows number at least eight per
    parameter; the search stops after ``patience`` sizes without a gain.

    Arguments:
        train: rows to fit on, (n, d).
        heldout: rows to score on, (m, d).
        sizes: the component counts to try, increasing.
        patience: sizes tried without a held-out gain before the search stops; ``None``
            tries every size the rows support.

    Returns:
        :class:`Selection`: the best size's fit on ``train``, its held-out ``ln p`` per
        row, and whether the rows, not the gains, ended the search.
    """
    n, d = train.shape
    tried: list[tuple[MixtureFit, np.ndarray]] = []
    best, out_of_rows = 0, False
    for k in sizes:
        if not can_fit(k, d, n):
            out_of_rows = True
            break
        fit = fit_mixture(train, k, rng, tol=SELECTION_TOL)
        tried.append((fit, mixture_log_density(heldout, fit)))
        if tried[-1][1].mean() > tried[best][1].mean():
            best = len(tried) - 1
        elif len(tried) - 1 - best == patience:
            break
    # the rows ended a search still gaining (by 2 standard errors, as choices here demand);
    # the end of SIZES is not the rows' limit (32 components outnumber most laws' modes)
    limited = out_of_rows and best == len(tried) - 1 and best > 0 and clearly_better(
        tried[best][1], tried[best - 1][1])
    return Selection(*tried[best], limited=limited)


class RowsCheck(NamedTuple):
    """Whether a mixture's reading still moves with the rows it is fitted on.

    ``full`` is the chosen fit on a sample's fitting rows, ``half`` the size chosen and
    fitted again on a seeded half of them; both score the same held-out rows. Where a
    law has more shape than the rows resolve, doubling them still changes what the fit
    reads (more components, each better placed), and the estimate is not converged in
    the sample size: :class:`minee.convergence.RowsMove` reads that against what the
    critics corrected.

    Attributes:
        heldout: the scoring rows, (m, d).
        full, half: the two fits.
        share: the share of the sample's rows ``full`` was fitted on (the reference
            itself is refitted on all of them).
    """

    heldout: np.ndarray
    full: MixtureFit
    half: MixtureFit
    share: float

    def gains(self, masks: np.ndarray) -> np.ndarray:
        """``ln q_full - ln q_half`` of each held-out row on each column set (the fits'
        marginals there), (m, H) nats, for boolean ``masks`` (H, d)."""
        return np.stack([
            mixture_log_density(self.heldout[:, mask], marginal(self.full, mask))
            - mixture_log_density(self.heldout[:, mask], marginal(self.half, mask))
            for mask in masks], axis=1)


def rows_check(train: np.ndarray, heldout: np.ndarray, full: MixtureFit, seed: int
               ) -> RowsCheck:
    """The :class:`RowsCheck` of ``full`` (fitted, its size chosen, on ``train`` (n, d)):
    a mixture chosen by :func:`select_mixture` on a seeded half of ``train``, both scored
    on ``heldout`` (m, d).

    The half tries every size up to ``full``'s, without the early stop: a search that
    stops after two sizes without a gain can end at 2 components where the full one,
    searching on, found 16, and the check would then read the early stop, not the rows.
    """
    rng = np.random.default_rng(seed)
    half = train[np.sort(rng.permutation(len(train))[: len(train) // 2])]
    upto = tuple(k for k in SIZES if k <= len(full.weights))
    return RowsCheck(heldout, full, select_mixture(half, heldout, rng, sizes=upto,
                                                   patience=None).fit,
                     len(train) / (len(train) + len(heldout)))
