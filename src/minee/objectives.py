r"""Donsker-Varadhan objectives (paper eqs. 10 and 12) and MINE's corrected loss."""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["dv_bound", "log_mean_exp", "mine_loss"]


def log_mean_exp(f: Tensor) -> Tensor:
    r"""$\ln \frac1M \sum_m e^{f_m}$ over the last axis, computed stably (shape (...,))."""
    return torch.logsumexp(f, dim=-1) - math.log(f.shape[-1])


def dv_bound(f_data: Tensor, f_ref: Tensor) -> Tensor:
    r"""Sample DV objective (eq. 10): $\bar f(Z) - \ln \overline{e^{f(Z')}}$ in nats.

    Arguments:
        f_data: critic values on data, shape (..., M).
        f_ref: critic values on reference samples, shape (..., M').

    Returns:
        The divergence lower bound per leading index, shape (...,).
    """
    return f_data.mean(-1) - log_mean_exp(f_ref)


def mine_loss(f_data: Tensor, f_ref: Tensor, average: Tensor, rate: float) -> tuple[Tensor, Tensor]:
    r"""MINE's loss with the moving-average gradient correction (Belghazi et al. 2018).

    $m \leftarrow (1-r)\,m + r\,\overline{e^{f(Z')}}$ and
    $L = -\bar f(Z) + \overline{e^{f(Z')}} / m$ with $m$ detached, so that the gradient of
    the log-mean-exp term is divided by a running mean rather than the minibatch mean.

    Arguments:
        f_data, f_ref: as :func:`dv_bound`, shapes (..., M) and (..., M').
        average: the running mean m, shape (...,).
        rate: r, the moving-average rate.

    Returns:
        Loss per leading index (shape (...,)) and the updated running mean.
    """
    mean_exp = f_ref.exp().mean(-1)
    average = (1 - rate) * average + rate * mean_exp.detach()
    return -f_data.mean(-1) + mean_exp / average, average
