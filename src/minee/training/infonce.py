r"""InfoNCE (van den Oord et al. 2018): a contrastive lower bound on I(X;Y), as an objective.

For a batch of B pairs, the critic scores every combination $(x_i, y_j)$ and

$$ I_{NCE} = \frac1B \sum_i \Big[ f(x_i, y_i) - \ln \frac1B \sum_j e^{f(x_i, y_j)} \Big]
   \le I(X;Y), $$

the negatives being the batch's own rows re-paired: a sample of the product of the
marginals (the ``"marginals"`` reference builds the grid). The bound can never exceed
$\ln B$ (Poole et al. 2019; McAllester and Stratos 2020): with the default batch of 128 it
saturates near 4.85 nats, so it suits small or moderate MI. It is read, like it is trained,
on batches of B rows: the held-out (or training) rows in consecutive chunks of B.
"""

from __future__ import annotations

import math
from typing import Any, cast

import torch
from torch import Tensor

from .objectives import ObjectiveBase

__all__ = ["InfoNCE", "infonce_bound"]


def infonce_bound(f_data: Tensor, f_grid: Tensor) -> Tensor:
    """The InfoNCE bound from critic values on the B pairs (..., B) and on the B x B grid
    (..., B * B), nats, shape (...,)."""
    b = f_data.shape[-1]
    grid = f_grid.reshape(*f_grid.shape[:-1], b, b)
    return f_data.mean(-1) - (torch.logsumexp(grid, dim=-1) - math.log(b)).mean(-1)


class InfoNCE(ObjectiveBase):
    """The InfoNCE objective: negatives from the batch itself, read with the same bound.

    The engine asks it for the contrast rows of a batch (:meth:`contrast`) instead of
    drawing reference samples, and for the bound on a set of rows (:meth:`bound`) instead
    of the Donsker-Varadhan divergence.
    """

    contrasts = True

    def contrast(self, data: Tensor, reference: Any) -> Tensor:
        """The B x B grid of re-paired rows of ``data`` (K, H, B, D): (K, H, B * B, D),
        from the reference's ``grid`` (the product of the marginals has one)."""
        if not hasattr(reference, "grid"):
            raise ValueError("objective='infonce' needs reference='marginals' (the product "
                             "of the marginals, which re-pairs a batch's rows)")
        return reference.grid(data)

    def loss(self, f_data: Tensor, f_ref: Tensor) -> Tensor:
        return -infonce_bound(f_data, f_ref)

    def bound(self, critic: torch.nn.Module, rows: Tensor, reference: Any,
              batch: int) -> Tensor:
        """The bound on ``rows`` (K, n, D) in consecutive chunks of ``batch`` rows (the
        last, shorter chunk dropped unless it is the only one), averaged: (K, H), nats."""
        n = rows.shape[1]
        size = min(batch, n)
        heads = cast(int, critic.heads)  # an int on every critic module
        parts = []
        for start in range(0, n - size + 1, size):
            chunk = rows[:, None, start:start + size].expand(-1, heads, -1, -1)
            f = critic(torch.cat([chunk, self.contrast(chunk, reference)], dim=2))
            parts.append(infonce_bound(f[..., :size], f[..., size:]))
        return torch.stack(parts).mean(0)

    def ceiling(self, batch: int) -> float:
        """The most the bound can reach with batches of ``batch`` rows: ln(batch), nats."""
        return math.log(batch)

