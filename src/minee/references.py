r"""Reference distributions $p_{Z'}$ for the entropy decomposition (paper §3.1-3.3).

Every reference lives on the full column space of a problem (all D columns of
``[x, y, (z)]``). A critic head that sees only some columns (a column *mask*) is trained
against the marginal of the reference on those columns, which is what the same D-dimensional
sample gives once masked. For the uniform box that marginal is the box of those columns, so
the joint reference is the product of the marginal references, as Proposition 2 requires;
for the Gaussian it is the Gaussian of the sub-covariance.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["Reference", "UniformBox", "Gaussian", "Marginals", "make_reference", "REFERENCES"]

REFERENCES = ("uniform", "gaussian", "marginals")


class Reference:
    """A distribution on R^D per problem, that can be sampled and, where known, scored.

    A reference is built on P samples at once (shape (P, n, D)) so that many problems
    (seeds, column pairs, ensemble members) train in one batched model; problem p's
    reference depends only on its own sample.

    Attributes:
        dim: D, the number of columns.
        has_density: whether :meth:`neg_log_density` is available.
    """

    dim: int
    has_density: bool = True

    def sample(self, out: Tensor, generator: torch.Generator) -> Tensor:
        """Fill ``out`` (shape (P, 1, R, D)) with fresh reference points and return it."""
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

    def outside(self, z: Tensor) -> Tensor:
        """Boolean (P, n): rows outside the reference's support (condition (6) fails)."""
        return torch.zeros(z.shape[:2], dtype=torch.bool, device=z.device)


class UniformBox(Reference):
    """Uniform on the per-column bounding box of the sample (eq. 22).

    Arguments:
        data: the samples, shape (P, n, D).
        margin: widen each side by this fraction of the column's range (0 = eq. 22 exactly).
    """

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


class Gaussian(Reference):
    """Gaussian with the sample's mean and full covariance (any reference is allowed, §3.1).

    Arguments:
        data: the samples, shape (P, n, D).
    """

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


def make_reference(
    kind: str, data: Tensor, *, groups: Tensor, margin: float = 0.0
) -> Reference:
    """Build the reference named ``kind`` on ``data`` (P, n, D)."""
    if kind == "uniform":
        return UniformBox(data, margin=margin)
    if kind == "gaussian":
        return Gaussian(data)
    if kind == "marginals":
        return Marginals(data, groups)
    raise ValueError(f"unknown reference {kind!r}; choose one of {', '.join(REFERENCES)}")
