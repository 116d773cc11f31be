"""Exponential moving averages of recorded estimates, skipping members that diverged."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

__all__ = ["ema", "smooth_curve"]


def ema(previous: Tensor | None, value: Tensor, weight: float) -> Tensor:
    """One step of an exponential moving average, element-wise.

    ``(1 - weight) * previous + weight * value``, except that a NaN ``value`` (a diverged
    member) leaves the average unchanged and a NaN ``previous`` (nothing finite yet) is
    replaced by ``value``.

    Arguments:
        previous: the average so far (any shape), or ``None`` at the first value.
        value: the new values, same shape.
        weight: the new value's weight in (0, 1].
    """
    if previous is None:
        return value
    step = torch.where(torch.isnan(previous), value, (1 - weight) * previous + weight * value)
    return torch.where(torch.isnan(value), previous, step)


def smooth_curve(raw: np.ndarray, steps: np.ndarray, rate: float) -> np.ndarray:
    r"""Exponential moving average per iteration of curves evaluated at ``steps``.

    $s_t = (1-r) s_{t-1} + r i_t$ per iteration; with evaluations k iterations apart the
    estimate is held between them, so one evaluation weighs $1 - (1-r)^k$. The average
    starts at the first value; a NaN (diverged) value leaves it unchanged.

    Arguments:
        raw: estimates, shape (T, P), nats.
        steps: iteration of each row, shape (T,).
        rate: r per iteration.

    Returns:
        Smoothed curves, shape (T, P).
    """
    curve = torch.as_tensor(np.asarray(raw, dtype=np.float64))
    gaps = np.diff(np.asarray(steps), prepend=steps[0])
    out = torch.empty_like(curve)
    average: Tensor | None = None
    for t, gap in enumerate(gaps):
        average = ema(average, curve[t], 1.0 - (1.0 - rate) ** int(gap))
        out[t] = average
    return out.numpy()
