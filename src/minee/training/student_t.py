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

Given the variables' columns (MI, conditional MI), each member's reference is the joint t
where a likelihood-ratio test shows the variables dependent, else the product of one t per
variable (:func:`fit_member`): independent heavy-tailed variables are no joint t (its
shared scale variable couples them), and a joint t fitted to independent wide blocks
holds chance dependence in its cross-scale terms. A product's head densities are sums of
its variables' t marginals. The fits and the test are in :mod:`minee.training.student_fit`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from ..data.t_density import log_density
from .references import Reference, location_scale_fit_gap, per_distinct
from .student_fit import LEVEL, fit_student_t, independence_test, log_likelihood

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = ["LEVEL", "StudentT", "fit_member", "fit_student_t", "independence_test",
           "member_log_density", "sample_chi2"]


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


# fit_member stays beside StudentT and reads fit_student_t and independence_test from this
# module's names, so that patching them here (benchmarks/suite.py) reaches every fit
def fit_member(z: np.ndarray, groups: list[np.ndarray]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """One member's reference: the joint t where the rows show the variables dependent
    (:func:`independence_test`), else one t per variable.

    Independent variables with heavy tails are no joint t: one t couples them through its
    shared scale variable, a dependence the critics would have to unlearn. And a joint t
    fitted to independent wide blocks holds ~d_x d_y / (2n) nats of chance dependence in
    its cross-scale terms (0.6 nats at 25+25 columns and n = 500); the correction for it
    is exact only on average, so the estimate scatters by ~sqrt(d_x d_y / 2) / n (0.035
    nats there). Dependence too weak for the test to see is left to the critics.

    Arguments:
        z: the sample (n, D), float64.
        groups: the variables' boolean column masks (D,) each, at least one; one: the
            joint t.

    Returns:
        ``(location (D,), scale (D, D), dof per variable (G,), product)``: for a product
        the scale is block-diagonal; for the joint t every variable has its dof.
    """
    joint = fit_student_t(z)
    if len(groups) < 2:
        return joint[0], joint[1], np.full(len(groups), joint[2]), False
    parts = [fit_student_t(z[:, g]) for g in groups]
    split = sum(log_likelihood(z[:, g], f) for g, f in zip(groups, parts, strict=True))
    statistic, threshold = independence_test(log_likelihood(z, joint), split,
                                             [int(g.sum()) for g in groups], z.shape[0])
    if statistic > threshold:
        return joint[0], joint[1], np.full(len(groups), joint[2]), False
    mean, scale = np.zeros_like(joint[0]), np.zeros_like(joint[1])
    for g, (m, c, _) in zip(groups, parts, strict=True):
        mean[g], scale[np.ix_(g, g)] = m, c
    return mean, scale, np.array([f[2] for f in parts]), True


def member_log_density(z: np.ndarray, fit: tuple[np.ndarray, np.ndarray, np.ndarray, bool],
                       groups: list[np.ndarray]) -> np.ndarray:
    """ln p(z_i) under a :func:`fit_member` fit, (n,) nats: the joint t, or for a product
    the sum of the variables' t densities."""
    location, scale, dofs, product = fit
    if not product:
        return log_density(z, location, scale, float(dofs[0]))
    return sum((log_density(z[:, g], location[g], scale[np.ix_(g, g)], float(dof))
                for g, dof in zip(groups, dofs, strict=True)), np.zeros(len(z)))


class StudentT(Reference):
    """Multivariate Student-t fitted by maximum likelihood to each member's sample; with
    ``groups``, per member the joint t or one t per variable (:func:`fit_member`).

    Arguments:
        data: the samples, shape (P, n, D).
        groups: the variables' column masks (G, D), each column in exactly one, or
            ``None`` (one t, as for entropies).

    Attributes:
        mean: the location (P, D).
        scale: the scale matrix (P, D, D), float64, block-diagonal in product members.
        variable_dof: each variable's degrees of freedom (P, G); in a joint member every
            variable has the joint t's.
        dof: the first variable's (P,): the joint t's in joint members.
        product: whether each member is one t per variable (P,), bool.
        groups: the variables' column masks (G, D), bool; one of all columns without
            ``groups``.
    """

    @classmethod
    def build(cls, data: Tensor, groups: Tensor, settings: Settings) -> Reference:
        return cls(data, groups)

    def __init__(self, data: Tensor, groups: Tensor | None = None):
        dim = data.shape[-1]
        if groups is None:
            groups = torch.ones(1, dim, dtype=torch.bool)
        if (groups.ndim != 2 or groups.shape[1] != dim or not bool((groups.sum(0) == 1).all())
                or not bool(groups.any(1).all())):
            raise ValueError(f"groups must be (G, {dim}) column masks, none empty, with each "
                             f"column in exactly one; got {groups.tolist()}")
        self.groups = groups.bool().to(data.device)
        try:
            masks = list(self.groups.cpu().numpy())
            fits = per_distinct(data, lambda z: fit_member(z, masks))
        except np.linalg.LinAlgError:
            raise ValueError(
                "the sample covariance is singular (collinear columns); drop duplicated or "
                "linearly dependent columns, or use reference='uniform'") from None
        def tensor(values: Any) -> Tensor:
            return torch.tensor(np.stack(values), dtype=data.dtype, device=data.device)

        self.mean = tensor([f[0] for f in fits])
        # in float64, as fitted: the scale of a near-deterministic pair (correlation
        # 1 - 1e-10 on the ranks of y = x + 1e-3 noise) is no longer positive definite once
        # rounded to float32, and every use of it (densities, the draws' factor) is float64
        self.scale = torch.tensor(np.stack([f[1] for f in fits]), dtype=torch.float64,
                                  device=data.device)
        self.variable_dof = tensor([f[2] for f in fits])
        self.dof = self.variable_dof[:, 0]
        self.product = torch.tensor([f[3] for f in fits], device=data.device)
        # read at every training step: a Python bool, not a device tensor to synchronise on
        self._any_product = any(f[3] for f in fits)
        self.chol = torch.linalg.cholesky(self.scale).to(data.dtype)
        self.dim = dim
        self.rows = data.shape[1]

    def elliptical_centre(self, member: int) -> np.ndarray | None:
        """The location (D,) of member ``member``'s joint t, which carries no dependence
        but an ellipse's; ``None`` for a product of per-variable fits or one variable."""
        if bool(self.product[member]) or len(self.groups) < 2:
            return None
        return self.mean[member].detach().cpu().double().numpy()

    def fit_correction(self, masks: Tensor) -> Tensor:
        """The location and scale were fitted to these rows: see
        :func:`~minee.training.references.location_scale_fit_gap` (the degrees of freedom add a
        negligible 1/(2n)); (H,), or (P, H) where some member is a product of per-variable
        fits (each variable's block corrected for its own parameters)."""
        joint = location_scale_fit_gap(masks, self.rows)
        if not self._any_product:
            return joint
        groups = self.groups.to(masks.device)
        split = sum(location_scale_fit_gap(masks & g, self.rows) for g in groups)
        return torch.where(self.product.to(joint.device)[:, None], split, joint)

    def tails(self) -> tuple[Tensor, Tensor, Tensor]:
        """The fitted location (P, D), the square roots of the scale matrix's diagonal
        (P, D) and each column's degrees of freedom (P, D): its variable's."""
        column_dof = self.variable_dof[:, self.groups.int().argmax(0)]  # its variable's
        unit = torch.diagonal(self.scale, dim1=1, dim2=2).sqrt().to(self.mean.dtype)
        return self.mean, unit, column_dof

    def sample(self, out: Tensor, generator: torch.Generator) -> Tensor:
        p, _, r, _ = out.shape
        g = sample_chi2(self.dof, (p, r), generator)
        out.normal_(generator=generator)
        out.copy_(out @ self.chol[:, None].transpose(-1, -2))
        factor = torch.sqrt(self.dof[:, None] / g)[:, None, :, None]  # (P, 1, R, 1)
        if self._any_product:
            # in a product member each variable after the first draws its own scale
            # variable (drawn last: the joint members' rows of this call are as without
            # it, though later calls' draws shift)
            for k in range(1, len(self.groups)):
                dof = self.variable_dof[:, k]
                own = torch.sqrt(dof[:, None] / sample_chi2(dof, (p, r), generator))
                selected = self.product[:, None, None, None] & self.groups[k]  # (P,1,1,D)
                factor = torch.where(selected, own[:, None, :, None], factor)
        return out.mul_(factor).add_(self.mean[:, None, None])

    def neg_log_density(self, z: Tensor, masks: Tensor) -> Tensor:
        result = []
        for mask in masks:
            value = _neg_log_t(z, self.mean, self.scale, self.dof, mask)
            if self._any_product:
                groups = self.groups.to(mask.device)
                split = sum(_neg_log_t(z, self.mean, self.scale, self.variable_dof[:, k],
                                       mask & g)
                            for k, g in enumerate(groups) if bool((mask & g).any()))
                value = torch.where(self.product[:, None], split, value)
            result.append(value.to(z.dtype))
        return torch.stack(result, dim=1)


def _neg_log_t(z: Tensor, mean: Tensor, scale: Tensor, dof: Tensor, mask: Tensor) -> Tensor:
    """-ln of the t density (nats) on the columns ``mask`` of ``z`` (P, n, D): location
    ``mean`` (P, D), scale matrix ``scale`` (P, D, D), degrees of freedom ``dof`` (P,);
    (P, n) in float64."""
    idx = torch.nonzero(mask).flatten()
    s = idx.numel()
    dof = dof.double()[:, None]  # (P, 1)
    chol = torch.linalg.cholesky(scale[:, idx][:, :, idx].double())
    diff = (z[..., idx].double() - mean[:, None, idx].double()).transpose(1, 2)
    delta = (torch.linalg.solve_triangular(chol, diff, upper=False) ** 2).sum(1)
    logdet = 2 * torch.log(torch.diagonal(chol, dim1=1, dim2=2)).sum(-1)[:, None]
    half = (dof + s) / 2
    log_p = (torch.lgamma(half) - torch.lgamma(dof / 2)
             - 0.5 * s * torch.log(dof * math.pi) - 0.5 * logdet
             - half * torch.log1p(delta / dof))
    return -log_p
