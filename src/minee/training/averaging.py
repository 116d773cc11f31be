"""The critics' weights averaged over training steps (Polyak averaging).

Evaluations and estimates read the average: the last step's weights carry Adam's
step-to-step noise, which a Donsker-Varadhan bound read on unseen rows pays for. The
average is a :class:`~torch.optim.swa_utils.AveragedModel` (its state dict is what
checkpoints hold); it is updated here after every optimiser step.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor
from torch.optim.swa_utils import AveragedModel

__all__ = ["Pairs", "moving_average", "pairs", "update_average"]


def moving_average(critic: torch.nn.Module, decay: float) -> AveragedModel:
    """A copy of ``critic`` to hold its exponential moving average at ``decay`` per step
    (see :class:`WeightAverage` for the warm-up)."""
    return AveragedModel(critic, multi_avg_fn=WeightAverage(decay), use_buffers=False)


class Pairs(NamedTuple):
    """An average and the tensors :func:`update_average` folds into it, listed once per
    fit: walking a module's parameters costs more than the update itself, which runs
    after every step. The lists stay valid while the modules live: loading a state dict
    copies into the same tensors."""

    averaged: AveragedModel
    averages: list[Tensor]
    currents: list[Tensor]
    average_buffers: list[Tensor]
    buffers: list[Tensor]


def pairs(averaged: AveragedModel, critic: torch.nn.Module) -> Pairs:
    """``averaged`` with its and ``critic``'s parameters and buffers, in the same order."""
    return Pairs(averaged, list(averaged.module.parameters()), list(critic.parameters()),
                 list(averaged.module.buffers()), list(critic.buffers()))


@torch.no_grad()
def update_average(tensors: Pairs, *, first: bool) -> None:
    """Fold the critic's weights into the average: ``averaged.update_parameters(critic)``
    up to rounding, without its per-call grouping of tensors by device and dtype (all of
    a critic's share both), which was a twelfth of a 5+5-column step's CPU.

    Arguments:
        tensors: :func:`pairs` of the average and the critic.
        first: the first update since the average was made from the critic (it copies).
    """
    averaged = tensors.averaged
    if first:
        torch._foreach_copy_(tensors.averages, tensors.currents)
        # the critic's buffers (its fixed input maps) do not change while it trains: copied
        # once, not every step as use_buffers=False does
        if tensors.buffers:
            torch._foreach_copy_(tensors.average_buffers, tensors.buffers)
    else:
        assert averaged.multi_avg_fn is not None
        averaged.multi_avg_fn(tensors.averages, tensors.currents, averaged.n_averaged)
    averaged.n_averaged += 1


class WeightAverage:
    """The in-place update of an exponential moving average of weights, for
    :class:`~torch.optim.swa_utils.AveragedModel` (a class, not a closure, so that fitted
    estimators stay picklable).

    After n updates the decay is ``min(decay, (1 + n) / (10 + n))``: an early average
    spans roughly the steps so far instead of staying near the random initial weights.
    It reaches ``decay`` only after ``(10 decay - 1) / (1 - decay)`` updates (890 for
    0.99), so most early-stopped runs average with a somewhat lower decay (0.978 at step
    400). The weight is computed once per step, as a Python number (the update count
    lives on the CPU, so reading it never waits for a GPU), for all parameters.
    """

    def __init__(self, decay: float):
        self.decay = decay

    def __call__(self, averages: list[Tensor] | tuple[Tensor, ...],
                 currents: list[Tensor] | tuple[Tensor, ...], n: Tensor | int) -> None:
        count = int(n)
        weight = 1 - min((1 + count) / (10 + count), self.decay)
        # average += weight * (current - average), one call for all tensors
        torch._foreach_lerp_(averages, currents, weight)
