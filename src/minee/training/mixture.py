r"""A Gaussian-mixture reference: the shape of the law in the reference, not in the critic.

Each member's reference is a full-covariance Gaussian mixture fitted by EM to its rows,
the number of components chosen on held-out rows (:mod:`minee.training.mixture_fit`). Its
marginal on a column set is the mixture of the components' marginals with the same
weights, so a masked critic head has a closed-form reference density as the entropy
decomposition needs, and one draw on all D columns serves every head.

Members may have different numbers of components: the smaller fits are padded with
components of weight 0, which are never drawn and add nothing to a density.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from .heldout import split_rows
from .mixture_fit import (
    MixtureFit,
    RowsCheck,
    Selection,
    fit_mixture,
    parameter_count,
    rows_check,
    select_mixture,
)
from .references import Reference, per_distinct

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = ["GaussianMixture", "fit_sample"]


def fit_sample(z: np.ndarray, seed: int) -> Selection:
    """One member's mixture: the size chosen on a held-out fifth of ``z`` (n, d), then
    refitted on all rows from that fit.

    Returns:
        :class:`~minee.training.mixture_fit.Selection` with the fit on all rows, the
        chosen size's ``ln p`` on each held-out row (before the refit), nats, whether
        the rows limited the size, and what makes its rows check (the chosen fit before
        the refit against one on half its fitting rows, scored on the same held-out
        rows).
    """
    rng = np.random.default_rng(seed)
    train, heldout = split_rows(z, seed)
    chosen = select_mixture(train, heldout, rng)
    refit = fit_mixture(z, len(chosen.fit.weights), rng, start=chosen.fit)
    return chosen._replace(fit=refit, check=partial(rows_check, train, heldout, chosen.fit,
                                                    seed))


def _padded(fits: list[MixtureFit], dim: int) -> MixtureFit:
    """The fits stacked (P, K, ...) with K the largest; smaller fits padded with
    weight-0, unit-covariance components."""
    k = max(len(f.weights) for f in fits)
    weights, means = np.zeros((len(fits), k)), np.zeros((len(fits), k, dim))
    covs = np.tile(np.eye(dim), (len(fits), k, 1, 1))
    for p, f in enumerate(fits):
        size = len(f.weights)
        weights[p, :size], means[p, :size], covs[p, :size] = f.weights, f.means, f.covs
    return MixtureFit(weights, means, covs)


class GaussianMixture(Reference):
    """A Gaussian mixture per member, fitted to its rows with the number of components
    chosen on held-out rows.

    Arguments:
        fits: one :class:`~minee.training.mixture_fit.MixtureFit` per member.
        rows: the rows each was fitted on (for :meth:`fit_correction`).
        like: a tensor whose dtype and device the draws take.
        limited: per member, whether its rows limited the size
            (:attr:`~minee.training.mixture_fit.Selection.limited`); default none.
        checks: per member what makes its
            :class:`~minee.training.mixture_fit.RowsCheck` (made when first asked for,
            once for members sharing it), or ``None`` (no check); default none.

    Attributes:
        weights: (P, K) float64; means (P, K, D) and covs (P, K, D, D), float64.
        components: each member's number of components (P,).
    """

    @classmethod
    def build(cls, data: Tensor, groups: Tensor, settings: Settings) -> Reference:
        chosen = per_distinct(data, lambda z: fit_sample(z, settings.seed))
        return cls([c.fit for c in chosen], rows=data.shape[1], like=data,
                   limited=[c.limited for c in chosen], checks=[c.check for c in chosen])

    def __init__(self, fits: list[MixtureFit], *, rows: int, like: Tensor,
                 limited: list[bool] | None = None,
                 checks: list[Callable[[], RowsCheck] | None] | None = None):
        dim = fits[0].means.shape[1]
        self._limited = np.zeros(len(fits), bool) if limited is None else np.array(limited)
        self._checks = [None] * len(fits) if checks is None else list(checks)
        # by maker (a partial hashes by identity, kept through pickling): members share one
        self._made: dict[Callable[[], RowsCheck], RowsCheck] = {}
        stacked = _padded(fits, dim)
        device = like.device

        def tensor(a: np.ndarray) -> Tensor:
            return torch.tensor(a, dtype=torch.float64, device=device)

        self.weights, self.means, self.covs = (tensor(a) for a in stacked)
        self.components = torch.tensor([len(f.weights) for f in fits], device=device)
        self._cumulative = torch.cumsum(self.weights, 1).to(like.dtype)
        self._chol = torch.linalg.cholesky(self.covs).to(like.dtype)
        self._means = self.means.to(like.dtype)
        self.dim, self.rows = dim, rows

    def sample(self, out: Tensor, generator: torch.Generator) -> Tensor:
        p, _, r, d = out.shape
        u = torch.rand((p, r), generator=generator, device=out.device, dtype=out.dtype)
        # the last cumulative weight may round below 1: clamp to a real component
        comp = torch.searchsorted(self._cumulative, u).clamp_max(self.weights.shape[1] - 1)
        comp = torch.minimum(comp, (self.components - 1)[:, None])
        member = torch.arange(p, device=out.device)[:, None]
        out.normal_(generator=generator)
        chol = self._chol[member, comp]  # (P, R, D, D)
        draws = (chol @ out[:, 0, :, :, None])[..., 0] + self._means[member, comp]
        out[:, 0] = draws
        return out

    def neg_log_density(self, z: Tensor, masks: Tensor) -> Tensor:
        result = []
        log_w = torch.log(self.weights)[:, :, None]  # (P, K, 1); padding: -inf
        for mask in masks:
            idx = torch.nonzero(mask).flatten()
            s = idx.numel()
            chol = torch.linalg.cholesky(self.covs[:, :, idx][:, :, :, idx])  # (P,K,s,s)
            diff = z[:, None, :, idx].double() - self.means[:, :, None, idx]  # (P,K,n,s)
            solved = torch.linalg.solve_triangular(chol, diff.transpose(-1, -2), upper=False)
            logdet = 2 * torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)
            terms = log_w - 0.5 * ((solved**2).sum(-2) + (logdet + s * math.log(2 * math.pi))
                                   [..., None])
            result.append(-torch.logsumexp(terms, dim=1))
        return torch.stack(result, dim=1).to(z.dtype)

    def shape_limited(self) -> np.ndarray:
        return self._limited

    def rows_check(self, member: int) -> RowsCheck | None:
        make = self._checks[member]
        if make is None:
            return None
        if make not in self._made:
            self._made[make] = make()
        return self._made[make]

    def fit_correction(self, masks: Tensor) -> Tensor:
        """The mixture was fitted to these rows: half its parameter count on each column
        set over the rows (the optimism of a maximum-likelihood fit, Akaike), (P, H)."""
        sizes = masks.sum(-1).tolist()
        per_member = [[parameter_count(int(k), int(s)) / (2 * self.rows) for s in sizes]
                      for k in self.components.tolist()]
        return torch.tensor(per_member, dtype=torch.float64)
