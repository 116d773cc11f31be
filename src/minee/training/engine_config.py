"""The engine's training settings (:class:`EngineConfig`) and its optimiser."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .adam import Adam

__all__ = ["EngineConfig", "adam"]


@dataclass(frozen=True)
class EngineConfig:
    """Training settings shared by every estimator.

    Attributes:
        lr: Adam learning rate.
        batch_size: data rows per head per step (``None``: all training rows).
        ref_factor: reference rows per step = ``ref_factor * batch_size``; an evaluation
            uses ``ref_factor * n_rows`` fresh reference rows (the authors' protocol).
        max_steps: the most optimiser steps.
        eval_every: evaluate the full-sample divergences every this many steps.
        patience: with held-out rows, stop after this many evaluations without improvement
            (``None``: never stop early).
        min_steps: never stop early before this step.
        smoothing: rate of the exponential moving average over evaluations that the
            reported divergences use (1 = no smoothing).
        tol: improvement (nats) that resets the patience counter.
        averaging: decay d in [0, 1) of an exponential moving average of the critic's
            weights over steps (Polyak averaging), which every evaluation and the estimate
            read instead of the last step's weights; 0: no averaging.
        selection: with held-out rows, the weights (H,) of the heads' smoothed held-out
            divergences in the score that picks the critic state an estimate is read at:
            one state for all heads, where the score was highest (an MI: the weights that
            make the score its divergence part, $D_{XY} - D_X - D_Y$). ``None``: each head
            its own best state (an entropy's single head; many entropies trained
            together). Early stopping follows each head's own best either way.
    """

    lr: float
    batch_size: int | None
    ref_factor: float
    max_steps: int
    eval_every: int
    patience: int | None = None
    min_steps: int = 0
    smoothing: float = 1.0
    tol: float = 1e-3
    averaging: float = 0.0
    selection: tuple[float, ...] | None = None


def adam(critic: torch.nn.Module, config: EngineConfig, device: torch.device) -> Adam:
    """One Adam over every critic parameter: fused (one kernel over all parameters,
    element-wise, so the same steps) where torch has it (:class:`~minee.training.adam.Adam`:
    torch's update without the optimiser class's import of its compiler)."""
    return Adam(critic.parameters(), lr=config.lr, fused=device.type in ("cpu", "cuda"))
