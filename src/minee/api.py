"""One-call functions: ``mutual_information``, ``entropy``, ``conditional_mutual_information``."""

from __future__ import annotations

from typing import Any

from .estimators import CMINEE, MINE, MINEE, NEE, InfoNCE
from .results import Estimate

__all__ = ["mutual_information", "entropy", "conditional_mutual_information"]

#: ``method=`` names of :func:`mutual_information` (the CLI reads its choices from here).
METHODS: dict[str, type[MINEE] | type[MINE] | type[InfoNCE]] = {
    "minee": MINEE, "mine": MINE, "infonce": InfoNCE}


def mutual_information(x: Any, y: Any, *, method: str = "minee", seed: int | None = None,
                       **options: Any) -> Estimate:
    """Estimate the mutual information I(X;Y) in nats.

    Arguments:
        x: samples of X, shape (n, dx) or (n,): NumPy, list, pandas or torch.
        y: paired samples of Y, shape (n, dy) or (n,).
        method: ``"minee"`` (entropic, the default), ``"mine"`` or ``"infonce"``
            (contrastive; cannot exceed ln(batch_size)).
        seed: integer seed for reproducible numbers.
        options: hyperparameters of :class:`~minee.MINEE` / :class:`~minee.MINE`.

    Returns:
        An :class:`~minee.Estimate`; ``.value`` is I(X;Y) in nats.

    Uncertainty: ``.stderr`` combines the sampling error of the rows the estimate is read
    on (held-out rows when ``val_fraction > 0``, computed in closed form as a bootstrap
    over those rows would give it) with the spread of the ensemble members
    (``ensemble=K``); ``.bias`` is an allowance for the critic's bias (a share of the value
    and of the training rows' optimism, calibrated on problems with known answers:
    :func:`minee.readout.bias_allowance`); ``.ci`` is the 95% interval
    ``value +- 1.96 sqrt(stderr^2 + bias^2)``. ``null=True`` adds a permutation null (the
    same estimate with Y's rows shuffled) as ``.null``; ``.diagnostics`` flags
    ``noise_level`` when the estimate does not stand out from it (or, without a null, when
    its interval reaches 0).

    Example:
        >>> import numpy as np, minee
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(2000, 1)); y = x + rng.normal(size=(2000, 1))
        >>> est = minee.mutual_information(x, y, seed=0)  # truth: 0.5 ln 2 = 0.347
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(METHODS)}")
    return METHODS[method](seed=seed, **options).fit(x, y).estimate_


def entropy(x: Any, *, seed: int | None = None, **options: Any) -> Estimate:
    """Estimate the differential entropy H(X) in nats.

    Arguments:
        x: samples, shape (n, d) or (n,).
        seed: integer seed.
        options: hyperparameters of :class:`~minee.NEE`.

    Returns:
        An :class:`~minee.Estimate`; ``.value`` is H(X) in nats.
    """
    return NEE(seed=seed, **options).fit(x).estimate_


def conditional_mutual_information(x: Any, y: Any, z: Any, *, seed: int | None = None,
                                   **options: Any) -> Estimate:
    """Estimate I(X;Y|Z) = H(X,Z) + H(Y,Z) - H(X,Y,Z) - H(Z) in nats.

    Arguments:
        x, y, z: paired samples, shapes (n, dx), (n, dy), (n, dz).
        seed: integer seed.
        options: hyperparameters of :class:`~minee.CMINEE`.
    """
    return CMINEE(seed=seed, **options).fit(x, y, z).estimate_
