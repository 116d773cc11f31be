r"""Training objectives: what a critic maximises against its reference, as pluggable objects.

The engine asks an :class:`Objective` for a loss from the critic's values on data and on
reference samples and never looks at its name. Estimates are *read* with the
Donsker-Varadhan bound (:func:`dv_bound`, eq. 10), the tightest for a given critic, unless
the objective brings its own ``bound``; the objective decides how the critic is trained:

* ``"dv"``: minus the DV bound (paper eq. 12), MI-NEE's objective;
* ``"ma"``: MINE's loss with the moving-average gradient correction (Belghazi et al. 2018);
* ``"logistic"``: the critic as a classifier of data against reference rows (logistic
  loss); its best logit is the log density ratio $\ln p/q$, where the DV bound is tight;
* ``"infonce"``: the contrastive InfoNCE bound, trained and read on re-paired batches
  (:mod:`minee.training.infonce`); it brings its own contrast rows and its own bound.

New objectives (NWJ, InfoNCE-style losses) subclass :class:`ObjectiveBase` and register
a factory with :func:`minee.registry.register_objective`; a factory takes the
:class:`~minee.settings.Settings` and returns a fresh objective for one engine.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Protocol

import torch
from torch import Tensor

__all__ = ["Objective", "ObjectiveBase", "DV", "Logistic", "MovingAverage", "dv_bound",
           "log_mean_exp"]


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


class Objective(Protocol):
    """What the engine needs of a training objective, capabilities included.

    ``loss`` maps critic values on a minibatch, ``f_data`` (K, H, B), and on reference
    samples, ``f_ref`` (K, H, R), to a loss per member and head, (K, H), to be minimised.
    An objective with running state (a moving average) keeps it itself and exposes it via
    ``state_dict`` / ``load_state_dict`` so that checkpoints resume bit for bit.

    Attributes:
        streams_reference: the loss is exactly minus :func:`dv_bound`, so the engine may
            sum its reference term's gradient chunk by chunk (:mod:`minee.training.streaming`).
        contrasts: the objective brings its own contrast rows (:meth:`contrast`, instead
            of reference draws) and its own bound (:meth:`bound`, instead of the DV
            divergence), as InfoNCE does.
    """

    streams_reference: ClassVar[bool]
    contrasts: ClassVar[bool]

    def loss(self, f_data: Tensor, f_ref: Tensor) -> Tensor: ...

    def contrast(self, data: Tensor, reference: Any) -> Tensor:
        """Contrast rows for a batch ``data`` (K, H, B, D): (K, H, C, D)."""
        ...

    def bound(self, critic: torch.nn.Module, rows: Tensor, reference: Any,
              batch: int) -> Tensor:
        """The objective's own bound on ``rows`` (K, n, D): (K, H) nats."""
        ...

    def ceiling(self, batch: int) -> float | None:
        """The most the bound can reach with batches of ``batch`` rows (None: no limit)."""
        ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class ObjectiveBase:
    """Defaults for an :class:`Objective`: no running state, reference draws and the DV
    bound (no contrast rows of its own), no ceiling."""

    streams_reference: ClassVar[bool] = False
    contrasts: ClassVar[bool] = False

    def contrast(self, data: Tensor, reference: Any) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} draws reference rows")

    def bound(self, critic: torch.nn.Module, rows: Tensor, reference: Any,
              batch: int) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} is read with the DV bound")

    def ceiling(self, batch: int) -> float | None:
        return None

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


class DV(ObjectiveBase):
    """Minus the Donsker-Varadhan bound (eq. 12); streams its reference term."""

    streams_reference = True

    def loss(self, f_data: Tensor, f_ref: Tensor) -> Tensor:
        return -dv_bound(f_data, f_ref)


class MovingAverage(ObjectiveBase):
    r"""MINE's loss with the moving-average gradient correction (Belghazi et al. 2018).

    $m \leftarrow (1-r)\,m + r\,\overline{e^{f(Z')}}$ and
    $L = -\bar f(Z) + \overline{e^{f(Z')}} / m$ with $m$ detached, so that the gradient of
    the log-mean-exp term is divided by a running mean rather than the minibatch mean.

    Arguments:
        rate: r, the moving-average rate (the paper: 0.01).
    """

    def __init__(self, rate: float):
        self.rate = rate
        self.average: Tensor | None = None  # (K, H), from the first step's shape

    def loss(self, f_data: Tensor, f_ref: Tensor) -> Tensor:
        mean_exp = f_ref.exp().mean(-1)
        previous = torch.ones_like(mean_exp) if self.average is None else self.average
        self.average = (1 - self.rate) * previous + self.rate * mean_exp.detach()
        return -f_data.mean(-1) + mean_exp / self.average

    def state_dict(self) -> dict[str, Any]:
        return {"average": self.average}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.average = state["average"]


class Logistic(ObjectiveBase):
    r"""The logistic (binary cross-entropy) loss of the critic as a classifier of data rows
    against reference rows, the two classes weighted equally.

    $L = \overline{\mathrm{softplus}(-f(Z))} + \overline{\mathrm{softplus}(f(Z'))}$,
    minimised by $f = \ln p/q$: the critic at which the DV bound equals the divergence.
    Its gradient per row is bounded by 1 (DV's reference term weights rows by
    $e^{f}$, so a few reference rows in a region the data fill can dominate a step); the
    estimate is still read with the DV bound.
    """

    def loss(self, f_data: Tensor, f_ref: Tensor) -> Tensor:
        softplus = torch.nn.functional.softplus
        return softplus(-f_data).mean(-1) + softplus(f_ref).mean(-1)
