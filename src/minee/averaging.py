"""The critics' weights averaged over training steps (Polyak averaging).

Evaluations and estimates read the average: the last step's weights carry Adam's
step-to-step noise, which a Donsker-Varadhan bound read on unseen rows pays for. The
average is a :class:`~torch.optim.swa_utils.AveragedModel` (its state dict is what
checkpoints hold); it is updated here after every optimiser step.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torch.optim.swa_utils import AveragedModel

__all__ = ["moving_average", "update_average"]


def moving_average(critic: torch.nn.Module, decay: float) -> AveragedModel:
    """A copy of ``critic`` to hold its exponential moving average at ``decay`` per step
    (see :class:`WeightAverage` for the warm-up)."""
    return AveragedModel(critic, multi_avg_fn=WeightAverage(decay), use_buffers=False)


@torch.no_grad()
def update_average(averaged: AveragedModel, critic: torch.nn.Module, *, first: bool) -> None:
    """Fold ``critic``'s weights into ``averaged``: ``averaged.update_parameters(critic)``,
    the same updates without its per-call grouping of tensors by device and dtype (all of
    a critic's share both), which was a twelfth of a 5+5-column step's CPU.

    Arguments:
        first: the first update since ``averaged`` was made from the critic (it copies).
    """
    averages: list[Tensor] = list(averaged.module.parameters())
    currents: list[Tensor] = list(critic.parameters())
    if first:
        torch._foreach_copy_(averages, currents)
    else:
        assert averaged.multi_avg_fn is not None
        averaged.multi_avg_fn(averages, currents, averaged.n_averaged)
    buffers: list[Tensor] = list(critic.buffers())
    if buffers:  # kept in step with the critic's, as use_buffers=False does
        average_buffers: list[Tensor] = list(averaged.module.buffers())
        torch._foreach_copy_(average_buffers, buffers)
    averaged.n_averaged += 1


class WeightAverage:
    """The in-place update of an exponential moving average of weights, for
    :class:`~torch.optim.swa_utils.AveragedModel` (a class, not a closure, so that fitted
    estimators stay picklable).

    After n updates the decay is ``min(decay, (1 + n) / (10 + n))``: an early average
    spans roughly the steps so far instead of staying near the random initial weights.
    It reaches ``decay`` only after ``(10 decay - 1) / (1 - decay)`` updates (890 for
    0.99), so most early-stopped runs average with a somewhat lower decay (0.978 at step
    400). The decay is computed once per step for all parameters (half the cost of a
    per-parameter update; it runs after every optimiser step).
    """

    def __init__(self, decay: float):
        self.decay = decay

    def __call__(self, averages: Sequence[Tensor], currents: Sequence[Tensor],
                 n: Tensor | int) -> None:
        count = torch.as_tensor(n, dtype=averages[0].dtype, device=averages[0].device)
        weight = 1 - ((1 + count) / (10 + count)).clamp(max=self.decay)
        for average, current in zip(averages, currents, strict=True):
            average.add_((current - average) * weight)
