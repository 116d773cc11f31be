r"""Reference distributions $p_{Z'}$ for the entropy decomposition (paper §3.1-3.3).

Every reference lives on the full column space of a problem (all D columns of
``[x, y, (z)]``). A critic head that sees only some columns (a column *mask*) is trained
against the marginal of the reference on those columns, which is what the same D-dimensional
sample gives once masked. For the uniform box that marginal is the box of those columns, so
the joint reference is the product of the marginal references, as Proposition 2 requires;
for the Gaussian it is the Gaussian of the sub-covariance.

New references subclass :class:`Reference` (declaring ``has_density`` and :meth:`build`)
and are registered with :func:`minee.registry.register_reference`; the estimators' and the
command line's ``reference`` choices are read from the registry.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar

import numpy as np
import torch
from torch import Tensor

if TYPE_CHECKING:
    from ..settings import Settings
    from .mixture_fit import RowsCheck

__all__ = ["Reference", "UniformBox", "Gaussian", "Marginals", "location_scale_fit_gap",
           "per_distinct"]

_Fit = TypeVar("_Fit")


def per_distinct(data: Tensor, fit: Callable[[np.ndarray], _Fit]) -> list[_Fit]:
    """``fit`` (of one sample, (n, D) float64 numpy) for each member's rows of ``data``
    (M, n, D); identical samples are fitted once: a problem's members (its ensemble, its
    folds) share its rows, and a fitted reference costs EM runs each."""
    fitted: dict[bytes, _Fit] = {}
    fits = []
    for z in data.detach().double().cpu().numpy():
        key = hashlib.sha256(z.tobytes()).digest()
        if key not in fitted:
            fitted[key] = fit(z)
        fits.append(fitted[key])
    return fits


class Reference:
    """The protocol of a reference: a distribution on R^D per member, to sample and score.

    A reference is built on M samples at once (shape (M, n, D)) so that many problems
    (seeds, column pairs, ensemble members) train in one batched model; member m's
    reference depends only on its own sample. Subclasses implement :meth:`sample` and,
    when ``has_density``, :meth:`neg_log_density`; :meth:`outside` defaults to "no row is
    outside" (full support).

    Attributes:
        dim: D, the number of columns.
        has_density: whether :meth:`neg_log_density` is available (entropies need it).
    """

    dim: int
    has_density: ClassVar[bool] = True

    @classmethod
    def build(cls, data: Tensor, groups: Tensor, settings: Settings) -> Reference:
        """The reference fitted to every member's rows ``data`` (M, n, D), for variables
        whose columns are the boolean rows of ``groups`` (G, D), under ``settings`` (for
        options such as ``margin``). The registry builds references with this."""
        raise NotImplementedError

    def sample(self, out: Tensor, generator: torch.Generator) -> Tensor:
        """Fill ``out`` (shape (M, 1, R, D)) with fresh reference points drawn with
        ``generator`` (the only source of randomness, for reproducibility) and return it."""
        raise NotImplementedError

    def neg_log_density(self, z: Tensor, masks: Tensor) -> Tensor:
        r"""$-\ln p_{Z'_S}(z_S)$ per row of ``z`` for each column set ``S``.

        Its mean over the sample is the cross-entropy term (eq. 5).

        Arguments:
            z: samples, shape (P, n, D).
            masks: boolean column sets, shape (H, D).

        Returns:
            Values in nats, shape (P, H, n).
        """
        raise NotImplementedError

    def fit_correction(self, masks: Tensor) -> Tensor:
        """Per column set, what to add to the cross-entropy measured on the rows the
        reference was fitted on to remove the fit's own finite-sample bias, (H,) nats, or
        (P, H) where it differs between members.
        Zero unless the reference is fitted to the sample (the Gaussian, the Student-t)."""
        return torch.zeros(masks.shape[0], dtype=torch.float64)

    def outside(self, z: Tensor) -> Tensor:
        """Boolean (P, n): rows outside the reference's support (condition (6) fails)."""
        return torch.zeros(z.shape[:2], dtype=torch.bool, device=z.device)

    def shape_limited(self) -> np.ndarray | None:
        """Per member (P,) bool, whether the reference's fit ran out of rows while a
        richer fit still described held-out rows better (a mixture at the most components
        its rows support, still gaining): the law has shape the reference misses and the
        critics must learn; ``None`` for a reference whose fit has no such limit."""
        return None

    def rows_check(self, member: int) -> RowsCheck | None:
        """Member ``member``'s check of whether the reference's reading still moves when
        its fitting rows double (:class:`~minee.training.mixture_fit.RowsCheck`), or
        ``None`` (no such check: a reference whose few parameters settle on far fewer
        rows)."""
        return None

    def elliptical_centre(self, member: int) -> np.ndarray | None:
        """Where member ``member``'s reference carries no dependence but an ellipse's (a
        joint Student-t), its fitted centre (D,) on the rows it was fitted to, against
        which :func:`~minee.training.ellipticity.radius_direction` tests them; else
        ``None``."""
        return None

    def tails(self) -> tuple[Tensor, Tensor, Tensor] | None:
        """Per member and column a fitted centre, unit and tail degrees of freedom, each
        (P, D), of a heavy-tailed reference, or ``None`` (no tails fitted): what
        ``compress_tails`` reads the critics' inputs by."""
        return None


class UniformBox(Reference):
    """Uniform on the per-column bounding box of the sample (eq. 22).

    Arguments:
        data: the samples, shape (P, n, D).
        margin: widen each side by this fraction of the column's range (0 = eq. 22 exactly).
    """

    @classmethod
    def build(cls, data: Tensor, groups: Tensor, settings: Settings) -> Reference:
        return cls(data, margin=settings.margin)

    def __init__(self, data: Tensor, *, margin: float = 0.0):
        if margin < 0:
            raise ValueError(f"margin must be >= 0, got {margin}")
        low, high = data.min(1).values, data.max(1).values  # (P, D)
        width = high - low
        if bool((width <= 0).any()):
            raise ValueError("a column is constant: the uniform box has zero width; drop it")
        self.low = low - margin * width
        self.width = width * (1 + 2 * margin)
        self.dim = data.shape[-1]

    def sample(self, out: Tensor, generator: torch.Generator) -> Tensor:
        out.uniform_(0.0, 1.0, generator=generator)
        return out.mul_(self.width[:, None, None]).add_(self.low[:, None, None])

    def neg_log_density(self, z: Tensor, masks: Tensor) -> Tensor:
        per_set = torch.log(self.width) @ masks.to(z.dtype).T  # (P, H)
        return per_set[..., None].expand(-1, -1, z.shape[1])

    def outside(self, z: Tensor) -> Tensor:
        # one ulp of slack: low + width can round just below the sample maximum
        high = self.low + self.width
        high = torch.maximum(high, torch.nextafter(high, torch.full_like(high, math.inf)))
        return ((z < self.low[:, None]) | (z > high[:, None])).any(dim=-1)


def location_scale_fit_gap(masks: Tensor, n: int) -> Tensor:
    r"""What a location and full scale matrix fitted to the same n rows gain on them, per
    column set (H,) nats: the fit correction of the fitted references.

    A Gaussian fitted to n rows fits them better than the population: with S the unbiased
    covariance, $E \ln\det S = \ln\det\Sigma + d \ln\frac{2}{n-1} + \sum_{i=1}^{d}
    \psi(\frac{n-i}{2})$ (Wishart), about $-d(d+1)/(2n)$, and the in-sample mean
    Mahalanobis distance is $d(n-1)/n$ instead of $d$. Adding half of each gap makes the
    cross-entropy of Gaussian data exactly unbiased; without it an MI of two independent
    blocks of $d_x$ and $d_y$ columns reads $d_x d_y / (2n)$ nats too high (0.06 at
    25 + 25 columns and n = 5,000). To first order this is $k/(2n)$ for the $k = d +
    d(d+1)/2$ parameters, the optimism of any maximum-likelihood fit with that many
    (Akaike), so a Student-t's fitted location and scale take the same correction.

    Arguments:
        masks: boolean column sets, (H, D).
        n: the rows the reference was fitted on.
    """
    out = []
    for d in masks.sum(-1).tolist():
        i = torch.arange(1, int(d) + 1, dtype=torch.float64)
        log_det_gap = -d * math.log(2 / (n - 1)) - torch.special.digamma((n - i) / 2).sum()
        out.append(0.5 * (float(log_det_gap) + d / n))
    return torch.tensor(out, dtype=torch.float64)


class Gaussian(Reference):
    """Gaussian with the sample's mean and full covariance (any reference is allowed, §3.1).

    Arguments:
        data: the samples, shape (P, n, D).
    """

    @classmethod
    def build(cls, data: Tensor, groups: Tensor, settings: Settings) -> Reference:
        return cls(data)

    def __init__(self, data: Tensor):
        self.mean = data.mean(1)  # (P, D)
        centred = data - self.mean[:, None]
        self.cov = centred.transpose(1, 2) @ centred / max(data.shape[1] - 1, 1)
        chol, info = torch.linalg.cholesky_ex(self.cov)
        # float32 Cholesky can succeed on an exactly collinear sample; judge the rank on the
        # correlation matrix in float64, which is scale-free
        cov64 = self.cov.double()
        sd = torch.sqrt(torch.diagonal(cov64, dim1=1, dim2=2))
        corr = cov64 / (sd[:, :, None] * sd[:, None, :])
        if bool((info != 0).any()) or bool((torch.linalg.eigvalsh(corr)[:, 0] < 1e-9).any()):
            raise ValueError(
                "the sample covariance is singular (collinear columns); drop duplicated or "
                "linearly dependent columns, or use reference='uniform'"
            )
        self.chol = chol
        self.dim = data.shape[-1]
        self.rows = data.shape[1]

    def fit_correction(self, masks: Tensor) -> Tensor:
        """See :func:`location_scale_fit_gap`."""
        return location_scale_fit_gap(masks, self.rows)

    def sample(self, out: Tensor, generator: torch.Generator) -> Tensor:
        out.normal_(generator=generator)
        return out.copy_(out @ self.chol[:, None].transpose(-1, -2)).add_(self.mean[:, None, None])

    def neg_log_density(self, z: Tensor, masks: Tensor) -> Tensor:
        result = []
        for mask in masks:
            idx = torch.nonzero(mask).flatten()
            chol = torch.linalg.cholesky(self.cov[:, idx][:, :, idx])  # (P, s, s)
            diff = (z[..., idx] - self.mean[:, None, idx]).transpose(1, 2)  # (P, s, n)
            sol = torch.linalg.solve_triangular(chol, diff, upper=False)
            logdet = 2 * torch.log(torch.diagonal(chol, dim1=1, dim2=2)).sum(-1)  # (P,)
            const = logdet + idx.numel() * math.log(2 * math.pi)
            result.append(0.5 * ((sol**2).sum(1) + const[:, None]))
        return torch.stack(result, dim=1)


class Marginals(Reference):
    """Product of the marginals by independent resampling of rows per column group (MINE).

    Its density is unknown, so it gives divergences (MI) but no entropies.

    Arguments:
        data: the samples, shape (P, n, D).
        groups: column masks, shape (G, D), partitioning the columns (e.g. X and Y).
    """

    has_density = False

    @classmethod
    def build(cls, data: Tensor, groups: Tensor, settings: Settings) -> Reference:
        return cls(data, groups)

    def __init__(self, data: Tensor, groups: Tensor):
        self.data = data
        self.groups = groups
        self.dim = data.shape[-1]

    def sample(self, out: Tensor, generator: torch.Generator) -> Tensor:
        p, _, r, _ = out.shape
        n = self.data.shape[1]
        problem = torch.arange(p, device=out.device)[:, None]
        for mask in self.groups:
            idx = torch.randint(n, (p, r), generator=generator, device=out.device)
            out[:, 0, :, mask] = self.data[problem, idx][..., mask]
        return out

    def neg_log_density(self, z: Tensor, masks: Tensor) -> Tensor:
        raise ValueError("the product-of-marginals reference has no known density")

    def grid(self, rows: Tensor) -> Tensor:
        """Every re-pairing of a batch: the first group's columns from row i, the others'
        from row j, for (K, H, B, D) rows -> (K, H, B * B, D), row-major in i (InfoNCE)."""
        k, h, b, d = rows.shape
        first = self.groups[0].to(rows.device)
        from_i = rows[:, :, :, None, :].expand(k, h, b, b, d)
        from_j = rows[:, :, None, :, :].expand(k, h, b, b, d)
        return torch.where(first, from_i, from_j).reshape(k, h, b * b, d)
