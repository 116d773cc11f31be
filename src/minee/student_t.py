r"""A multivariate Student-t reference fitted to the sample: for heavy tails and outliers.

A Gaussian fitted by moments to heavy-tailed data is as wide as its largest rows: one row at
1e6 or Cauchy-like tails make it so broad that the critic must learn a huge divergence, and
the cross-entropy term carries the outliers' squared distance. A Student-t fitted by
maximum likelihood (EM; Liu and Rubin 1995) down-weights such rows
($w_i = (\nu + d) / (\nu + \delta_i)$), and its tails are polynomial, so both terms stay
moderate; on Gaussian data the fitted $\nu$ is large and it is the Gaussian.

The marginal of a t on a column subset is the t with the same $\nu$, the sub-vector of the
location and the sub-matrix of the scale, so a masked critic head has a closed-form
reference density, as the entropy decomposition needs.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import torch
from torch import Tensor

from .references import Reference, location_scale_fit_gap
from .t_density import argmax_bounded, mahalanobis, mean_log_density

__all__ = ["StudentT", "fit_student_t", "sample_chi2"]

_DOF_RANGE = (0.5, 1000.0)  # fitted degrees of freedom are kept in this range
_EM_STEPS = 100
_TOL = 1e-7  # relative change of the location and scale that ends EM
_COLLAPSE = 20.0  # nats of log det(scale) below the sample covariance's: a degenerate fit


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
    _, floor = mahalanobis(z - mean, scale)
    floor -= _COLLAPSE  # log det(scale) below this: the fit is collapsing onto an atom
    dof = 10.0
    for _ in range(_EM_STEPS):
        delta, _ = mahalanobis(z - mean, scale)
        w = (dof + d) / (dof + delta)
        new_mean = (w[:, None] * z).sum(0) / w.sum()
        centred = z - new_mean
        new_scale = (w[:, None] * centred).T @ centred / n
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


def sample_chi2(dof: Tensor, shape: tuple[int, ...], generator: torch.Generator) -> Tensor:
    """Chi-squared draws with ``generator`` as the only source of randomness.

    Twice a Gamma(dof / 2) draw from torch's own sampler (the one behind
    ``torch.distributions.Gamma``, which takes no generator): one kernel, where a
    rejection loop written in tensor operations cost ~15x as much and ~8% of a training
    step at 5 + 5 columns (its reference rows are drawn afresh every step). The sampler
    never returns 0 (it floors draws at the dtype's smallest normal number), so a
    Student-t row built from a draw stays finite.

    Arguments:
        dof: degrees of freedom per leading index, shape (P,), > 0; the draws take its
            dtype and device (and ``generator`` must be on that device).
        shape: the output shape, (P, ...).
    """
    half = (dof / 2).reshape(-1, *([1] * (len(shape) - 1))).expand(shape)
    return 2 * torch._standard_gamma(half, generator=generator)


class StudentT(Reference):
    """Multivariate Student-t fitted by maximum likelihood to each member's sample.

    Arguments:
        data: the samples, shape (P, n, D).
    """

    def __init__(self, data: Tensor):
        try:
            fits = [fit_student_t(z) for z in data.detach().double().cpu().numpy()]
        except np.linalg.LinAlgError:
            raise ValueError(
                "the sample covariance is singular (collinear columns); drop duplicated or "
                "linearly dependent columns, or use reference='uniform'") from None
        def tensor(values: Any) -> Tensor:
            return torch.tensor(values, dtype=data.dtype, device=data.device)

        self.mean = tensor(np.stack([f[0] for f in fits]))  # (P, D)
        self.scale = tensor(np.stack([f[1] for f in fits]))  # (P, D, D)
        self.dof = tensor([f[2] for f in fits])  # (P,)
        self.chol = torch.linalg.cholesky(self.scale.double()).to(data.dtype)
        self.dim = data.shape[-1]
        self.rows = data.shape[1]

    def fit_correction(self, masks: Tensor) -> Tensor:
        """The location and scale were fitted to these rows: see
        :func:`~minee.references.location_scale_fit_gap` (the degrees of freedom, one
        parameter shared by every head, add a negligible 1/(2n))."""
        return location_scale_fit_gap(masks, self.rows)

    def tails(self) -> tuple[Tensor, Tensor, Tensor]:
        """The fitted location (P, D), the square roots of the scale matrix's diagonal
        (P, D) and the degrees of freedom (P,)."""
        return self.mean, torch.diagonal(self.scale, dim1=1, dim2=2).sqrt(), self.dof

    def sample(self, out: Tensor, generator: torch.Generator) -> Tensor:
        p, _, r, _ = out.shape
        g = sample_chi2(self.dof, (p, r), generator)
        out.normal_(generator=generator)
        out.copy_(out @ self.chol[:, None].transpose(-1, -2))
        return out.mul_(torch.sqrt(self.dof[:, None] / g)[:, None, :, None]).add_(
            self.mean[:, None, None])

    def neg_log_density(self, z: Tensor, masks: Tensor) -> Tensor:
        result = []
        dof = self.dof.double()[:, None]  # (P, 1)
        for mask in masks:
            idx = torch.nonzero(mask).flatten()
            s = idx.numel()
            chol = torch.linalg.cholesky(self.scale[:, idx][:, :, idx].double())
            diff = (z[..., idx].double() - self.mean[:, None, idx].double()).transpose(1, 2)
            delta = (torch.linalg.solve_triangular(chol, diff, upper=False) ** 2).sum(1)
            logdet = 2 * torch.log(torch.diagonal(chol, dim1=1, dim2=2)).sum(-1)[:, None]
            half = (dof + s) / 2
            log_p = (torch.lgamma(half) - torch.lgamma(dof / 2)
                     - 0.5 * s * torch.log(dof * math.pi) - 0.5 * logdet
                     - half * torch.log1p(delta / dof))
            result.append((-log_p).to(z.dtype))
        return torch.stack(result, dim=1)
