r"""Columns with an edge: a map to the real line whose log-Jacobian enters every entropy.

A uniform, exponential or beta column has a density that jumps to 0 at its support's edge;
no smooth reference has that edge, and a critic must learn a cliff, which a few hundred
steps of a small network round off (a 4-D box read 0.3 nats high). A strictly increasing
map T of the column onto the real line removes the edge, and the entropy follows exactly:
with $w = T(x)$, $H(X) = H(W) + E[\ln |dx/dw|]$, and the divergence the critic learns is
the same on either scale. Per column one of (:data:`KINDS`)

* ``none``: $w = x$;
* ``lower``: $w = \ln(x - a)$, $\ln dx/dw = w$ (a lower edge);
* ``upper``: $w = -\ln(b - x)$, $\ln dx/dw = -w$ (an upper edge);
* ``both``: $w = \mathrm{logit}((x - a) / (b - a))$,
  $\ln dx/dw = \ln(b - a) - \mathrm{softplus}(w) - \mathrm{softplus}(-w)$,

with the edges a, b just outside the sample (by its range over n: where the nearest row
of n uniform rows lies on average). The map is chosen per column on a held-out fifth of
the rows: a Student-t is fitted to each candidate's training values and the candidate with
the highest held-out log-likelihood *of x* (the t's log density at w minus $\ln dx/dw$)
wins; a map other than ``none`` must beat ``none`` by twice the standard error of the
paired per-row difference. On a half-line with a light tail (exponential, half-normal,
gamma) ``both`` usually wins over ``lower``: the logarithm of such a column has a long
left tail and a short right one, which a Student-t fits worse than the logistic-like
values of the logit with an upper edge just past the largest row; the entropy is exact
under either map, only the critic's task differs.

:class:`Mapped` carries the maps into the reference: its negative log-density is the
inner reference's at w plus $\sum_{j \in S} \ln dx_j/dw_j$, the density the reference
implies for x, so every per-row value, cross-entropy and error bar is on the data's scale.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..data.t_density import log_density
from .heldout import clearly_better, split_rows
from .mixture_fit import RowsCheck
from .references import Reference
from .student_fit import fit_student_t

__all__ = ["KINDS", "edge_maps", "apply_maps", "log_dx_dw", "Mapped"]

KINDS = ("none", "lower", "upper", "both")


def _forward(x: np.ndarray, kind: int, a: float, b: float) -> np.ndarray:
    """w = T(x) for one column (numpy)."""
    if kind == 1:
        return np.log(x - a)
    if kind == 2:
        return -np.log(b - x)
    if kind == 3:
        u = (x - a) / (b - a)
        return np.log(u) - np.log1p(-u)
    return x


def _heldout_score(train: np.ndarray, heldout: np.ndarray, kind: int, a: float,
                   b: float) -> np.ndarray:
    """Per held-out row ln p(x) (n_val,) when w = T(x) is modelled by a Student-t fitted
    to the training rows' w."""
    w_train, w_val = _forward(train, kind, a, b)[:, None], _forward(heldout, kind, a, b)[:, None]
    jacobian = log_dx_dw(torch.from_numpy(w_val)[None], torch.tensor([[[kind, a, b]]]))
    return log_density(w_val, *fit_student_t(w_train)) - jacobian[0, :, 0].numpy()


def edge_maps(z: np.ndarray, seed: int) -> np.ndarray:
    """Per column of ``z`` (n, D) its map: rows ``(kind, a, b)``, (D, 3), kind an index of
    :data:`KINDS`; ``seed`` splits the rows for the choice."""
    maps = np.zeros((z.shape[1], 3))
    pad = (z.max(0) - z.min(0)) / len(z)
    low, high = z.min(0) - pad, z.max(0) + pad
    train, heldout = split_rows(z, seed)
    for j in range(z.shape[1]):
        a, b = float(low[j]), float(high[j])
        scores = [_heldout_score(train[:, j], heldout[:, j], kind, a, b)
                  for kind in range(len(KINDS))]
        best = int(np.argmax([s.mean() for s in scores]))
        maps[j] = (best if clearly_better(scores[best], scores[0]) else 0, a, b)
    return maps


def apply_maps(z: np.ndarray, maps: np.ndarray) -> np.ndarray:
    """Each column of ``z`` (n, D) through its map, (n, D)."""
    return np.stack([_forward(z[:, j], int(k), a, b) for j, (k, a, b) in enumerate(maps)], 1)


def log_dx_dw(w: Tensor, maps: Tensor) -> Tensor:
    """ln dx/dw per row and column, (P, n, D), for mapped rows ``w`` (P, n, D) and each
    member's maps ``maps`` (P, D, 3); float64."""
    w = w.double()
    kind, a, b = (maps[..., i][:, None].to(w) for i in range(3))
    both = torch.log(b - a) - F.softplus(w) - F.softplus(-w)
    return torch.where(kind == 1, w, torch.where(kind == 2, -w, torch.where(
        kind == 3, both, torch.zeros_like(w))))


class Mapped(Reference):
    """A reference on the mapped scale w, read as the density it implies for the data x.

    Arguments:
        inner: the reference fitted to the mapped rows.
        maps: each member's column maps, (P, D, 3) (see :func:`edge_maps`).
    """

    def __init__(self, inner: Reference, maps: Tensor):
        self.inner, self.maps, self.dim = inner, maps, inner.dim

    def sample(self, out: Tensor, generator: torch.Generator) -> Tensor:
        return self.inner.sample(out, generator)

    def neg_log_density(self, z: Tensor, masks: Tensor) -> Tensor:
        jacobian = log_dx_dw(z, self.maps.to(z.device)) @ masks.T.double()  # (P, n, H)
        return (self.inner.neg_log_density(z, masks).double()
                + jacobian.transpose(1, 2)).to(z.dtype)

    def fit_correction(self, masks: Tensor) -> Tensor:
        return self.inner.fit_correction(masks)

    def outside(self, z: Tensor) -> Tensor:
        return self.inner.outside(z)

    def shape_limited(self) -> np.ndarray | None:
        return self.inner.shape_limited()

    def rows_check(self, member: int) -> RowsCheck | None:
        # the maps' log-Jacobians are the same under both fits: they cancel in its gains
        return self.inner.rows_check(member)

    def tails(self) -> tuple[Tensor, Tensor, Tensor] | None:
        return self.inner.tails()
